"""Family-specific behaviour: accuracy sanity checks, edge cases, combination rules."""

from __future__ import annotations

import numpy as np
import pytest
from model_series import quarterly

from models.base import ModelError, make


def _mae(name: str, y: np.ndarray, h: int, m: int = 1) -> float:
    fc = make(name, season_length=m).fit(y[:-h]).predict(h)
    return float(np.mean(np.abs(fc.mean - y[-h:])))


@pytest.mark.parametrize("name", ["ets", "theta", "arima", "combo"])
def test_beats_naive_on_a_smooth_trend(name: str) -> None:
    rng = np.random.default_rng(11)
    y = 50 + 3.0 * np.arange(24) + rng.normal(0, 0.8, 24)
    assert _mae(name, y, 6) < 0.5 * _mae("naive", y, 6)


@pytest.mark.parametrize("name", ["ets", "arima", "theta"])
def test_beats_naive_on_quarterly_seasonality(name: str) -> None:
    y = quarterly(40)
    assert _mae(name, y, 8, m=4) < _mae("naive", y, 8, m=4)


def test_ets_explosive_series_stays_finite_and_bounded() -> None:
    y = np.r_[np.exp(0.5 * np.arange(20)), 3.0, 1.0]  # exponential growth, then a crash
    fc = make("ets").fit(y).predict(6)
    assert np.all(np.isfinite(fc.mean))
    assert np.max(np.abs(fc.mean)) < 10 * np.ptp(y)


@pytest.mark.parametrize("name", ["arima", "theta", "ets", "regression_arima", "prophet"])
def test_constant_series(name: str) -> None:
    fc = make(name).fit(np.full(10, 4.0)).predict(3)
    assert np.allclose(fc.mean, 4.0, atol=1e-6)
    assert all(np.all(np.isfinite(v)) for v in fc.quantiles.values())


def test_arima_picks_drift_for_a_random_walk_with_drift() -> None:
    rng = np.random.default_rng(4)
    y = 10 + np.cumsum(2 + rng.normal(0, 0.5, 30))
    model = make("arima").fit(y)
    fc = model.predict(5)
    assert model.spec_.d == 1 and model.spec_.constant
    assert np.all(np.diff(fc.mean) > 1)


def test_ets_full_search_agrees_on_a_clear_case() -> None:
    y = quarterly(40)
    step = make("ets", season_length=4).fit(y)
    full = make("ets", season_length=4, search="full").fit(y)
    assert step.spec_[3] is not None and full.spec_[3] is not None  # both seasonal
    assert len(step.tried_) < len(full.tried_)


def test_ets_short_series_candidates_are_restricted() -> None:
    y = np.array([10.0, 12, 11, 13, 14, 13, 15])
    model = make("ets", season_length=4, search="full").fit(y)
    assert all(not damped and seasonal is None for _, _, damped, seasonal in model.tried_)


def test_combination_mean_and_median() -> None:
    rng = np.random.default_rng(2)
    y = 100 + np.cumsum(rng.normal(1, 2, 20))
    members = ["naive", "drift", "mean"]
    single = {name: make(name).fit(y).predict(4) for name in members}
    mean = make("combo", members=members).fit(y).predict(4)
    median = make("combo", members=members, how="median").fit(y).predict(4)
    stacked = np.vstack([single[n].mean for n in members])
    assert np.allclose(mean.mean, stacked.mean(axis=0)) and np.allclose(
        median.mean, np.median(stacked, axis=0)
    )
    assert np.allclose(mean.quantiles[0.1], np.mean([single[n].quantiles[0.1] for n in members], axis=0))
    assert mean.method == "combo(naive,drift,mean)" and median.method == "combo(median:naive,drift,mean)"


def test_combination_rejects_bad_params() -> None:
    with pytest.raises(ModelError):
        make("combo", members=[])
    with pytest.raises(ModelError):
        make("combo", how="max")
    with pytest.raises(ModelError):
        make("combo", members=["ets", "no_such_model"])


def test_prophet_does_not_disturb_the_global_rng() -> None:
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    make("prophet").fit(np.arange(10, dtype=float)).predict(3)
    assert np.random.rand() == expected


def test_theta_spread_matches_statsmodels_prediction_intervals() -> None:
    from scipy import stats

    from models.theta import theta_sd

    model = make("theta").fit(50 + 2.0 * np.arange(20) + np.sin(np.arange(20)))
    pi = np.asarray(model.res_.prediction_intervals(6, alpha=0.2), dtype=float)
    assert np.allclose((pi[:, 1] - pi[:, 0]) / (2 * stats.norm.ppf(0.9)), theta_sd(model.res_, 6))
