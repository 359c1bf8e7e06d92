"""auto: deterministic, finite, non-negative; forecast_many pools a calibrator per season length."""

from __future__ import annotations

import json

import numpy as np
import pytest

from forecasting.evaluation.auto import (
    MIN_GROUP_SERIES,
    SeriesResult,
    choose_by_group,
    forecast_many,
    forecast_series,
)
from forecasting.vocabulary import QUANTILE_GRID


@pytest.fixture(scope="module")
def tourism(shared_data):
    import pandas as pd

    long = pd.read_csv(shared_data / "tourism" / "tourism_long.csv")
    ids = ["Y1", "Y2", "Y7", "Y60", "Q1", "Q7"]
    train = long[(long.series_id.isin(ids)) & (long.split == "train")].sort_values(["series_id", "t"])
    return {sid: g["value"].to_numpy(float) for sid, g in train.groupby("series_id")}


FAST = ("naive", "drift", "theta")


def _same(a: SeriesResult, b: SeriesResult) -> None:
    assert a.method == b.method
    assert np.array_equal(a.forecast.mean, b.forecast.mean)
    for q in a.forecast.quantiles:
        assert np.array_equal(a.forecast.quantiles[q], b.forecast.quantiles[q])
    assert a.backtest.equals(b.backtest)


def test_forecast_series_fields_and_determinism(tourism) -> None:
    y = tourism["Y1"]
    a = forecast_series(y, 4, season_length=1, methods=FAST, n_windows=3, seed=7, non_negative=True)
    b = forecast_series(y, 4, season_length=1, methods=FAST, n_windows=3, seed=7, non_negative=True)
    _same(a, b)
    assert a.forecast.mean.shape == (4,) and set(a.forecast.quantiles) == set(QUANTILE_GRID)
    assert set(FAST) <= set(a.scores) and "mase" in a.scores["naive"]
    assert {"origin", "step", "actual", "mean", "q0.5"} <= set(a.backtest.columns)
    assert a.backtest["origin"].nunique() == 3
    json.dumps(a.state)  # JSON-safe


def test_selection_best_picks_lowest_backtest_mase(tourism) -> None:
    r = forecast_series(tourism["Y2"], 4, methods=FAST, selection="best", n_windows=3)
    singles = {m: r.scores[m]["mase"] for m in FAST}
    assert r.method == min(singles, key=singles.get)


def test_short_series_still_forecasts() -> None:
    r = forecast_series(np.array([5.0, 6.0, 7.0]), 4, methods=FAST, non_negative=True)
    assert r.backtest.empty and np.all(np.isfinite(r.forecast.mean))


def test_forecast_many_calibrated_deterministic_and_positive(tourism) -> None:
    panel = {k: v for k, v in tourism.items()}
    m = {k: 4 if k.startswith("Q") else 1 for k in panel}
    h = {k: 8 if k.startswith("Q") else 4 for k in panel}
    methods = ("seasonal_naive", "drift", "theta")  # fast; the default path is covered below
    serial = lambda fn, items: [fn(x) for x in items]  # noqa: E731
    a = forecast_many(
        panel,
        h,
        season_length=m,
        methods=methods,
        non_negative=True,
        mapper=serial,
        seed=3,
        min_per_step=5,
        min_errors=10,
    )
    b = forecast_many(
        panel,
        h,
        season_length=m,
        methods=methods,
        non_negative=True,
        mapper=serial,
        seed=3,
        min_per_step=5,
        min_errors=10,
    )
    assert list(a) == list(panel)
    for sid in panel:
        _same(a[sid], b[sid])
        fc = a[sid].forecast
        assert a[sid].calibrated and fc.mean.shape == (h[sid],)
        arrays = [fc.mean, *fc.quantiles.values()]
        assert all(np.all(np.isfinite(x)) and np.all(x >= 0) for x in arrays)
        lo, hi = fc.interval(95)
        assert np.all(lo <= fc.mean) and np.all(fc.mean <= hi)


