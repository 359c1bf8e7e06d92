"""Normalisation of metric values across clusters onto a common 0-1 "higher is better" scale.

Why three methods: the composite-indicator literature (OECD/JRC Handbook) shows rankings can hinge on
this choice, so the Monte Carlo draws it. All three return values in [0, 1] so that area scores can be
combined geometrically: min-max directly; z-scores through the standard normal CDF, Phi(z); percentile
ranks as mid-ranks, (number below + half the number equal) / n.

Arrays have clusters on ``axis`` (default -2: ``(..., clusters, metrics)``); NaN is missing and stays NaN.
Direction: lower-is-better metrics must be negated before calling (``orient``).

Measurement uncertainty (``noise``: one standard deviation per metric, last axis): no method may stretch a
difference smaller than the metric's uncertainty into a large score gap. Min-max spans at least
``NOISE_SPANS`` standard deviations (centred, so clusters within noise of each other sit near the middle
instead of at 0 and 1); z-scores divide by at least the noise; percentile ranks count clusters within one
standard deviation of each other as ties. With ``noise`` = 0 the methods are the textbook ones.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import ndtr

from forecasting.errors import InvalidParameter

Method = Literal["minmax", "zscore", "percentile"]
METHODS: tuple[Method, ...] = ("minmax", "zscore", "percentile")
NOISE_SPANS = 4.0  # a min-max scale covers at least this many measurement standard deviations


def _noise(noise: np.ndarray | None, x: np.ndarray, axis: int) -> np.ndarray:
    """Noise broadcast against ``x`` with the cluster axis kept (size 1)."""
    if noise is None:
        return np.zeros((1,) * x.ndim)
    n = np.nan_to_num(np.asarray(noise, float), nan=0.0)
    shape = [1] * x.ndim
    shape[-1] = n.shape[-1]
    if axis % x.ndim == x.ndim - 1:  # clusters on the last axis: metrics on the one before
        shape[-1], shape[-2] = 1, n.shape[-1]
    return n.reshape(shape)


def orient(values: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Multiply each metric (last axis) by +1 (higher is better) or -1 (lower is better)."""
    return np.asarray(values, float) * np.asarray(signs, float)


def minmax(x: np.ndarray, axis: int = -2, noise: np.ndarray | None = None) -> np.ndarray:
    """(x - min) / (max - min), the span floored at NOISE_SPANS x noise (centred); no spread -> 0.5."""
    lo = np.nanmin(x, axis=axis, keepdims=True)
    hi = np.nanmax(x, axis=axis, keepdims=True)
    floor = NOISE_SPANS * _noise(noise, x, axis)
    span = np.maximum(hi - lo, floor)
    mid = (hi + lo) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 0.5 + (x - mid) / np.where(span > 0, span, 1.0)
    return np.where(span > 0, out, np.where(np.isnan(x), np.nan, 0.5))


def zscore(x: np.ndarray, axis: int = -2, noise: np.ndarray | None = None) -> np.ndarray:
    """Phi((x - mean) / sd) with the population sd, floored at the noise; no spread maps to 0.5."""
    mu = np.nanmean(x, axis=axis, keepdims=True)
    sd = np.maximum(np.nanstd(x, axis=axis, keepdims=True), _noise(noise, x, axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - mu) / np.where(sd > 0, sd, 1.0)
    return ndtr(np.where(sd > 0, z, 0.0)) * np.where(np.isnan(x), np.nan, 1.0)


def percentile(x: np.ndarray, axis: int = -2, noise: np.ndarray | None = None) -> np.ndarray:
    """Mid-rank percentile: (count below + 0.5 * count tied) / n; within one noise sd is a tie."""
    xm = np.moveaxis(x, axis, -1)[..., :, None]  # (..., metrics, C, 1)
    other = np.moveaxis(x, axis, -1)[..., None, :]  # (..., metrics, 1, C)
    tol = np.moveaxis(_noise(noise, x, axis), axis, -1)[..., None]  # (..., metrics, 1, 1)
    valid = ~np.isnan(other)
    below = ((other < xm - tol) & valid).sum(-1)
    equal = ((np.abs(other - xm) <= tol) & valid).sum(-1)
    n = valid.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (below + 0.5 * equal) / np.where(n > 0, n, 1)
    out = np.where(np.isnan(xm[..., 0]), np.nan, out)
    return np.moveaxis(out, -1, axis)


def normalise(x: np.ndarray, method: Method, axis: int = -2, noise: np.ndarray | None = None) -> np.ndarray:
    if method == "minmax":
        return minmax(x, axis, noise)
    if method == "zscore":
        return zscore(x, axis, noise)
    if method == "percentile":
        return percentile(x, axis, noise)
    raise InvalidParameter(f"unknown normalisation {method!r}; choose one of {METHODS}")
