"""Normalisation of metric values across clusters onto a common 0-1 "higher is better" scale.

Why three methods: the composite-indicator literature (OECD/JRC Handbook) shows rankings can hinge on
this choice, so the Monte Carlo draws it. All three return values in [0, 1] so that area scores can be
combined geometrically: min-max directly; z-scores through the standard normal CDF, Phi(z); percentile
ranks as mid-ranks, (number below + half the number equal) / n.

Arrays have clusters on ``axis`` (default -2: ``(..., clusters, metrics)``); NaN is missing and stays NaN.
Direction: lower-is-better metrics must be negated before calling (``orient``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import ndtr

from forecasting.errors import InvalidParameter

Method = Literal["minmax", "zscore", "percentile"]
METHODS: tuple[Method, ...] = ("minmax", "zscore", "percentile")


def orient(values: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Multiply each metric (last axis) by +1 (higher is better) or -1 (lower is better)."""
    return np.asarray(values, float) * np.asarray(signs, float)


def minmax(x: np.ndarray, axis: int = -2) -> np.ndarray:
    """(x - min) / (max - min); a metric with no spread maps to 0.5 for every cluster."""
    lo = np.nanmin(x, axis=axis, keepdims=True)
    hi = np.nanmax(x, axis=axis, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - lo) / np.where(span > 0, span, 1.0)
    return np.where(span > 0, out, np.where(np.isnan(x), np.nan, 0.5))


def zscore(x: np.ndarray, axis: int = -2) -> np.ndarray:
    """Phi((x - mean) / sd) with the population sd; no spread maps to 0.5."""
    mu = np.nanmean(x, axis=axis, keepdims=True)
    sd = np.nanstd(x, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - mu) / np.where(sd > 0, sd, 1.0)
    return ndtr(np.where(sd > 0, z, 0.0)) * np.where(np.isnan(x), np.nan, 1.0)


def percentile(x: np.ndarray, axis: int = -2) -> np.ndarray:
    """Mid-rank percentile: (count below + 0.5 * count equal) / n, over non-missing clusters."""
    xm = np.moveaxis(x, axis, -1)[..., :, None]  # (..., metrics, C, 1)
    other = np.moveaxis(x, axis, -1)[..., None, :]  # (..., metrics, 1, C)
    valid = ~np.isnan(other)
    below = ((other < xm) & valid).sum(-1)
    equal = ((other == xm) & valid).sum(-1)
    n = valid.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (below + 0.5 * equal) / np.where(n > 0, n, 1)
    out = np.where(np.isnan(xm[..., 0]), np.nan, out)
    return np.moveaxis(out, -1, axis)


def normalise(x: np.ndarray, method: Method, axis: int = -2) -> np.ndarray:
    if method == "minmax":
        return minmax(x, axis)
    if method == "zscore":
        return zscore(x, axis)
    if method == "percentile":
        return percentile(x, axis)
    raise InvalidParameter(f"unknown normalisation {method!r}; choose one of {METHODS}")
