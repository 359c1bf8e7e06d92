"""Static PNG charts for the scorecard report (matplotlib, Agg backend).

Why a footer inside every image: charts get copied into board papers on their own, so each PNG states its
source, data vintage and model version itself, not only the page around it.

Why a ``FigurePool``: ~100 charts of five shapes are drawn per report, and most of their cost is measuring
text (tick labels, titles and the wrapped footer, which is measured word by word). Matplotlib caches text
metrics per renderer, and a figure keeps its renderer while its size and dpi stay the same, so drawing
every chart of one shape on one reused (cleared) figure measures each distinct string once. The pixels
are the same as on a fresh figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

INK, MUTED, ACCENT, FAN = "#1f2a44", "#6b7280", "#0b6e99", "#0b6e99"
SYNTH = "#b45309"
BAND_COLOURS = {1: "#e3f0e8", 2: "#ffffff", 3: "#f6e9e4"}


class FigurePool:
    """One Agg figure per (size, columns), cleared and reused for the next chart of that shape.

    Not thread-safe: one pool per thread or process (``report`` makes one per batch of clusters).
    """

    def __init__(self) -> None:
        self._figures: dict[tuple[float, float, int], Figure] = {}

    def subplots(self, figsize: tuple[float, float], ncols: int = 1) -> tuple[Figure, Any]:
        """A cleared figure of ``figsize`` inches with ``ncols`` axes in one row (a 1 x ncols array if > 1)."""
        key = (float(figsize[0]), float(figsize[1]), ncols)
        fig = self._figures.get(key)
        if fig is None:
            fig = Figure(figsize=figsize)
            FigureCanvasAgg(fig)
            self._figures[key] = fig
        else:
            fig.clear()
        axes = fig.subplots(1, ncols, squeeze=False)
        return fig, axes


def _subplots(pool: FigurePool | None, figsize: tuple[float, float], ncols: int = 1) -> tuple[Figure, Any]:
    return (pool or FigurePool()).subplots(figsize, ncols)


def _footer(fig: Figure, text: str) -> None:
    fig.text(0.01, 0.01, text, fontsize=6.5, color=MUTED, ha="left", va="bottom", wrap=True)


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, facecolor="white")
    return path


def rank_intervals(
    rows: list[dict[str, Any]], path: Path, footer: str, pool: FigurePool | None = None
) -> Path:
    """Rank of the headline score and the Monte Carlo 5-95% interval per cluster; rank 1 at the top."""
    n = len(rows)
    fig, axes = _subplots(pool, (9, 0.32 * n + 1.6))
    ax = axes[0][0]
    fig.subplots_adjust(left=0.27, right=0.98, top=0.93, bottom=0.1)
    for i, r in enumerate(rows):
        y = n - 1 - i
        ax.axhspan(y - 0.5, y + 0.5, color=BAND_COLOURS[r["band"]], zorder=0)
        iv = r["rank_interval"]
        ax.plot([iv["p05"], iv["p95"]], [y, y], color=ACCENT, lw=4, alpha=0.45, solid_capstyle="round")
        ax.plot(r["rank"], y, "o", color=INK, ms=6, zorder=3)
        ax.text(n + 0.6, y, r["band_label"], va="center", fontsize=7.5, color=MUTED)
    ax.set_yticks(range(n))
    ax.set_yticklabels([r["name"] for r in reversed(rows)], fontsize=9)
    ax.axvline((n + 1) / 2, color=MUTED, lw=0.8, ls=":")
    ax.set_xlim(0.5, n + 6.5)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks([1, 5, 10, 15, 20, 25][: 1 + sum(1 for t in (5, 10, 15, 20, 25) if t <= n)])
    ax.set_xlabel(
        "rank (1 = highest investment potential)   ● rank of the score shown   ▬ Monte Carlo 5-95% interval",
        fontsize=9,
    )
    ax.set_title("Investment-potential rank with Monte Carlo uncertainty", fontsize=11, color=INK, loc="left")
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    _footer(fig, footer)
    return _save(fig, path)


def area_profile(
    areas: dict[str, float | None],
    labels: dict[str, str],
    medians: dict[str, float],
    path: Path,
    footer: str,
    pool: FigurePool | None = None,
) -> Path:
    """The cluster's five area scores (0-100) against the median of the 25 clusters."""
    keys = [k for k in labels if k in areas]
    fig, axes = _subplots(pool, (6.4, 3.1))
    ax = axes[0][0]
    fig.subplots_adjust(left=0.36, right=0.96, top=0.9, bottom=0.33)
    ys = np.arange(len(keys))[::-1]
    vals = [areas[k] if areas[k] is not None else 0.0 for k in keys]
    ax.barh(ys, vals, color=ACCENT, height=0.55)
    for y, k, v in zip(ys, keys, vals, strict=True):
        ax.plot([medians.get(k, np.nan)] * 2, [y - 0.38, y + 0.38], color=INK, lw=2)
        ax.text(min(v + 1.5, 92), y, f"{v:.0f}", va="center", fontsize=8, color=INK)
    ax.set_yticks(ys)
    ax.set_yticklabels([labels[k] for k in keys], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("area score (0-100)   | = median of the 25 clusters", fontsize=8)
    ax.set_title("Evidence areas", fontsize=10, color=INK, loc="left")
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    _footer(fig, footer)
    return _save(fig, path)


def metric_positions(
    rows: list[dict[str, Any]], path: Path, footer: str, pool: FigurePool | None = None
) -> Path:
    """Where the cluster sits among the 25 on each scored metric (0 = weakest, 1 = strongest)."""
    fig, axes = _subplots(pool, (6.4, 0.3 * len(rows) + 1.2))
    ax = axes[0][0]
    fig.subplots_adjust(left=0.42, right=0.96, top=0.9, bottom=0.2 if len(rows) < 8 else 0.12)
    ys = np.arange(len(rows))[::-1]
    for y, r in zip(ys, rows, strict=True):
        ax.plot([0, 1], [y, y], color="#e5e7eb", lw=6, solid_capstyle="round", zorder=1)
        colour = SYNTH if r["is_synthetic"] else ACCENT
        ax.plot(r["position"], y, "o", color=colour, ms=7, zorder=2)
    ax.axvline(0.5, color=MUTED, lw=0.8, ls=":")
    ax.set_yticks(ys)
    ax.set_yticklabels([r["name"] + (" *" if r["is_synthetic"] else "") for r in rows], fontsize=8)
    ax.set_xlim(-0.05, 1.05)
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["weakest", "middle", "strongest"], fontsize=8)
    ax.set_title("Position among the 25 clusters", fontsize=10, color=INK, loc="left")
    for s in ("top", "right", "left"):
        ax.spines[s].set_visible(False)
    _footer(fig, footer + ("   * synthetic (demo data)" if any(r["is_synthetic"] for r in rows) else ""))
    return _save(fig, path)


