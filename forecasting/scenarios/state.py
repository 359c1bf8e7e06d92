"""What propagation passes between its parts: a series' difference from baseline (``State``), a
transmitted difference (``Transmitted``), the macro block's outcome, and helpers on them (numpy).

Why its own module: link transmission (``propagate``) and macro conditioning (``conditioning``) both read
and write these, and neither should import the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecasting.scenarios.alignment import align_deviation
from forecasting.scenarios.index import SeriesData

TINY = 1e-12


@dataclass
class State:
    """One series' difference from baseline: ``central`` (h,), ``draws`` (n, h) or None (= central)."""

    central: np.ndarray
    draws: np.ndarray | None
    channels: list[str] = field(default_factory=list)
    status: str = "moved"  # moved | baseline
    reason: str | None = None
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # assumption -> its share of central
    accounting: dict[str, Any] | None = None
    placed: np.ndarray | None = None  # the part from shocks: it stays where it was placed

    @property
    def moved(self) -> bool:
        return bool(np.any(self.central != 0)) or (self.draws is not None and bool(np.any(self.draws != 0)))

    def draws_or_central(self, n: int) -> np.ndarray:
        return self.draws if self.draws is not None else np.broadcast_to(self.central, (n, len(self.central)))


@dataclass
class Transmitted:
    central: np.ndarray
    draws: np.ndarray | None
    channels: list[str]
    status: str = "moved"
    reason: str | None = None
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    accounting: dict[str, Any] | None = None


@dataclass
class MacroOutcome:
    """What the macro block did in this scenario (for the output and the CLI)."""

    years: tuple[int, ...]
    responses: dict[str, dict[str, Any]]  # variable -> {rel, rel_draws, channels, dropped, parts}
    conditions: list[str]


def fractions(st: State) -> dict[str, float]:
    if not st.parts:
        return {"": 1.0}
    w = {k: float(np.sum(np.abs(v))) for k, v in st.parts.items()}
    z = sum(w.values())
    return {k: v / z for k, v in w.items()} if z > 0 else {"": 1.0}


def annual_rel(s: SeriesData, rel: np.ndarray, rd: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Relative deviations per calendar year: an annual series as it is; sub-annual periods weighted by
    their baseline (history periods of a year count with no deviation)."""
    h = len(rel)
    years = np.array([int(p[:4]) for p in s.periods[:h]])
    if s.frequency == "A":
        return rel, rd, [int(y) for y in years]
    hist = {}
    for p, v in s.history:
        hist.setdefault(int(p[:4]), []).append(v)
    per = 4 if s.frequency == "Q" else 12
    out_c, out_d, cover = [], [], []
    for y in np.unique(years):
        m = years == y
        b = s.mean[:h][m]
        w_hist = sum(hist.get(int(y), [])) if m.sum() < per else 0.0
        den = float(b.sum() + w_hist)
        if den <= 0:
            continue
        out_c.append(float((b * rel[m]).sum()) / den)
        out_d.append((rd[:, m] * b[None, :]).sum(axis=1) / den)
        cover.append(int(y))
    if not cover:
        return np.zeros(0), np.zeros((rd.shape[0], 0)), []
    return np.array(out_c), np.stack(out_d, axis=1), cover


def align_matrix(
    d_mean: np.ndarray, d_starts: np.ndarray, d_freq: str, t_starts: np.ndarray, t_freq: str
) -> np.ndarray:
    """``align_deviation`` as a matrix (it is linear in the deviations for fixed baseline weights), so
    thousands of draws are aligned with one product."""
    hd = len(d_starts)
    eye = np.eye(hd)
    return np.stack(
        [align_deviation(eye[j], d_mean, d_starts, d_freq, t_starts, t_freq) for j in range(hd)], axis=1
    )


__all__ = ["MacroOutcome", "State", "Transmitted", "align_matrix", "annual_rel", "fractions"]
