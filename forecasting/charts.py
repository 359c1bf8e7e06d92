"""Matplotlib charts people would rather look at than read (headless backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def history_chart(series_id: str, obs: pd.DataFrame, path: Path, stale: str = "") -> Path:
    """Line chart of one series' observations (columns period, value, source, vintage).

    ``stale`` (``vocabulary.stale_reason``) is printed on the chart in the warning colour: a picture of
    a series that stopped years ago must say so, with the release it comes from and its age.
    """
    fig, ax = plt.subplots(figsize=(8, 4.4 if stale else 4), dpi=110)
    ax.plot(obs["period"].astype(str), obs["value"], marker="o", color="#1f4e79")
    ax.set_title(series_id + ("  [STALE]" if stale else ""), fontsize=11)
    if stale:
        ax.text(0, -0.3, _wrap(stale), transform=ax.transAxes, fontsize=7.5, color="#b35900", va="top")
    sources = ", ".join(sorted(set(obs["source"])))
    vintage = obs["vintage"].max()
    ax.text(
        0, -0.22, f"Source: {sources} · vintage {vintage}", transform=ax.transAxes, fontsize=8, color="#555"
    )
    step = max(1, len(obs) // 12)
    ax.set_xticks(range(0, len(obs), step))
    ax.set_xticklabels(obs["period"].astype(str).iloc[::step], rotation=45, ha="right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _wrap(text: str, width: int = 120) -> str:
    """Break a long note into lines for a chart footer."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
