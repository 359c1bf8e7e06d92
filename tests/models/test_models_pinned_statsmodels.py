"""Pinned specifications of the statsmodels families (ets, arima, theta): what a backtest refits at its
later origins instead of searching again (``Forecaster.pinned``, backtest.py's ``search="first"``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_series import annual, quarterly

from forecasting.evaluation.backtest import backtest
from models import arima as arima_module
from models.base import Forecast, make


def _same(a: Forecast, b: Forecast) -> bool:
    return np.array_equal(a.mean, b.mean) and all(
        np.array_equal(a.quantiles[q], b.quantiles[q]) for q in a.quantiles
    )


@pytest.mark.parametrize(
    ("name", "m", "n"), [("ets", 4, 40), ("arima", 4, 40), ("theta", 4, 40), ("ets", 1, 25), ("arima", 1, 25)]
)
def test_pinned_refit_on_the_same_history_is_the_searched_fit(name: str, m: int, n: int) -> None:
    y = quarterly(n) if m > 1 else annual(n)
    searched = make(name, season_length=m).fit(y)
    pins = searched.pinned()
    assert pins and json.loads(json.dumps(pins)) == pins  # JSON-safe: it travels in the model state
    fixed = make(name, season_length=m, **pins).fit(y)
    assert fixed.fallback_ is None and fixed.pinned() == pins
    assert _same(searched.predict(8), fixed.predict(8))


def test_pinned_arima_fits_once_and_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    y = quarterly(40)
    spec = arima_module.Spec(0, 1, 1, 0, 0, 1, 4, True)  # not what the search picks on this series
    assert make("arima", season_length=4).fit(y).spec_ != spec
    calls = []
    original = arima_module.fit_spec
    monkeypatch.setattr(arima_module, "fit_spec", lambda *a: calls.append(a[2]) or original(*a))
    model = make("arima", season_length=4, spec=spec.to_json()).fit(y)
    assert calls == [spec] and model.spec_ == spec and model.predict(4).method == spec.label()


def test_pinned_ets_fits_that_specification_only() -> None:
    y = quarterly(40)
    model = make("ets", season_length=4, spec=["add", None, False, None]).fit(y)  # ANN: not the search's
    assert make("ets", season_length=4).fit(y).spec_ != ("add", None, False, None)
    assert list(model.tried_) == [("add", None, False, None)] and model.predict(3).method == "ets(ANN)"


def test_pinned_theta_skips_the_seasonality_test() -> None:
    y = quarterly(40)
    assert make("theta", season_length=4).fit(y).pinned() == {"spec": "seasonal"}
    plain = make("theta", season_length=4, spec="none").fit(y)
    assert plain.pinned() == {"spec": "none"} and not plain.mul_
    assert not np.allclose(plain.predict(8).mean, make("theta", season_length=4).fit(y).predict(8).mean)
    assert make("theta").fit(annual(12)).pinned() == {}  # annual: nothing tested, nothing to pin


def test_pinned_specification_the_history_cannot_take_is_searched_again() -> None:
    y = quarterly(40)
    y[-1] = 0.0  # multiplicative parts need positive data
    ets = make("ets", season_length=4, spec=["mul", "add", False, "mul"]).fit(y)
    assert ets.fallback_ is None and ets.spec_[0] == "add" and len(ets.tried_) > 1
    short = annual(6)  # an ARIMA(2,1,2)+c has no AICc on 6 points: search instead
    arima = make("arima", spec=[2, 1, 2, 0, 0, 0, 1, 1]).fit(short)
    assert arima.fallback_ is None and arima.spec_ != arima_module.Spec(2, 1, 2, 0, 0, 0, 1, True)


@pytest.mark.parametrize("name", ["ets", "arima", "theta"])
def test_backtest_refits_the_earliest_origins_specification(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    y = quarterly(48)
    first = backtest(y, name, 4, n_windows=3, season_length=4, search="first")
    o = first.windows[0].origin
    assert first.pinned == make(name, season_length=4).fit(y[:o]).pinned() and first.pinned
    for w in first.windows[1:]:  # later origins: the pinned specification, parameters re-estimated
        fc = make(name, season_length=4, **first.pinned).fit(y[: w.origin]).predict(4)
        assert np.array_equal(fc.mean, w.mean)
    if name == "arima":  # and no search at the later origins
        searches = []
        original = arima_module.search
        monkeypatch.setattr(arima_module, "search", lambda *a, **k: searches.append(1) or original(*a, **k))
        backtest(y, name, 4, n_windows=3, season_length=4, search="first")
        assert len(searches) == 1


def test_search_fit_is_statsmodels_fit() -> None:
    """``fit_spec`` skips the results object, not the optimisation: same parameters and likelihood."""
    import warnings

    y = quarterly(40)
    spec = arima_module.Spec(1, 0, 1, 0, 1, 1, 4, True)
    params, llf = arima_module.fit_spec(y, None, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = arima_module._sarimax(y, None, spec, simple=True).fit(**arima_module._FIT_OPTIONS)
    assert np.array_equal(params, np.asarray(res.params)) and llf == pytest.approx(float(res.llf), rel=1e-12)


def test_ets_candidate_aicc_is_statsmodels_results_aicc() -> None:
    """ETS candidates skip the results object (and its numerical covariance), not the fit: same AICc, and
    the chosen model's results are what ``ETSModel.fit`` returns."""
    import warnings

    from models import ets as ets_module

    y = quarterly(40)
    model = make("ets", season_length=4).fit(y)
    assert len(model.tried_) > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec, aicc in model.tried_.items():
            res = ets_module._model(y, spec, model.m_).fit(**ets_module._FIT_OPTIONS)
            assert aicc == float(res.aicc)
            if spec == model.spec_:
                assert np.array_equal(res.forecast(8), model.res_.forecast(8)) and res.mse == model.res_.mse
