"""Fan chart comparing a scenario with the baseline (PNG, headless).

Why these defaults: a chart is read at a glance, so by default it shows the headline series (Midlands,
East and West Midlands, UK, World, UK business investment) that the bundle has, one panel each: history
in black, baseline dashed grey with its 80% band dotted, scenario in colour with its 80%/95% bands, and a
strip below with the difference in % of baseline and its 80% interval, so even a 0.1% effect on a large
series is visible. Synthetic series (demo partner data) are never charted unless asked for, and are
labelled SYNTHETIC when they are. The panel's caption gives a stock's gap in the last period and its
largest gap, a flow's cumulative difference (summing a stock's gaps over years would mean nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from forecasting.scenarios.result import ScenarioResult, SeriesProjection  # noqa: E402

SCENARIO_COLOUR = "#c0392b"
BASELINE_COLOUR = "#555555"


def default_panels(result: ScenarioResult, n: int, include_synthetic: bool = False) -> list[SeriesProjection]:
    """The headline series, then the largest movers, never synthetic unless asked."""
    chosen = [
        s
        for s in result.summary_series(n, include_synthetic=include_synthetic)
        if include_synthetic or not s.synthetic
    ]
    return (chosen or [s for s in result.series if include_synthetic or not s.synthetic] or result.series)[:n]


def caption(s: SeriesProjection) -> str:
    """What the panel says about the difference: a stock's gap, a flow's cumulative difference."""
    sm = s.summary()
    if not s.affected:
        return "unaffected: " + (s.reason or "")
    if s.accumulates:
        pct = sm.get("cumulative_diff_pct")
        return f"cumulative difference {sm['cumulative_diff']:+,.4g}" + (
            f" ({pct:+.2f}%)" if pct is not None else ""
        )
    last, big = sm.get("last_diff_pct"), sm.get("largest_diff_pct")
    text = f"gap in {sm['last_period']}: {sm['last_diff']:+,.4g}" + (
        f" ({last:+.2f}%)" if last is not None else ""
    )
    if sm["largest_period"] != sm["last_period"]:
        text += f"; largest {sm['largest_diff']:+,.4g}" + (f" ({big:+.2f}%)" if big is not None else "")
        text += f" in {sm['largest_period']}"
    return text


def _panel(ax: plt.Axes, ax_diff: plt.Axes, s: SeriesProjection) -> None:
    hist = s.history
    labels = [p for p, _ in hist] + list(s.periods)
    x_hist = np.arange(len(hist))
    x_fc = np.arange(len(hist), len(labels))
    if hist:
        ax.plot(x_hist, [v for _, v in hist], color="black", lw=1.4, label="history")
        ax.plot([x_hist[-1], x_fc[0]], [hist[-1][1], s.baseline_mean[0]], ":", color=BASELINE_COLOUR, lw=1)
    for level, alpha in ((95, 0.12), (80, 0.25)):
        iv = s.interval("scenario", level)
        if iv is not None:
            ax.fill_between(
                x_fc, iv[0], iv[1], color=SCENARIO_COLOUR, alpha=alpha, lw=0, label=f"scenario {level}%"
            )
    iv = s.interval("baseline", 80)
    if iv is not None:
        ax.plot(x_fc, iv[0], ":", color=BASELINE_COLOUR, lw=1, label="baseline 80%")
        ax.plot(x_fc, iv[1], ":", color=BASELINE_COLOUR, lw=1)
    ax.plot(x_fc, s.baseline_mean, "--", color=BASELINE_COLOUR, lw=1.8, marker="o", ms=3, label="baseline")
    ax.plot(x_fc, s.scenario_mean, "-", color=SCENARIO_COLOUR, lw=1.8, marker="o", ms=3, label="scenario")
    nowcast = [x for x, k in zip(x_fc, s.kinds, strict=False) if k == "nowcast"]
    if nowcast:
        ax.axvspan(nowcast[0] - 0.5, nowcast[-1] + 0.5, color="#999999", alpha=0.08, lw=0, label="nowcast")
    ax.text(
        0.01,
        0.97,
        caption(s),
        transform=ax.transAxes,
        va="top",
        fontsize=7.5,
        color=SCENARIO_COLOUR if s.affected else BASELINE_COLOUR,
        wrap=True,
    )
    unit = s.info.get("unit") or ""
    title = f"{s.series_id}" + (f"  [{unit}]" if unit else "")
    if s.synthetic:
        title = "SYNTHETIC demo data: " + title
    if not s.affected and s.reason:
        title += "  (unaffected)"
    ax.set_title(title, fontsize=9, color="#b35900" if s.synthetic else "black")
    ax.grid(alpha=0.3)
    ax.set_xticks([])
    # the difference strip: % of baseline per period with its 80% interval
    base = np.abs(s.baseline_mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        dpct = np.where(base > 0, 100 * s.diff / base, 0.0)
    ax_diff.bar(x_fc, dpct, color=np.where(dpct < 0, SCENARIO_COLOUR, "#1f7a4d"), width=0.6)
    iv = s.interval("diff", 80)
    if iv is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = (np.where(base > 0, 100 * v / base, 0.0) for v in iv)
        ax_diff.vlines(x_fc, lo, hi, color="black", lw=0.8, label="80% interval of the difference")
    ax_diff.axhline(0, color="black", lw=0.6)
    ax_diff.set_xlim(ax.get_xlim())
    ax_diff.set_ylabel("diff %", fontsize=7)
    ax_diff.tick_params(axis="y", labelsize=7)
    step = max(1, len(labels) // 10)
    ax_diff.set_xticks(range(0, len(labels), step))
    ax_diff.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=7)
    ax_diff.grid(alpha=0.3)


def fan_chart(
    result: ScenarioResult,
    path: Path | str,
    series: Sequence[str] | None = None,
    max_panels: int = 6,
    include_synthetic: bool = False,
) -> Path:
    """Write the comparison chart; ``series`` picks panels (default: headline series, then the largest
    movers; synthetic series only with ``include_synthetic``, and labelled)."""
    path = Path(path)
    if series:
        chosen = [result.get(s) for s in series][:max_panels]
    else:
        chosen = default_panels(result, max_panels, include_synthetic)
    n = max(1, len(chosen))
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        2 * rows,
        cols,
        figsize=(7 * cols, 4.4 * rows),
        dpi=110,
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1] * rows},
    )
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        main, strip = axes[2 * r, c], axes[2 * r + 1, c]
        if k < len(chosen):
            _panel(main, strip, chosen[k])
        else:
            main.axis("off")
            strip.axis("off")
    axes[0, 0].legend(fontsize=7, loc="lower left", ncol=2)
    prov = result.provenance
    fig.suptitle(f"Scenario '{result.scenario.name}' vs baseline", fontsize=11)
    fig.text(
        0.01,
        0.005,
        f"model {prov.get('model_name') or ''} v{prov.get('model_version') or 'local'} · data vintage "
        f"{prov.get('data_vintage') or '?'} · bands: 80% and 95% · {result.draws} draws, seed {result.seed}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
