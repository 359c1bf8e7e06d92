"""Fan charts of headline series, logged with every training run (what an economist opens first)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from forecasting.vocabulary import months_per_period, qcol

BANDS = ((0.025, 0.975, 0.15), (0.1, 0.9, 0.25), (0.25, 0.75, 0.35))  # (lo, hi, alpha): 95/80/50%
COLOUR = "#1f4e79"
NOWCAST_COLOUR = "#d9a21b"


def shade_nowcasts(ax: plt.Axes, forecast: pd.DataFrame, frequency: str | None) -> None:
    """Shade the periods that have begun but are not yet published (``kind == "nowcast"``)."""
    if "kind" not in forecast or not (forecast["kind"] == "nowcast").any():
        return
    now = forecast[forecast["kind"] == "nowcast"].sort_values("step")
    start = pd.Timestamp(now["period_start"].iloc[0])
    end = pd.Timestamp(now["period_start"].iloc[-1])
    if frequency:
        end = end + pd.DateOffset(months=months_per_period(frequency))
    ax.axvspan(start, end, color=NOWCAST_COLOUR, alpha=0.12, lw=0, label="nowcast (begun, not yet published)")


def fan_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    title: str,
    path: Path,
    *,
    unit: str = "",
    note: str = "",
    last_n: int = 24,
    frequency: str | None = None,
) -> Path:
    """History (period_start, value) then the forecast mean with 50/80/95% bands; nowcasts shaded."""
    hist = history.sort_values("period_start").tail(last_n)
    fc = forecast.sort_values("step")
    fig, ax = plt.subplots(figsize=(8, 4 + 0.12 * max(0, len(note) // 130)), dpi=100)
    ax.plot(hist["period_start"], hist["value"], color="#333", marker="o", ms=3, lw=1.2, label="observed")
    # bands start at the last observation so the fan joins the history line
    x = pd.concat([hist["period_start"].tail(1), fc["period_start"]], ignore_index=True)
    last = float(hist["value"].iloc[-1]) if len(hist) else float("nan")
    shade_nowcasts(ax, fc, frequency)
    for lo, hi, alpha in BANDS:
        if qcol(lo) in fc and qcol(hi) in fc:
            ylo = pd.concat([pd.Series([last]), fc[qcol(lo)]], ignore_index=True)
            yhi = pd.concat([pd.Series([last]), fc[qcol(hi)]], ignore_index=True)
            ax.fill_between(
                x, ylo, yhi, color=COLOUR, alpha=alpha, lw=0, label=f"{round((hi - lo) * 100)}% interval"
            )
    ymean = pd.concat([pd.Series([last]), fc["mean"]], ignore_index=True)
    ax.plot(x, ymean, color=COLOUR, lw=2, label="forecast")
    ax.set_title(title, fontsize=11)
    if unit:
        ax.set_ylabel(unit if len(unit) <= 40 else unit[:39] + "…", fontsize=8)
    if note:  # wrapped: a stale series' reason makes it long
        lines = textwrap.wrap(note, 130)
        ax.text(0, -0.12, "\n".join(lines), transform=ax.transAxes, fontsize=7, color="#555", va="top")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def headline_charts(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    catalogue: pd.DataFrame,
    series_ids: list[str],
    out_dir: Path,
    note: str = "",
) -> list[Path]:
    """One PNG per headline series present in the forecasts (missing ones are skipped, not errors)."""
    cat = catalogue.set_index("series_id")
    paths = []
    for sid in series_ids:
        fc = forecasts[forecasts["series_id"] == sid]
        if fc.empty:
            continue
        row = cat.loc[sid] if sid in cat.index else None
        name = (
            f"{row['geography_name']} · {row['measure']}"
            if row is not None and "geography_name" in row
            else sid
        )
        unit = str(row["unit"]) if row is not None and "unit" in row else ""
        method = str(fc["method"].iloc[0]) if "method" in fc else ""
        freq = str(row["frequency"]) if row is not None and "frequency" in row else None
        fresh = ""
        if row is not None and "last_observed" in row:
            reason = str(row.get("stale_reason") or "") if bool(row.get("stale")) else ""
            fresh = f" · last observed {row['last_observed']}" + (
                f" · {reason}" if reason else " (stale)" if bool(row.get("stale")) else ""
            )
        paths.append(
            fan_chart(
                history[history["series_id"] == sid],
                fc,
                f"{name} ({sid})",
                out_dir / f"{sid}.png",
                unit=unit,
                note=f"{note} · method {method}{fresh}".strip(" ·"),
                frequency=freq,
            )
        )
    return paths
