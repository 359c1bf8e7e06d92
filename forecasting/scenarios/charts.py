"""Fan chart comparing a scenario with the baseline (PNG, headless).

Why these defaults: a chart is read at a glance, so it shows the series the scenario moves most (by
cumulative % difference) unless told which, one panel each, baseline in grey and scenario in colour with
their 80%/95% bands, and the cumulative difference written on the panel.
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


def _panel(ax: plt.Axes, s: SeriesProjection) -> None:
    hist = s.history
    labels = [p for p, _ in hist] + list(s.periods)
    x_hist = np.arange(len(hist))
    x_fc = np.arange(len(hist), len(labels))
    if hist:
        ax.plot(x_hist, [v for _, v in hist], color="black", lw=1.4, label="history")
    for which, colour, mean in (
        ("baseline", BASELINE_COLOUR, s.baseline_mean),
        ("scenario", SCENARIO_COLOUR, s.scenario_mean),
    ):
        for level, alpha in ((95, 0.12), (80, 0.22)):
            iv = s.interval(which, level)
            if iv is not None:
                ax.fill_between(x_fc, iv[0], iv[1], color=colour, alpha=alpha, lw=0)
        style = "--" if which == "baseline" else "-"
        ax.plot(x_fc, mean, style, color=colour, lw=1.8, marker="o", ms=3, label=which)
    if hist:
        ax.plot([x_hist[-1], x_fc[0]], [hist[-1][1], s.baseline_mean[0]], ":", color=BASELINE_COLOUR, lw=1)
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
        ax.text(0.01, 0.88, "unaffected: " + (s.reason or ""), transform=ax.transAxes, va="top", fontsize=7)
    step = max(1, len(labels) // 10)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=7)
    unit = s.info.get("unit") or ""
    ax.set_title(f"{s.series_id}" + (f"  [{unit}]" if unit else ""), fontsize=9)
    ax.grid(alpha=0.3)


def fan_chart(
    result: ScenarioResult, path: Path | str, series: Sequence[str] | None = None, max_panels: int = 6
) -> Path:
    """Write the comparison chart; ``series`` picks panels (default: the most moved, up to ``max_panels``)."""
    path = Path(path)
    chosen = [result.get(s) for s in series][:max_panels] if series else _most_moved(result, max_panels)
    n = max(1, len(chosen))
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 3.6 * rows), dpi=110, squeeze=False)
    for ax, s in zip(axes.flat, chosen, strict=False):
        _panel(ax, s)
    for ax in list(axes.flat)[len(chosen) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower left")
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