def test_defaults_annual_shrunk_combination(tourism) -> None:
    y = tourism["Y7"]
    r = forecast_series(y, 4, season_length=1, non_negative=True)
    # alone, a series keeps the default; drift and naive are scored beside it for a panel's group choice
    assert set(r.scores) == {"shrunk_combo", "drift", "naive"} and r.method == "shrunk_combo"
    assert r.state["name"] == "shrunk_combo" and 0.0 <= r.state["weight"] <= 1.0
    assert r.backtest["origin"].nunique() == min(3, len(y) - 4 - 5 + 1)  # min_train 5


def test_calibrator_argument_replaces_intervals(tourism) -> None:
    import pandas as pd

    from forecasting.evaluation.calibration import fit_calibrator

    steps = np.tile(np.arange(1, 5), 100)
    errs = pd.DataFrame({"step": steps, "scaled_error": np.random.default_rng(0).normal(0, 1, steps.size)})
    cal = fit_calibrator(errs)
    r = forecast_series(tourism["Y1"], 4, methods=("naive",), calibrator=cal, non_negative=True)
    assert r.calibrated
    lo, hi = r.forecast.interval(95)
    assert np.allclose(hi - lo, r.scale * (cal.offsets(4)[:, -1] - cal.offsets(4)[:, 0]))


def test_panel_windows_selection_needs_and_calibration_target() -> None:
    from forecasting.evaluation.auto import panel_windows

    assert panel_windows(4, 427) == 1  # fixed combination, big panel: one recent window is enough
    assert panel_windows(4, 30) == 14  # small panel: more windows for the pooled calibrator
    assert panel_windows(4, 2) == 24 and panel_windows(1, 2) == 8  # capped at six years of origins
    # annual: at least MIN_CALIBRATION_WINDOWS origins, however big the group (errors of one origin are
    # correlated across its series)
    assert panel_windows(1, 518) == 6
    assert panel_windows(1, 518, "best", 3) == 6
    assert panel_windows(1, 518, n_methods=1) == 6
    assert panel_windows(4, 427, "best", 4) == 3
    assert panel_windows(4, 427, "best", 1) == 1  # a single candidate has nothing to choose


def _sa_quarterly_with_trough(n: int = 40, seed: int = 0) -> np.ndarray:
    """A seasonally adjusted quarterly series with one COVID-like trough three quarters from the end."""
    rng = np.random.default_rng(seed)
    y = 1000 + 5 * np.arange(n) + rng.normal(0, 4, n)
    y[n - 3] -= 200  # the 2020 Q2 drop; SA data has no season to repeat it
    return y


def test_seasonally_adjusted_series_never_gets_a_seasonal_model() -> None:
    y = _sa_quarterly_with_trough()
    seasonal = forecast_series(y, 4, season_length=4, methods=("seasonal_naive",), n_windows=2)
    sa = forecast_series(y, 4, season_length=4, seasonal=False, methods=("seasonal_naive",), n_windows=2)
    assert seasonal.forecast.mean[0] == pytest.approx(y[-4])  # repeats last year's same quarter ...
    assert seasonal.forecast.mean[1] == pytest.approx(y[-3])  # ... including the trough
    assert np.allclose(sa.forecast.mean, y[-1]) and sa.state["season_length"] == 1 and not sa.seasonal
    # the default candidates for SA data are the non-seasonal ones, every member fitted without season
    auto = forecast_series(y, 4, season_length=4, seasonal=False)
    assert auto.method == "shrunk_combo"
    states = [auto.state, auto.state["anchor"], *auto.state["members"]]
    assert all(s["season_length"] == 1 for s in states)
    assert auto.scale == pytest.approx(np.mean(np.abs(y[4:] - y[:-4])))  # the scale keeps the frequency's lag
    many = forecast_many(
        {"sa": y, "nsa": y}, 4, season_length=4, seasonal={"sa": False, "nsa": True}, mapper=_serial
    )
    assert many["sa"].method == "shrunk_combo" and many["nsa"].method.startswith("combo(seasonal_naive")


def _serial(fn, items):
    return [fn(x) for x in items]


def test_ten_point_series_backtest_adapts_and_reports_it() -> None:
    y = 100 + np.cumsum(np.random.default_rng(3).normal(1, 3, 10))
    r = forecast_series(y, 5, methods=("naive", "drift"), n_windows=3)
    info = r.backtest_info
    assert info["h_requested"] == 5 and info["windows_requested"] == 3
    assert (info["h_used"], info["windows_used"], info["min_train"]) == (4, 2, 5)
    assert "horizon 4 instead of 5" in info["note"]
    assert r.backtest["origin"].min() >= 5 and r.backtest["step"].max() == 4
    assert r.forecast.mean.shape == (5,)  # the forecast keeps the requested horizon


