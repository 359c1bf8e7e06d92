"""Guards in models.base: too short -> fallback, bad input -> ModelError, explosive/non-finite -> fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from models import base
from models.base import Capabilities, Forecast, Forecaster, ModelError, gaussian_quantiles, make, register


class _Wild(Forecaster):
    """Test family whose output is controlled by params: 'explode', 'nan', 'raise' or 'ok'."""

    name = "_test_wild"
    capabilities = Capabilities(min_length=6)

    def _fit(self, y, X):
        if self.params.get("mode") == "raise_fit":
            raise np.linalg.LinAlgError("singular")

    def _predict(self, h, X, quantiles):
        mode = self.params.get("mode", "ok")
        if mode == "raise":
            raise FloatingPointError("overflow")
        if mode == "bad_input":
            raise ModelError("bad input detected late")
        mean = np.full(h, self.y_[-1])
        if mode == "explode":
            mean = self.y_[-1] * 1e6 ** np.arange(1, h + 1)
        if mode == "nan":
            mean[-1] = np.nan
        qs = gaussian_quantiles(mean, np.ones(h), quantiles)
        qs[quantiles[0]], qs[quantiles[-1]] = qs[quantiles[-1]], qs[quantiles[0]]  # deliberately unsorted
        return Forecast(mean, qs)


Y = np.array([10.0, 11, 12, 11, 13, 14, 15, 14])


@pytest.fixture(autouse=True, scope="module")
def _registered() -> Iterator[None]:
    """Register the test family only while this module runs, so other tests never see it."""
    register(_Wild)
    yield
    base._REGISTRY.pop(_Wild.name, None)


def test_too_short_fits_the_fallback_with_a_reason() -> None:
    model = make("_test_wild").fit(Y[:3])
    fc = model.predict(4)
    assert "needs at least 6" in fc.fallback
    assert fc.method == "naive" and np.all(np.isfinite(fc.mean))


def test_single_point_still_forecasts() -> None:
    fc = make("ets").fit([5.0]).predict(3)
    assert np.all(fc.mean == 5.0) and fc.fallback


@pytest.mark.parametrize("y", [[], [1.0, np.nan, 2.0], [1.0, np.inf, 3.0]])
def test_empty_or_non_finite_history_raises(y: list[float]) -> None:
    with pytest.raises(ModelError):
        make("naive").fit(y)


@pytest.mark.parametrize("mode", ["explode", "nan", "raise", "raise_fit"])
def test_numerical_failures_fall_back(mode: str) -> None:
    fc = make("_test_wild", mode=mode).fit(Y).predict(5)
    assert fc.fallback and np.all(np.isfinite(fc.mean))
    assert np.all(np.abs(fc.mean - Y[-1]) < 10)


def test_model_error_from_a_family_reaches_the_caller() -> None:
    with pytest.raises(ModelError):
        make("_test_wild", mode="bad_input").fit(Y).predict(3)


def test_quantiles_are_sorted_and_clipped() -> None:
    fc = make("_test_wild", non_negative=True).fit(np.full(8, 0.2)).predict(3)
    grid = np.vstack([fc.quantiles[q] for q in sorted(fc.quantiles)])
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(grid >= 0)


def test_predict_argument_checks() -> None:
    model = make("naive").fit(Y)
    with pytest.raises(ModelError):
        model.predict(0)
    with pytest.raises(ModelError):
        model.predict(3, quantiles=[0.0, 0.5])
    with pytest.raises(ModelError):
        make("naive").predict(3)
    with pytest.raises(ModelError):
        make("no_such_model")


def test_from_state_dispatches_on_the_name() -> None:
    model = make("drift", seed=3).fit(Y)
    restored = Forecaster.from_state(json.loads(json.dumps(model.get_state())))
    assert type(restored).__name__ == "Drift"
    assert np.array_equal(restored.predict(4).mean, model.predict(4).mean)
    with pytest.raises(ModelError):
        Forecaster.from_state({"name": "nope"})
