"""Forecast accuracy and interval metrics, vectorised over ``(n_series, h)`` arrays.

Every metric takes ``actual`` and forecasts shaped ``(n_series, h)`` (or ``(h,)`` for one series) and
returns the per-series score averaged over the horizon (``reduce=True``) or the elementwise values
(``reduce=False``). Averaging over the horizon first and then over series is how the tourism competition
and M4 report scores (BENCHMARKS.md). Scaled metrics take the per-series in-sample scale from
:func:`naive_scale`, which never returns zero, so MASE/RMSSE are always finite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ArrayLike = np.ndarray | Sequence[float]


def _2d(a: ArrayLike) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    return arr[None, :] if arr.ndim == 1 else arr


def _out(values: np.ndarray, reduce: bool, squeeze: bool) -> np.ndarray:
    """Row means over the finite values; a row with none (e.g. MAPE where every actual is zero) is NaN."""
    if reduce:
        finite = np.isfinite(values)
        n = finite.sum(axis=-1)
        total = np.where(finite, values, 0.0).sum(axis=-1)
        out = np.divide(total, n, out=np.full(n.shape, np.nan), where=n > 0)
    else:
        out = values
    return out[0] if squeeze else out


def _col(scale: ArrayLike | float, n: int) -> np.ndarray:
    s = np.asarray(scale, dtype=float).reshape(-1)
    return np.broadcast_to(s if s.size == n else s[:1], (n,))[:, None]


def naive_scale(y: ArrayLike, season_length: int = 1, *, power: int = 1) -> float:
    """In-sample mean |y_t - y_{t-m}|**power (MASE: power=1, RMSSE: power=2) with a zero guard.

    Falls back to lag 1 when the series is shorter than a season + 1 or the seasonal scale is zero,
    then to the mean level (constant series), then to 1.0 so the scale is always positive.
    """
    y = np.asarray(y, dtype=float).ravel()
    y = y[np.isfinite(y)]
    for m in (season_length, 1) if season_length > 1 else (1,):
        if y.size > m:
            s = float(np.mean(np.abs(y[m:] - y[:-m]) ** power))
            if s > 1e-12:
                return s
    with np.errstate(over="ignore"):  # a constant 1e300 squared overflows: cap, never raise
        level = float(np.mean(np.abs(y)) ** power) if y.size else 0.0
    level = min(level, float(np.finfo(float).max))
    return level if level > 1e-12 else 1.0


def mase(actual: ArrayLike, mean: ArrayLike, scale: ArrayLike | float, *, reduce: bool = True) -> np.ndarray:
    """Mean absolute scaled error; ``scale`` from ``naive_scale(y, m)``, one per series."""
    a, f = _2d(actual), _2d(mean)
    return _out(np.abs(a - f) / _col(scale, a.shape[0]), reduce, np.ndim(actual) == 1)


def rmsse(
    actual: ArrayLike, mean: ArrayLike, scale_sq: ArrayLike | float, *, reduce: bool = True
) -> np.ndarray:
    """Root mean squared scaled error; ``scale_sq`` from ``naive_scale(y, m, power=2)``.

    With ``reduce=False`` returns the squared scaled errors (the root applies to the horizon mean).
    """
    a, f = _2d(actual), _2d(mean)
    sq = (a - f) ** 2 / _col(scale_sq, a.shape[0])
    if not reduce:
        return sq[0] if np.ndim(actual) == 1 else sq
    return _out(np.sqrt(np.nanmean(sq, axis=-1, keepdims=True)), True, np.ndim(actual) == 1)


def smape(actual: ArrayLike, mean: ArrayLike, *, reduce: bool = True) -> np.ndarray:
    """Symmetric MAPE on the 0-200 scale (M4 definition); 0/0 counts as a perfect forecast."""
    a, f = _2d(actual), _2d(mean)
    den = np.abs(a) + np.abs(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(den > 0, 200.0 * np.abs(a - f) / den, 0.0)
    return _out(v, reduce, np.ndim(actual) == 1)


def mape(actual: ArrayLike, mean: ArrayLike, *, reduce: bool = True) -> np.ndarray:
    """Mean absolute percentage error (0-100 scale); zero actuals are undefined (NaN) and skipped."""
    a, f = _2d(actual), _2d(mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(a != 0, 100.0 * np.abs(a - f) / np.abs(a), np.nan)
    return _out(v, reduce, np.ndim(actual) == 1)


def pinball(
    actual: ArrayLike,
    quantiles: Mapping[float, ArrayLike],
    *,
    scale: ArrayLike | float | None = None,
    reduce: bool = True,
) -> dict[float, np.ndarray]:
    """Pinball (quantile) loss per probability: ``max(q (a - x), (q - 1)(a - x))``, optionally scaled."""
    a = _2d(actual)
    div = 1.0 if scale is None else _col(scale, a.shape[0])
    out: dict[float, np.ndarray] = {}
    for q, x in quantiles.items():
        d = a - _2d(x)
        out[float(q)] = _out(np.maximum(q * d, (q - 1) * d) / div, reduce, np.ndim(actual) == 1)
    return out


def crps_weights(probs: Sequence[float]) -> np.ndarray:
    """Trapezoid weights over the probability grid, normalised to sum to one."""
    p = np.asarray(sorted(probs), dtype=float)
    if p.size == 1:
        return np.ones(1)
    w = np.zeros_like(p)
    dp = np.diff(p)
    w[:-1] += dp / 2
    w[1:] += dp / 2
    return w / w.sum()


def crps(
    actual: ArrayLike,
    quantiles: Mapping[float, ArrayLike],
    *,
    scale: ArrayLike | float | None = None,
    reduce: bool = True,
) -> np.ndarray:
    """CRPS approximated from the quantile grid: ``2 * sum_j w_j * pinball_j`` (trapezoid weights).

    CRPS = 2 * integral_0^1 pinball_q dq; on a grid this is a weighted mean, exact as the grid fills (0, 1).
    """
    losses = pinball(actual, quantiles, scale=scale, reduce=False)
    probs = sorted(losses)
    w = crps_weights(probs)
    v = 2.0 * sum(wj * np.asarray(losses[p]) for wj, p in zip(w, probs, strict=True))
    v = np.asarray(v, dtype=float)
    if not reduce:
        return v
    return np.nanmean(v, axis=-1)


def coverage(actual: ArrayLike, lo: ArrayLike, hi: ArrayLike, *, reduce: bool = True) -> np.ndarray:
    """Share of actuals inside ``[lo, hi]``."""
    a = _2d(actual)
    v = ((a >= _2d(lo)) & (a <= _2d(hi))).astype(float)
    return _out(v, reduce, np.ndim(actual) == 1)


def winkler(
    actual: ArrayLike, lo: ArrayLike, hi: ArrayLike, level: float, *, reduce: bool = True
) -> np.ndarray:
    """Winkler (interval) score: width + 2/alpha x distance outside the interval; ``level`` in percent."""
    alpha = 1.0 - level / 100.0
    a, lo2, hi2 = _2d(actual), _2d(lo), _2d(hi)
    v = (hi2 - lo2) + 2.0 / alpha * (np.maximum(lo2 - a, 0.0) + np.maximum(a - hi2, 0.0))
    return _out(v, reduce, np.ndim(actual) == 1)


def msis(
    actual: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    scale: ArrayLike | float,
    level: float = 95.0,
    *,
    reduce: bool = True,
) -> np.ndarray:
    """Mean scaled interval score (M4): Winkler score divided by the MASE scale."""
    a = _2d(actual)
    v = winkler(a, lo, hi, level, reduce=False) / _col(scale, a.shape[0])
    return _out(v, reduce, np.ndim(actual) == 1)
