"""statsforecast-backed families and the shrunk combination: what the generic family tests do not pin."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_series import annual, quarterly

from models.base import Forecaster, make
from models.combination import trend_weight


@pytest.mark.parametrize("name", ["ets_sf", "theta_sf", "arima_sf"])
def test_statsforecast_families_match_statsforecast_means(name: str) -> None:
    import statsforecast.models as sfm

    y = quarterly(40)
    ours = make(name, season_length=4).fit(y).predict(8)
    cls = {"ets_sf": sfm.AutoETS, "theta_sf": sfm.AutoTheta, "arima_sf": sfm.AutoARIMA}[name]
    theirs = cls(season_length=4).forecast(y=y, h=8, level=[80])
    assert np.allclose(ours.mean, theirs["mean"])
    lo, hi = ours.interval(80)  # same width; centred on the mean (AutoTheta's own is sampled, asymmetric)
    width = np.asarray(theirs["hi-80"], float) - np.asarray(theirs["lo-80"], float)
    assert np.allclose(hi - lo, width, rtol=1e-4) and np.allclose((hi + lo) / 2, ours.mean)
    assert ours.fallback is None and ours.method.startswith(name)


def test_ets_sf_short_series_falls_back_and_says_so() -> None:
    fc = make("ets_sf").fit(annual(6)).predict(2)
    assert fc.fallback and "at least 7" in fc.fallback and fc.method == "naive"


def test_trend_weight_keeps_a_steady_trend_and_drops_noise() -> None:
    t = np.arange(25.0)
    steady = 100 + 3 * t + np.random.default_rng(1).normal(0, 0.5, 25)
    walk = 100 + np.cumsum(np.random.default_rng(2).normal(0, 5, 25))
    assert trend_weight(steady) > 0.99
    assert trend_weight(walk) < 0.5
    assert trend_weight(100 + 2 * t) == 1.0 and trend_weight(np.full(9, 4.0)) == 0.0
    d = np.diff(walk)
    t2 = d.mean() ** 2 / (d.var(ddof=1) / d.size)
    assert trend_weight(walk, c=2.0) == pytest.approx(t2 / (t2 + 2.0))


def test_shrunk_combo_lies_between_naive_and_the_combination() -> None:
    y = annual(12)
    model = make("shrunk_combo").fit(y)
    fc = model.predict(4)
    naive = make("naive").fit(y).predict(4)
    comb = make("combo", members=["drift", "theta_sf", "ets_sf"]).fit(y).predict(4)
    w = model.weight_
    assert 0 < w < 1 and w == pytest.approx(trend_weight(y))
    assert np.allclose(fc.mean, naive.mean + w * (comb.mean - naive.mean))
    restored = Forecaster.from_state(json.loads(json.dumps(model.get_state())))
    assert np.array_equal(restored.predict(4).mean, fc.mean)
    with pytest.raises(Exception, match="anchor"):
        make("shrunk_combo", anchor="drift")


@pytest.mark.parametrize("m", [1, 4, 12])
def test_theta_interval_is_statsforecasts_own(m: int) -> None:
    """``theta_forecast80`` skips scipy's per-step frozen distribution but keeps every number."""
    import warnings

    from statsforecast.models import AutoTheta

    from models.statsforecast_models import theta_forecast80

    rng = np.random.default_rng(m)
    for n in (5, 9, 30, 60):
        y = 100 * np.exp(np.cumsum(rng.normal(0.02, 0.08, n))) * (1 + 0.1 * np.sin(np.arange(n) * 6.28 / m))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = AutoTheta(season_length=m).fit(y)
            want = fit.predict(7, level=[80])
            got = theta_forecast80(fit.model_, 7)
        for key in ("mean", "lo-80", "hi-80"):
            np.testing.assert_array_equal(got[key], want[key])


def test_memo_normal_quantiles_keeps_statsforecasts_ets_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memoised normal z gives AutoETS exactly the interval statsforecast computes without it, and
    other distributions still reach statsforecast's own function."""
    import warnings

    import statsforecast.utils as sfu
    from statsforecast.models import AutoETS

    import models.statsforecast_models as sfm

    original = sfu._quantiles
    rng = np.random.default_rng(3)
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m, n in ((1, 9), (1, 30), (4, 40), (12, 60)):
            y = (
                100
                * np.exp(np.cumsum(rng.normal(0.02, 0.08, n)))
                * (1 + 0.1 * np.sin(np.arange(n) * 6.28 / m))
            )
            fit = AutoETS(season_length=m).fit(y)
            fits.append((fit, fit.predict(7, level=[80, 95])))
        monkeypatch.setattr(sfm, "_MEMO_INSTALLED", False)
        monkeypatch.setattr(sfu, "_quantiles", original)  # restored after the test
        sfm.memo_normal_quantiles()
        assert sfu._quantiles is not original
        for _ in range(2):  # first call fills the memo, the second reads it
            for fit, want in fits:
                got = fit.predict(7, level=[80, 95])
                for key in want:
                    np.testing.assert_array_equal(got[key], want[key])
    np.testing.assert_array_equal(sfu._quantiles([90], "t", {"df": 5.0}), original([90], "t", {"df": 5.0}))


@pytest.mark.parametrize(("name", "m"), [("ets_sf", 4), ("theta_sf", 4), ("arima_sf", 4), ("ets_sf", 1)])
def test_pinned_refit_on_the_same_history_is_the_searched_fit(name: str, m: int) -> None:
    y = quarterly(40) if m > 1 else annual(25)
    searched = make(name, season_length=m).fit(y)
    pins = searched.pinned()
    assert pins and json.loads(json.dumps(pins)) == pins  # JSON-safe: it travels in the model state
    fixed = make(name, season_length=m, **pins).fit(y)
    assert fixed.pinned() == pins
    a, b = searched.predict(8), fixed.predict(8)
    assert np.array_equal(a.mean, b.mean) and all(
        np.array_equal(a.quantiles[q], b.quantiles[q]) for q in a.quantiles
    )


def test_pinned_specification_is_used_not_searched() -> None:
    y = quarterly(40)
    fixed = make("ets_sf", season_length=4, spec="ANNN").fit(y)  # no trend, no season: not AutoETS's pick
    assert make("ets_sf", season_length=4).fit(y).pinned() != {"spec": "ANNN"}
    assert fixed.pinned() == {"spec": "ANNN"} and fixed.predict(3).method == "ets_sf(ETS(A,N,N))"
    theta = make("theta_sf", season_length=4, spec="DSTM").fit(y)
    assert theta.pinned() == {"spec": "DSTM"}


def test_pinned_specification_the_history_cannot_take_is_searched_again() -> None:
    y = annual(25)
    y[-1] = 0.0  # multiplicative errors need positive data
    model = make("ets_sf", spec="MNNN").fit(y)
    assert model.fallback_ is None and model.pinned()["spec"][0] == "A"


def test_shrunk_combo_pins_its_searching_members_only() -> None:
    y = annual(25)
    pins = make("shrunk_combo").fit(y).pinned()["pins"]
    assert set(pins) == {"theta_sf", "ets_sf"}  # drift and the naive anchor have nothing to search
    a = make("shrunk_combo").fit(y).predict(5)
    b = make("shrunk_combo", pins=pins).fit(y).predict(5)
    assert np.array_equal(a.mean, b.mean)
    assert make("naive").fit(y).pinned() == {} and make("ets_sf").fit(annual(6)).pinned() == {}  # fallback
