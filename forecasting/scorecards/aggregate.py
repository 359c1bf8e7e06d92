"""Aggregation from the geography a source holds (LAD, ITL3, ITL2, ITL1) to each cluster.

Why separate from the metrics: these few rules are the economics of the scorecard (sums for stocks and
flows, employment-weighted means for rates, apportionment by employment where a source is not split by
industry), so they live in one small place with exact, hand-checkable tests.

Conventions: ``weights``/``shares`` are DataFrames indexed by area code with one column per cluster;
values/rates are Series indexed by area code. Areas missing from either side are left out (a suppressed
cell contributes nothing rather than a guessed zero).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def sum_areas(values: pd.DataFrame, areas: list[str] | None = None) -> pd.Series:
    """Stocks and flows: a cluster's value is the sum of its values over ``areas`` (all rows if None)."""
    rows = values if areas is None else values.reindex([a for a in areas if a in values.index])
    return rows.sum(axis=0, min_count=1)


def employment_shares(cluster_emp: pd.DataFrame, total_emp: pd.Series) -> pd.DataFrame:
    """Each cluster's share of each area's total employment (areas x clusters)."""
    total = total_emp.reindex(cluster_emp.index)
    return cluster_emp.div(total.where(total > 0), axis=0)


def apportion(area_values: pd.Series, shares: pd.DataFrame) -> pd.Series:
    """A source not split by industry: sum over areas of (area value x cluster's employment share)."""
    common = shares.index.intersection(area_values.dropna().index)
    if common.empty:
        return pd.Series(np.nan, index=shares.columns)
    return shares.loc[common].mul(area_values.loc[common], axis=0).sum(axis=0, min_count=1)


def weighted_mean(rates: pd.Series, weights: pd.DataFrame) -> pd.Series:
    """Rates: mean of area rates weighted by each cluster's weight (its employment) in the area."""
    common = weights.index.intersection(rates.dropna().index)
    w = weights.loc[common].clip(lower=0)
    total = w.sum(axis=0)
    out = w.mul(rates.loc[common], axis=0).sum(axis=0) / total.where(total > 0)
    return out.reindex(weights.columns)


def roll_up_rates(rates: pd.Series, weights: pd.Series, parent_of: Mapping[str, str]) -> pd.Series:
    """Rates of child areas to their parents, weighted (e.g. LAD birth rates to ITL2 by active businesses)."""
    df = pd.DataFrame({"rate": rates, "w": weights}).dropna()
    df = df[df.index.isin(list(parent_of))]
    if df.empty:
        return pd.Series(dtype=float)
    df["parent"] = [parent_of[c] for c in df.index]
    df["rw"] = df["rate"] * df["w"]
    g = df.groupby("parent")[["rw", "w"]].sum()
    return g["rw"] / g["w"].where(g["w"] > 0)


def cagr(first: pd.Series | float, last: pd.Series | float, years: float) -> pd.Series | float:
    """Compound annual growth in percent; NaN where a level is not positive or ``years`` <= 0."""
    if years <= 0:
        return np.nan * last
    a = pd.Series(first, dtype=float) if not np.isscalar(first) else float(first)
    b = pd.Series(last, dtype=float) if not np.isscalar(last) else float(last)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = b / a
        out = (np.power(ratio, 1.0 / years) - 1.0) * 100.0
    if isinstance(out, pd.Series):
        return out.where((a > 0) & (b > 0) if isinstance(a, pd.Series) else (b > 0) & (a > 0))
    return out if (a > 0 and b > 0) else np.nan


def pct_change(before: pd.Series, after: pd.Series) -> pd.Series:
    """Percentage change, NaN where the base is zero or missing."""
    return (after / before.where(before > 0) - 1.0) * 100.0
