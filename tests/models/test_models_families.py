"""Every registered family: finite, monotone, non-negative when asked, deterministic, state round-trip."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from model_series import SERIES

from forecasting.vocabulary import QUANTILE_GRID
from models.base import Forecast, Forecaster, make, registry

FAMILIES = sorted(n for n in registry() if not n.startswith("_"))
H = 8


@cache
def fitted(name: str, key: str, seed: int = 0) -> tuple[Forecaster, Forecast]:
    y, m = SERIES[key]
    model = make(name, season_length=m, seed=seed).fit(y)
    return model, model.predict(H)


def same(a: Forecast, b: Forecast) -> bool:
    return np.array_equal(a.mean, b.mean) and all(
        np.array_equal(a.quantiles[q], b.quantiles[q]) for q in a.quantiles
    )


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("key", sorted(SERIES))
def test_forecast_is_finite_and_monotone(name: str, key: str) -> None:
    _, fc = fitted(name, key)
    assert fc.mean.shape == (H,)
    assert sorted(fc.quantiles) == sorted(QUANTILE_GRID)
    grid = np.vstack([fc.quantiles[q] for q in sorted(fc.quantiles)])
    assert np.all(np.isfinite(fc.mean)) and np.all(np.isfinite(grid))
    assert np.all(np.diff(grid, axis=0) >= 0)
    assert fc.method


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("key", sorted(SERIES))
def test_deterministic(name: str, key: str) -> None:
    y, m = SERIES[key]
    again = make(name, season_length=m, seed=0).fit(y).predict(H)
    assert same(fitted(name, key)[1], again)


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("key", sorted(SERIES))
def test_state_round_trip_reproduces_predictions(name: str, key: str) -> None:
    model, fc = fitted(name, key)
    state = json.loads(json.dumps(model.get_state()))  # JSON-safe
    restored = Forecaster.from_state(state)
    assert type(restored) is type(model)
    again = restored.predict(H)
    assert same(fc, again)
    assert again.fallback == fc.fallback


@pytest.mark.parametrize("name", FAMILIES)
def test_three_points_never_raise(name: str) -> None:
    fc = make(name).fit([3.0, 4.0, 5.0]).predict(4)
    assert np.all(np.isfinite(fc.mean))
    assert all(np.all(np.isfinite(v)) for v in fc.quantiles.values())


@pytest.mark.parametrize("name", FAMILIES)
def test_non_negative_on_series_trending_to_zero(name: str) -> None:
    rng = np.random.default_rng(5)
    y = np.maximum(60 - 5 * np.arange(12) + rng.normal(0, 1, 12), 1.0)
    fc = make(name, non_negative=True).fit(y).predict(6)
    assert np.all(fc.mean >= 0)
    assert all(np.all(v >= 0) for v in fc.quantiles.values())


@pytest.mark.parametrize("name", ["ets", "combo", "prophet"])
def test_seed_is_used_only_by_stochastic_parts(name: str) -> None:
    # positive, so ETS may choose a multiplicative (simulated-interval) model
    y = np.exp(np.linspace(3, 4, 20)) * (1 + 0.05 * np.sin(np.arange(20)))
    a = make(name, seed=1).fit(y).predict(5)
    b = make(name, seed=1).fit(y).predict(5)
    assert same(a, b)