def investment_history(
    fdi: dict[str, Any] | None,
    partner: dict[str, Any] | None,
    path: Path,
    footer: str,
    pool: FigurePool | None = None,
) -> Path | None:
    """FDI history with the forecast fan (50% line, 80% and 95% bands) and, from licensed partner data only,
    yearly FDI projects and equity deals. Synthetic partner lists are drawn by ``partner_preview`` instead."""
    panels = [p for p in (fdi, partner) if p]
    if not panels:
        return None
    fig, axes = _subplots(pool, (5.2 * len(panels), 3.0), len(panels))
    fig.subplots_adjust(
        left=0.12 if len(panels) == 1 else 0.07, right=0.98, top=0.88, bottom=0.27, wspace=0.25
    )
    i = 0
    if fdi:
        ax = axes[0][i]
        i += 1
        hx = [int(p["period"][:4]) for p in fdi["history"]]
        ax.plot(hx, [p["value"] for p in fdi["history"]], color=INK, lw=2, marker="o", ms=3, label="observed")
        if fdi["forecast"]:
            fx = [int(p["period"][:4]) for p in fdi["forecast"]]
            q = {
                k: np.array([p[k] for p in fdi["forecast"]])
                for k in ("q0.025", "q0.1", "q0.5", "q0.9", "q0.975")
            }
            jx = [hx[-1], *fx]
            last = fdi["history"][-1]["value"]
            ax.fill_between(
                jx, [last, *q["q0.025"]], [last, *q["q0.975"]], color=FAN, alpha=0.15, lw=0, label="95%"
            )
            ax.fill_between(
                jx, [last, *q["q0.1"]], [last, *q["q0.9"]], color=FAN, alpha=0.3, lw=0, label="80%"
            )
            ax.plot(jx, [last, *q["q0.5"]], color=FAN, lw=2, ls="--", label="forecast median")
        ax.set_title(fdi["label"], fontsize=8.5, color=INK, loc="left")
        ax.set_ylabel(fdi["unit"], fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.xaxis.get_major_locator().set_params(integer=True)
    if partner:
        _partner_bars(axes[0][i], partner, "Partner data: FDI projects and equity deals per year", ACCENT)
    for row in axes:
        for ax in row:
            ax.tick_params(labelsize=8)
            for s in ("top", "right"):
                ax.spines[s].set_visible(False)
    _footer(fig, footer)
    return _save(fig, path)


def _partner_bars(ax: Axes, partner: dict[str, Any], title: str, colour: str) -> None:
    yrs = np.array(partner["years"])
    ax.bar(yrs - 0.2, partner["fdi_projects"], width=0.4, color=colour, label="FDI projects")
    ax.bar(yrs + 0.2, partner["equity_deals"], width=0.4, color="#9ca3af", label="equity deals")
    ax.set_title(title, fontsize=8.5, color=colour if colour == SYNTH else INK, loc="left")
    ax.legend(fontsize=7, frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)


def partner_preview(partner: dict[str, Any], path: Path, footer: str, pool: FigurePool | None = None) -> Path:
    """Synthetic (demo) partner counts, marked as such in the title and the footer: preview only."""
    fig, axes = _subplots(pool, (5.2, 2.4))
    ax = axes[0][0]
    fig.subplots_adjust(left=0.08, right=0.98, top=0.8, bottom=0.3)
    _partner_bars(ax, partner, "SYNTHETIC DEMO DATA: partner FDI projects and equity deals per year", SYNTH)
    ax.tick_params(labelsize=8)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    _footer(fig, footer)
    return _save(fig, path)
