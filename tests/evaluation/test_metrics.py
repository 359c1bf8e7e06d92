"""Metrics on small hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.evaluation import metrics as M


def test_naive_scale_lag1_seasonal_and_zero_guard() -> None:
    assert M.naive_scale([1, 2, 4, 7]) == pytest.approx((1 + 2 + 3) / 3)
    assert M.naive_scale([1, 2, 3, 4, 2, 3, 4, 5], 4) == pytest.approx(1.0)
    assert M.naive_scale([1, 2, 4, 7], power=2) == pytest.approx((1 + 4 + 9) / 3)
    assert M.naive_scale([1, 2, 1, 2, 1, 2, 1, 2], 2) == pytest.approx(1.0)  # seasonal scale 0 -> lag 1
    assert M.naive_scale([5, 5, 5]) == pytest.approx(5.0)  # constant -> mean level
    assert M.naive_scale([0, 0, 0]) == 1.0
    assert M.naive_scale([3.0], 4) == 3.0  # too short for any difference


def test_mase_rmsse_by_hand() -> None:
    a = np.array([[10.0, 12.0], [1.0, 1.0]])
    f = np.array([[11.0, 9.0], [1.0, 3.0]])
    assert M.mase(a, f, [2.0, 1.0]) == pytest.approx([(0.5 + 1.5) / 2, (0 + 2) / 2])
    assert M.mase(a, f, [2.0, 1.0], reduce=False) == pytest.approx(np.array([[0.5, 1.5], [0, 2]]))
    assert M.rmsse(a, f, [4.0, 1.0]) == pytest.approx([np.sqrt((1 / 4 + 9 / 4) / 2), np.sqrt(2.0)])
    assert M.mase([10.0, 12.0], [11.0, 9.0], 2.0) == pytest.approx(1.0)  # 1-D in, scalar out


def test_smape_mape() -> None:
    assert M.smape([100.0], [50.0]) == pytest.approx(200 * 50 / 150)
    assert M.smape([0.0, 10.0], [0.0, 10.0]) == 0.0
    assert M.smape([0.0], [5.0]) == pytest.approx(200.0)
    assert M.mape([100.0, 200.0], [90.0, 250.0]) == pytest.approx((10 + 25) / 2)
    assert M.mape([0.0, 100.0], [1.0, 90.0]) == pytest.approx(10.0)  # zero actual skipped


def test_pinball_and_crps() -> None:
    a = np.array([10.0])
    losses = M.pinball(a, {0.1: np.array([8.0]), 0.9: np.array([8.0])})
    assert losses[0.1] == pytest.approx(0.2) and losses[0.9] == pytest.approx(1.8)
    assert M.pinball(a, {0.5: [12.0]}, scale=2.0)[0.5] == pytest.approx(0.5)
    # grid 0.25/0.5/0.75: trapezoid weights 1/4, 1/2, 1/4
    assert M.crps_weights([0.25, 0.5, 0.75]) == pytest.approx([0.25, 0.5, 0.25])
    q = {0.25: [9.0], 0.5: [10.0], 0.75: [11.0]}
    expect = 2 * (0.25 * 0.25 + 0.5 * 0 + 0.25 * 0.25)  # pinball 0.25 each at the outer quantiles
    assert M.crps([10.0], q) == pytest.approx(expect)


def test_crps_of_point_forecast_is_absolute_error() -> None:
    grid = np.linspace(0.01, 0.99, 99)
    q = {p: np.array([3.0]) for p in grid}
    assert M.crps([5.0], q) == pytest.approx(2.0, rel=1e-9)


def test_coverage_winkler_msis() -> None:
    a = np.array([[1.0, 5.0, 12.0, 10.0]])
    lo, hi = np.full((1, 4), 2.0), np.full((1, 4), 10.0)
    assert M.coverage(a, lo, hi) == pytest.approx([0.5])
    w = M.winkler(a, lo, hi, 80, reduce=False)
    # width 8; alpha 0.2 -> penalty 10 x distance outside
    assert w == pytest.approx(np.array([[8 + 10, 8, 8 + 20, 8]]))
    assert M.msis(a, lo, hi, 2.0, 80) == pytest.approx([np.mean([18, 8, 28, 8]) / 2])


def test_rows_without_any_finite_value_are_nan_without_warnings() -> None:
    """MAPE where every actual is zero (Local Authority project counts): NaN, and no 'Mean of empty slice'."""
    import warnings

    from forecasting.evaluation.metrics import mape

    actual = np.zeros((2, 3))
    actual[1] = [1.0, 2.0, 4.0]
    forecast = np.ones((2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = mape(actual, forecast)
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_naive_scale_of_a_huge_constant_series_is_finite_not_an_error() -> None:
    """Was: OverflowError (a Python float squared) on a constant 1e300 series, crashing forecast-csv."""
    from forecasting.evaluation.metrics import naive_scale

    assert naive_scale([1e300] * 6) == 1e300
    assert 0 < naive_scale([1e300] * 6, power=2) < float("inf")
