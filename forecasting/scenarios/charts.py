"""Fan chart comparing a scenario with the baseline (PNG, headless).

Why these defaults: a chart is read at a glance, so it shows the series the scenario moves most (by
cumulative % difference) unless told which, one panel each, baseline dashed grey and scenario in colour with
its 80%/95% bands (baseline 80% band dotted), the cumulative difference written on the panel and a strip
below with the % difference per period, so even a 0.01% effect on a large series is visible.
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


def _most_moved(result: ScenarioResult, n: int) -> list[SeriesProjection]:
    def score(s: SeriesProjection) -> float:
        base = float(np.abs(s.baseline_mean).sum())
        return float(np.abs(s.diff).sum()) / base if base > 0 else float(np.abs(s.diff).sum())

    moved = sorted((s for s in result.series if s.affected), key=score, reverse=True)
    return (moved or result.series)[:n]


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
    d = s.diff
    base = float(s.baseline_mean.sum())
    pct = f" ({100 * d.sum() / base:+.2f}%)" if base else ""
    ax.text(
        0.01,
        0.97,
        f"cumulative difference {d.sum():+,.4g}{pct}",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        color=SCENARIO_COLOUR if s.affected else BASELINE_COLOUR,
    )
    if not s.affected:
        ax.text(0.01, 0.87, "unaffected: " + (s.reason or ""), transform=ax.transAxes, va="top", fontsize=7)
    unit = s.info.get("unit") or ""
    ax.set_title(f"{s.series_id}" + (f"  [{unit}]" if unit else ""), fontsize=9)
    ax.grid(alpha=0.3)
    ax.set_xticks([])
    # the difference strip: % of baseline per period, so small effects on big series stay visible
    with np.errstate(divide="ignore", invalid="ignore"):
        dpct = np.where(np.abs(s.baseline_mean) > 0, 100 * d / np.abs(s.baseline_mean), 0.0)
    ax_diff.bar(x_fc, dpct, color=np.where(dpct < 0, SCENARIO_COLOUR, "#1f7a4d"), width=0.6)
    ax_diff.axhline(0, color="black", lw=0.6)
    ax_diff.set_xlim(ax.get_xlim())
    ax_diff.set_ylabel("diff %", fontsize=7)
    ax_diff.tick_params(axis="y", labelsize=7)
    step = max(1, len(labels) // 10)
    ax_diff.set_xticks(range(0, len(labels), step))
    ax_diff.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=7)
    ax_diff.grid(alpha=0.3)


def fan_chart(
    result: ScenarioResult, path: Path | str, series: Sequence[str] | None = None, max_panels: int = 6
) -> Path:
    """Write the comparison chart; ``series`` picks panels (default: the most moved, up to ``max_panels``)."""
    path = Path(path)
    chosen = [result.get(s) for s in series][:max_panels] if series else _most_moved(result, max_panels)
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
        f"{prov.get('data_vintage') or '?'} · bands: 80% and 95%",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
