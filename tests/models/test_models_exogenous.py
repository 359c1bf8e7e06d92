"""Exogenous drivers: shape checks, coefficient recovery, log elasticities, Prophet regressors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.base import Forecaster, ModelError, make, registry

EXOGENOUS = sorted(n for n, cls in registry().items() if cls.capabilities.exogenous)
PLAIN = sorted(n for n, cls in registry().items() if not cls.capabilities.exogenous and not n.startswith("_"))


def _data(n: int = 30, h: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 100 * np.exp(np.cumsum(rng.normal(0.02, 0.05, n + h)))
    y = np.exp(0.5 + 0.8 * np.log(x) + rng.normal(0, 0.02, n + h))
    return y, x[:, None]


def test_families_declare_exogenous_support() -> None:
    assert set(EXOGENOUS) >= {"regression_arima", "prophet"}


@pytest.mark.parametrize("name", PLAIN)
def test_non_exogenous_models_reject_X(name: str) -> None:
    y, X = _data()
    with pytest.raises(ModelError):
        make(name).fit(y[:30], X[:30])


@pytest.mark.parametrize("name", EXOGENOUS)
def test_exogenous_models_reject_X_of_the_wrong_shape(name: str) -> None:
    y, X = _data()
    with pytest.raises(ModelError):
        make(name).fit(y[:30], X[:29])
    bad = X[:30].copy()
    bad[3] = np.nan
    with pytest.raises(ModelError):
        make(name).fit(y[:30], bad)
    model = make(name).fit(y[:30], X[:30])
    with pytest.raises(ModelError):
        model.predict(6, X[30:35])  # 5 rows for h = 6
    with pytest.raises(ModelError):
        model.predict(6, np.hstack([X[30:], X[30:]]))  # 2 columns, fitted with 1
    with pytest.raises(ModelError):
        model.predict(6)  # fitted with X: future X is required


def test_regression_recovers_the_elasticity_on_logs() -> None:
    y, X = _data()
    model = make("regression_arima", log=True).fit(y[:30], X[:30])
    assert model.coefficients_.shape == (1,) and model.bse_.shape == (1,)
    assert abs(model.coefficients_[0] - 0.8) < 3 * model.bse_[0] + 0.05
    fc = model.predict(6, X[30:])
    assert fc.fallback is None and "[log]" in fc.method
    assert np.all(fc.quantiles[0.025] > 0)
    assert np.all(fc.quantiles[0.5] < fc.mean)  # lognormal: the mean sits above the median
    assert np.mean(np.abs(fc.mean / y[30:] - 1)) < 0.05
    restored = Forecaster.from_state(json.loads(json.dumps(model.get_state())))
    assert np.array_equal(restored.predict(6, X[30:]).mean, fc.mean)
    assert np.array_equal(restored.coefficients_, model.coefficients_)


def test_log_regression_needs_positive_data() -> None:
    y, X = _data()
    with pytest.raises(ModelError):
        make("regression_arima", log=True).fit(y[:30] - y.max(), X[:30])
    model = make("regression_arima", log=True).fit(y[:30], X[:30])
    with pytest.raises(ModelError):
        model.predict(6, -X[30:])


def test_regression_in_levels_and_without_drivers() -> None:
    y, X = _data()
    model = make("regression_arima").fit(y[:30], X[:30])
    assert np.isfinite(model.coefficients_).all() and model.coefficients_[0] > 0
    plain = make("regression_arima").fit(y[:30])
    assert plain.coefficients_.shape == (0,)
    assert np.all(np.isfinite(plain.predict(4).mean))


def test_prophet_uses_regressors() -> None:
    y, X = _data(n=16, h=4)
    model = make("prophet", seed=7).fit(y[:16], X[:16])
    fc = model.predict(4, X[16:])
    assert fc.fallback is None
    assert np.mean(np.abs(fc.mean / y[16:] - 1)) < 0.1
    restored = Forecaster.from_state(json.loads(json.dumps(model.get_state())))
    assert np.array_equal(restored.predict(4, X[16:]).quantiles[0.9], fc.quantiles[0.9])
