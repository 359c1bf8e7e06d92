"""Group figures a panel hands its series before fitting, per origin: the pooled relative drift slope
(``pooled_drift``) and the growth of the group's total (``group_share``).

Why a panel-level pre-step: ``pooled_drift`` (models/pooled_drift.py) shrinks one series' drift slope
toward its group's, and a model sees only its own history. Here, for each group of like series, at each
origin (counted back from the series' common last observation), the group's mean relative slope ``mu``
(mean step change over the last value) and its between-series variance beyond sampling noise ``tau2``
(the variance of the series' slopes less their mean sampling variance, floored at 0: the positive-part
James-Stein estimate) are computed from each series' data up to that origin only. Every series gets the
rows ``[n, mu, tau2]`` for each training length ``n`` it may be fitted on, so a backtest window never
sees its group's later data.

Series of one group are aligned on their last observation: callers group series that end together
(``forecast_many`` keys groups by calibration group and horizon, and a training horizon runs from each
series' last period to a common end). Series with a value <= 0 up to an origin are left out of that
origin's figures (a relative slope needs a positive level).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np

MIN_POOL_SERIES = 5  # James-Stein shrinkage needs 3+; a few more so that tau2 is not pure noise
MIN_POINTS = 3  # a slope and a variance of its steps


def relative_slopes(y: np.ndarray) -> tuple[float, float] | None:
    """``(r, v)``: a series' relative drift slope and its sampling variance; None when undefined."""
    if y.size < MIN_POINTS or not np.all(np.isfinite(y)) or float(np.min(y)) <= 0:
        return None
    d = np.diff(y)
    last = float(y[-1])
    return float(d.mean()) / last, float(np.var(d, ddof=1)) / d.size / last**2


def _group_histories(
    panel: Mapping[str, np.ndarray], key_of: Mapping[str, Hashable], min_series: int
) -> list[dict[str, np.ndarray]]:
    """The histories of each group (``key_of``'s values) of at least ``min_series`` series."""
    groups: dict[Hashable, list[str]] = {}
    for s, k in key_of.items():
        groups.setdefault(k, []).append(s)
    return [
        {s: np.asarray(panel[s], dtype=float) for s in members}
        for members in groups.values()
        if len(members) >= min_series
    ]


def group_slope_rows(
    panel: Mapping[str, np.ndarray], key_of: Mapping[str, Hashable], min_series: int = MIN_POOL_SERIES
) -> dict[str, list[list[float]]]:
    """Per series: rows ``[n, mu, tau2]`` of its group's pooled relative slope at training length ``n``
    (see the module doc); a series whose group is too small at every origin gets no rows."""
    out: dict[str, list[list[float]]] = {}
    for ys in _group_histories(panel, key_of, min_series):
        depth = max(y.size for y in ys.values()) - MIN_POINTS
        stats: dict[int, tuple[float, float]] = {}
        for back in range(max(depth, -1) + 1):  # ``back`` points before the common end
            got = [relative_slopes(y[: y.size - back]) for y in ys.values() if y.size - back >= MIN_POINTS]
            rv = np.array([g for g in got if g is not None], dtype=float)
            if len(rv) < min_series:
                continue
            r, v = rv[:, 0], rv[:, 1]
            stats[back] = (float(r.mean()), max(float(r.var(ddof=1)) - float(v.mean()), 0.0))
        for s, y in ys.items():
            rows = [
                [float(y.size - b), mu, tau2] for b, (mu, tau2) in sorted(stats.items()) if y.size - b >= 2
            ]
            if rows:
                out[s] = rows[::-1]  # oldest origin first
    return out


def total_growth(panel: Mapping[str, np.ndarray], min_series: int = MIN_POOL_SERIES) -> np.ndarray:
    """Per time point (aligned on the common last observation): the group total's growth ratio from the
    point before, over the members positive at both (chain-linked, so members that start late or drop
    out do not move it); NaN where fewer than ``min_series`` members have both points."""
    ys = [np.asarray(y, dtype=float) for y in panel.values()]
    length = max((y.size for y in ys), default=0)
    grid = np.full((len(ys), length), np.nan)
    for i, y in enumerate(ys):
        grid[i, length - y.size :] = y
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(grid) & (grid > 0)
    both = ok[:, 1:] & ok[:, :-1]
    now = np.where(both, grid[:, 1:], 0.0).sum(axis=0)
    before = np.where(both, grid[:, :-1], 0.0).sum(axis=0)
    ratio = np.full(length, np.nan)
    enough = (both.sum(axis=0) >= min_series) & (before > 0)
    ratio[1:][enough] = now[enough] / before[enough]
    return ratio


def index_slope(ratio: np.ndarray, end: int) -> float | None:
    """The relative drift slope at time ``end`` of the index chained from ``ratio``: the total's drift
    (last minus first over the steps) over its value at ``end``, on the longest unbroken run of known
    growth ratios ending there; None when that run has fewer than ``MIN_POINTS`` points."""
    start = end
    while start >= 1 and np.isfinite(ratio[start]):
        start -= 1
    steps = end - start
    if steps < MIN_POINTS - 1:
        return None
    first_over_last = 1.0 / float(np.prod(ratio[start + 1 : end + 1]))
    return (1.0 - first_over_last) / steps


def group_growth_rows(
    panel: Mapping[str, np.ndarray], key_of: Mapping[str, Hashable], min_series: int = MIN_POOL_SERIES
) -> dict[str, list[list[float]]]:
    """Per series: rows ``[n, g]``: at training length ``n``, ``g`` = the relative drift slope of its
    group's total (``total_growth``, ``index_slope``) from data up to that origin only; a series whose
    group is too small at every origin gets no rows."""
    out: dict[str, list[list[float]]] = {}
    for ys in _group_histories(panel, key_of, min_series):
        ratio = total_growth(ys, min_series)
        length = ratio.size
        slopes = {back: index_slope(ratio, length - 1 - back) for back in range(length)}
        for s, y in ys.items():
            rows = [
                [float(y.size - b), g] for b, g in sorted(slopes.items()) if g is not None and y.size - b >= 2
            ]
            if rows:
                out[s] = rows[::-1]  # oldest origin first
    return out