def test_forecast_many_groups_flags_little_evidence_and_pickles() -> None:
    import pickle

    rng = np.random.default_rng(8)
    panel = {f"big{i}": 100 + np.cumsum(rng.normal(0, 2, 24)) for i in range(30)}
    panel.update({f"small{i}": 50 + np.cumsum(rng.normal(0, 6, 12)) for i in range(2)})
    group_of = {s: s.rstrip("0123456789") for s in panel}
    kw = {"methods": ("naive", "drift"), "selection": "mean", "mapper": _serial, "seed": 1}
    a = forecast_many(panel, 3, group_of=group_of, **kw)
    b = forecast_many(panel, 3, group_of=group_of, **kw)
    for s in panel:
        _same(a[s], b[s])
        assert a[s].calibrated and a[s].group == group_of[s]
    assert not a["big0"].little_evidence and a["big0"].calibration_errors >= 50
    assert a["small0"].little_evidence and 0 < a["small0"].calibration_errors < 50
    pooled = forecast_many(panel, 3, **kw)
    assert pooled["small0"].group is None
    lo, hi = a["small0"].forecast.interval(80)
    plo, phi = pooled["small0"].forecast.interval(80)
    assert not np.allclose(hi - lo, phi - plo)  # its own (shrunk) table, not the pool's
    pickle.loads(pickle.dumps(a["small0"]))


# ---- best_group: one candidate per calibration group from pooled backtest scores ----------------------------
CANDIDATES = ("shrunk_combo", "drift", "naive")


def _fake(scores: dict[str, float]) -> SeriesResult:
    """A result of the first candidate carrying every candidate's backtest MASE and sMAPE."""
    import pandas as pd

    from models.base import Forecast

    every = {n: {"mase": v, "smape": 10 * v} for n, v in scores.items()}
    first = next(iter(scores))
    return SeriesResult(Forecast(np.zeros(1), {}, method=first), first, every, pd.DataFrame(), {})


def _group(n: int, combo: np.ndarray, drift: np.ndarray) -> dict[str, SeriesResult]:
    return {f"s{i}": _fake({"shrunk_combo": combo[i], "drift": drift[i], "naive": 9.0}) for i in range(n)}


def test_group_switches_only_on_clear_pooled_evidence() -> None:
    rng = np.random.default_rng(0)
    n = 40
    base = rng.uniform(1, 3, n)
    # drift better on every series by ~10%: a paired t far above 2 -> the whole group switches
    clear = _group(n, base, base * 0.9 + rng.normal(0, 0.01, n))
    assert choose_by_group(clear, dict.fromkeys(clear, "g")) == {"g": "drift"}
    # drift better on average by ~1% but with noise of 30%: not evidence, the default stays
    noisy = _group(n, base, base * (0.99 + rng.normal(0, 0.3, n)))
    means = np.mean(
        [[r.scores["shrunk_combo"]["mase"], r.scores["drift"]["mase"]] for r in noisy.values()], 0
    )
    assert means[1] < means[0]  # the rival does have the better mean ...
    assert choose_by_group(noisy, dict.fromkeys(noisy, "g")) == {"g": "shrunk_combo"}  # ... by too little


def test_a_switch_must_be_clear_on_the_percentage_error_too() -> None:
    rng = np.random.default_rng(1)
    n = 40
    base = rng.uniform(1, 3, n)
    group = _group(n, base, base * 0.9 + rng.normal(0, 0.01, n))  # clearly better on MASE ...
    for r in group.values():  # ... but no better on sMAPE
        for sc in r.scores.values():
            sc["smape"] = 20.0
    assert choose_by_group(group, dict.fromkeys(group, "g")) == {"g": "shrunk_combo"}


