"""Two year-indexed series side by side, and the elasticity of one on the other from their differences.

Generic statistics (engine layer): nothing about which series or units; transmission estimation runs
these for thousands of pairs, so they stay in numpy where they can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.statistics.regression import ols_slope


def paired(y: pd.Series, x: pd.Series) -> pd.DataFrame:
    """The periods both series observe, in order, as columns y and x (numpy: called for thousands of pairs)."""
    common, iy, ix = np.intersect1d(y.index.to_numpy(), x.index.to_numpy(), return_indices=True)
    yv, xv = y.to_numpy(dtype=float)[iy], x.to_numpy(dtype=float)[ix]
    ok = np.isfinite(yv) & np.isfinite(xv)
    return pd.DataFrame({"y": yv[ok], "x": xv[ok]}, index=pd.Index(common[ok], name=y.index.name))


def consecutive_diffs(df: pd.DataFrame) -> np.ndarray:
    years = df.index.to_numpy()
    return np.diff(df.to_numpy(), axis=0)[np.diff(years) == 1]


def elasticity_ols(y: pd.Series, x: pd.Series, min_obs: int) -> tuple[float, float, str, int, str] | None:
    """Log-difference OLS (both positive) or difference OLS with the elasticity at the sample means."""
    common, iy, ix = np.intersect1d(y.index.to_numpy(), x.index.to_numpy(), return_indices=True)
    yv, xv = y.to_numpy(dtype=float)[iy], x.to_numpy(dtype=float)[ix]
    ok = np.isfinite(yv) & np.isfinite(xv)
    years, both = common[ok], np.column_stack([yv[ok], xv[ok]])  # what ``paired`` holds, as arrays
    consecutive = np.diff(years) == 1
    if (both > 0).all():  # thousands of pairs: numpy here, a frame only on the rare path below
        d = np.diff(np.log(both), axis=0)[consecutive]
        if len(d) < min_obs:
            return None
        fit = ols_slope(d[:, 0], d[:, 1])
        if fit is None:
            return None
        return fit[0], fit[1], "logdiff_ols", len(d), "OLS on annual log-differences"
    df = paired(y, x)
    d = np.diff(df.to_numpy(), axis=0)[consecutive]
    my, mx = float(df["y"].mean()), float(df["x"].mean())
    if len(d) < min_obs or abs(my) < 1e-12 * max(abs(mx), 1.0) or my == 0:
        return None
    fit = ols_slope(d[:, 0], d[:, 1])
    if fit is None:
        return None
    k = mx / my
    return (
        fit[0] * k,
        abs(fit[1] * k),
        "diff_ols_at_means",
        len(d),
        "OLS on annual differences (zero/negative values), elasticity at the sample means",
    )
