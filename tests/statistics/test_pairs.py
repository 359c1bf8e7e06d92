"""Two year-indexed series side by side and the elasticity from their differences (statistics.pairs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.statistics import consecutive_diffs, elasticity_ols, paired


def _s(values: list[float], years: list[int]) -> pd.Series:
    return pd.Series(values, index=pd.Index(years, name="year"), dtype=float)


def test_paired_keeps_the_years_both_observe_in_order_without_gaps_filled() -> None:
    y = _s([1.0, np.nan, 3.0, 4.0], [2001, 2002, 2003, 2005])
    x = _s([10.0, 20.0, 30.0, 50.0], [2005, 2002, 2003, 2001])
    df = paired(y, x)
    assert df.index.tolist() == [2001, 2003, 2005] and df.index.name == "year"
    assert df["y"].tolist() == [1.0, 3.0, 4.0] and df["x"].tolist() == [50.0, 30.0, 10.0]
    d = consecutive_diffs(_s([1.0, 2.0, 4.0, 8.0], [2001, 2002, 2003, 2005]).to_frame())
    assert d[:, 0].tolist() == [1.0, 2.0]  # 2003 -> 2005 is not consecutive


def test_elasticity_ols_finds_a_known_elasticity_on_logs_and_at_the_means() -> None:
    rng = np.random.default_rng(7)
    years = list(range(1990, 2020))
    x = np.exp(np.cumsum(rng.normal(0.02, 0.05, len(years))))
    y = x**0.6 * np.exp(rng.normal(0, 0.002, len(years)))
    b, se, model, n, _ = elasticity_ols(_s(list(y), years), _s(list(x), years), min_obs=5)
    assert model == "logdiff_ols" and n == len(years) - 1
    assert b == pytest.approx(0.6, abs=4 * se) and se < 0.05
    shifted = _s(list(y - y.min()), years)  # a zero value: differences, elasticity at the means
    got = elasticity_ols(shifted, _s(list(x), years), min_obs=5)
    assert got is not None and got[2] == "diff_ols_at_means"
    assert elasticity_ols(_s(list(y[:4]), years[:4]), _s(list(x[:4]), years[:4]), min_obs=5) is None