def test_small_groups_keep_the_default_and_groups_choose_apart() -> None:
    n = MIN_GROUP_SERIES
    base = np.linspace(1, 2, n)
    small = _group(n - 1, base, base * 0.5)
    assert choose_by_group(small, dict.fromkeys(small, "g")) == {"g": "shrunk_combo"}
    big, other = _group(n, base, base * 0.5), _group(n, base, base * 1.5)
    both = {**big, **{f"o{k}": v for k, v in other.items()}}
    key_of = {s: ("trend" if s in big else "walk") for s in both}
    assert choose_by_group(both, key_of) == {"trend": "drift", "walk": "shrunk_combo"}


def test_panel_of_trending_series_is_forecast_by_drift_with_drift_errors() -> None:
    """forecast_many end to end with naive first (the default) and drift as the rival: on 25 trending series
    drift's backtests win in every series, so the group is served by drift, calibrated from drift's own
    backtest errors; 25 random walks in another group keep naive."""
    rng = np.random.default_rng(3)
    t = np.arange(24, dtype=float)
    panel = {f"s{i}": 100 + (5 + i) * t + rng.normal(0, 0.5, t.size) for i in range(25)}
    walks = {f"w{i}": 100 + np.cumsum(rng.normal(0, 1, t.size)) for i in range(25)}
    out = forecast_many(
        {**panel, **walks},
        3,
        methods=("naive", "drift"),
        selection="best_group",
        mapper=_serial,
        group_of={**dict.fromkeys(panel, "trend"), **dict.fromkeys(walks, "walk")},
    )
    assert {out[s].method for s in walks} == {"naive"}
    out = {s: out[s] for s in panel}
    assert {r.method for r in out.values()} == {"drift"}
    assert all(r.calibrated for r in out.values())
    assert all(set(r.scores) == {"drift"} for r in out.values())  # refitted with the group's pick
    note = out["s0"].backtest_info["note"]
    assert note.startswith("drift chosen for its group over naive (25 series; mase t ") and "smape t" in note
    assert all(set(r.errors["series_id"]) == {s} for s, r in out.items())
    for s, r in out.items():  # the drift forecast: last value plus the mean step
        y = panel[s]
        assert r.model_mean == pytest.approx(y[-1] + (y[-1] - y[0]) / (y.size - 1) * np.arange(1, 4))


def test_too_short_to_backtest_keeps_the_default_alone() -> None:
    """Four points cannot be backtested: the default family alone, never a mean of the group candidates,
    and a group switch never reaches it (it has no scores of its own to pool)."""
    y = np.array([10.0, 12.0, 13.0, 15.0])
    r = forecast_series(y, 2)
    assert r.method == "shrunk_combo" and set(r.scores) == {"shrunk_combo"}


def test_group_choice_scores_recent_windows_while_calibration_gets_every_origin() -> None:
    from forecasting.evaluation.auto import _recent
    from forecasting.evaluation.backtest import backtest

    y = 100 + np.cumsum(np.random.default_rng(1).normal(1, 2, 30))
    bt = backtest(y, "naive", 2, n_windows=6)
    assert bt.n_windows == 6
    cut = _recent(bt, 2)
    assert [w.origin for w in cut.windows] == [w.origin for w in bt.windows[-2:]]
    assert _recent(bt, None) is bt and _recent(bt, 9) is bt
    r = forecast_series(
        y, 2, methods=("naive", "drift"), selection="best_group", n_windows=6, score_windows=2
    )
    assert r.backtest["origin"].nunique() == 6  # the calibrator sees all six origins


def test_seasonal_default_members() -> None:
    from forecasting.evaluation.auto import default_methods

    # statsforecast's theta_sf/ets_sf/arima_sf were less accurate on tourism quarterly (auto.py's figures)
    assert default_methods(4) == ("seasonal_naive", "theta", "ets", "arima")
    assert default_methods(4, seasonal=False)[0] == "shrunk_combo"


