"""Least squares with heteroskedasticity- and autocorrelation-consistent (Newey-West) standard errors.

Why by hand: thousands of bivariate fits per training run; a statsmodels model per pair costs far more
than these few numpy lines, and the estimators are textbook.
"""

from __future__ import annotations

import math

import numpy as np


def ols_slope(y: np.ndarray, x: np.ndarray, hac_lags: int = 0) -> tuple[float, float] | None:
    """Slope and its se in y = a + b x; Newey-West (Bartlett) se when ``hac_lags`` > 0.

    None when x is constant or the fit is degenerate.
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    n = len(y)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if n < 3 or sxx <= 0:
        return None
    b = float(xc @ (y - y.mean())) / sxx
    resid = y - y.mean() - b * xc
    if hac_lags > 0:
        g = xc * resid
        s = float(g @ g)
        for lag in range(1, min(hac_lags, n - 1) + 1):
            s += 2 * (1 - lag / (hac_lags + 1)) * float(g[lag:] @ g[:-lag])
        var = max(s, 0.0) / sxx**2 * n / (n - 2)
    else:
        var = float(resid @ resid) / (n - 2) / sxx
    se = math.sqrt(max(var, 0.0))
    return (b, se) if math.isfinite(b) and math.isfinite(se) and se > 0 else None


def hac_lags(n: int) -> int:
    """The usual Newey-West bandwidth floor(4 (n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9)))


def mean_se(x: np.ndarray) -> float:
    """The HAC (Newey-West) standard error of a series' mean."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 3:
        return float("nan")
    e = x - x.mean()
    s = float(e @ e)
    lags = hac_lags(n)
    for lag in range(1, min(lags, n - 1) + 1):
        s += 2 * (1 - lag / (lags + 1)) * float(e[lag:] @ e[:-lag])
    return math.sqrt(max(s, 0.0)) / n


__all__ = ["hac_lags", "mean_se", "ols_slope"]