@pytest.mark.parametrize("final_spec", ["pinned", "searched"])
def test_backtests_pin_the_earliest_origins_specification_and_the_final_fit_follows_final_spec(
    tourism, monkeypatch: pytest.MonkeyPatch, final_spec: str
) -> None:
    from dataclasses import replace

    from forecasting.evaluation import auto
    from models.base import make

    monkeypatch.setitem(auto.DEFAULTS, "seasonal", replace(auto.DEFAULTS["seasonal"], final_spec=final_spec))
    y = tourism["Q7"]
    r = forecast_series(y, 8, season_length=4, methods=("ets_sf", "theta_sf"), n_windows=2)
    first = int(r.backtest["origin"].min())
    for name in ("ets_sf", "theta_sf"):
        spec = make(name, season_length=4).fit(y[:first]).pinned()  # no look-ahead: earliest window's data
        assert r.candidates[name].pinned == spec
    # "pinned": the final combination refits those specifications on all of y; "searched": it searches
    assert r.state["params"].get("pins") == (
        {n: r.candidates[n].pinned for n in ("ets_sf", "theta_sf")} if final_spec == "pinned" else None
    )
    again = forecast_series(y, 8, season_length=4, methods=("ets_sf", "theta_sf"), n_windows=2)
    _same(r, again)


def test_a_pooled_series_is_fitted_on_its_whole_history_once_with_its_groups_pick() -> None:
    """Groups choose before any final fit: the first pass only backtests pooled series, the second fits
    each with its group's method (a switched group's default is never fitted only to be thrown away), and
    a series its group keeps is exactly what ``forecast_series`` gives it on its own."""
    from forecasting.evaluation.auto import _FinalJob

    rng = np.random.default_rng(3)
    t = np.arange(24, dtype=float)
    trend = {f"s{i}": 100 + (5 + i) * t + rng.normal(0, 0.5, t.size) for i in range(25)}
    walks = {f"w{i}": 100 + np.cumsum(rng.normal(0, 1, t.size)) for i in range(25)}
    calls: list[list] = []
    finals: list[int] = []

    def recording(fn, items):
        items = list(items)
        calls.append(items)
        return [fn(x) for x in items]

    out = forecast_many(
        {**trend, **walks},
        3,
        methods=("naive", "drift"),
        selection="best_group",
        n_windows=4,
        mapper=recording,
        calibrate_intervals=False,
        group_of={**dict.fromkeys(trend, "trend"), **dict.fromkeys(walks, "walk")},
        on_final=finals.append,
    )
    assert len(calls) == 2 and finals == [50]
    jobs = {j.item.sid: j for j in calls[1]}
    assert all(isinstance(j, _FinalJob) for j in jobs.values())
    assert {jobs[s].pick for s in trend} == {"drift"} and {jobs[s].pick for s in walks} == {None}
    assert all(set(jobs[s].first.bts) == {"drift"} for s in trend)  # only the rival's backtest travels
    assert all(set(out[s].candidates) == {"drift"} for s in trend)
    for s in ("w0", "w7"):
        alone = forecast_series(walks[s], 3, methods=("naive", "drift"), selection="best_group", n_windows=4)
        _same(out[s], alone)
        assert out[s].scores == alone.scores and set(out[s].candidates) == {"naive", "drift"}
        assert set(out[s].errors["series_id"]) == {s}


def test_the_final_fit_refits_the_pinned_specifications_of_the_families_named() -> None:
    """``final_spec``: "searched" refits none, "pinned" every family's, "pinned:arima" ARIMA's alone
    (the seasonal default: its final ARIMA search cost the most and gained nothing on tourism quarterly)."""
    from forecasting.evaluation.auto import DEFAULTS, _final_model, _final_pins
    from forecasting.evaluation.backtest import backtest
    from forecasting.evaluation.selection import Choice

    y = 100 + 10 * np.sin(np.arange(32) * np.pi / 2) + np.random.default_rng(5).normal(0, 1, 32)
    bts = {n: backtest(y, n, 4, n_windows=2, season_length=4, search="first") for n in ("arima", "ets")}
    assert bts["arima"].pinned and bts["ets"].pinned
    assert _final_pins("searched", bts) == {}
    assert _final_pins("pinned", bts) is bts
    assert _final_pins("pinned:arima", bts) == {"arima": bts["arima"]}
    assert DEFAULTS["seasonal"].final_spec == "pinned:arima"
    with pytest.raises(ValueError, match="final_spec"):
        _final_pins("pinned:", bts)
    choice = Choice("combo(arima,ets)", ("arima", "ets"), "mean", "mase")
    kw = {"season_length": 4, "seed": 0, "non_negative": False}
    model = _final_model(choice, kw, {}, _final_pins("pinned:arima", bts))
    assert model.params["pins"] == {"arima": bts["arima"].pinned}  # ETS searches again
