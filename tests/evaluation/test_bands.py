"""Served bands: never crossing, never narrower further ahead, floored; the point forecast inside them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation import bands
from forecasting.evaluation.auto import forecast_many
from forecasting.evaluation.calibration import fit_calibrator, shrink
from forecasting.vocabulary import QUANTILE_GRID


def _serial(fn, items):
    return [fn(x) for x in items]


def _widths(q: dict[float, np.ndarray], level: int) -> np.ndarray:
    a = round((1 - level / 100) / 2, 6)
    return q[round(1 - a, 6)] - q[a]


def test_enforce_sorts_widens_and_floors_without_moving_the_median() -> None:
    med = np.array([10.0, 9.0, 8.0, 7.0])
    q = {
        0.1: np.array([8.0, 8.5, 7.9, 6.0]),  # 80% band narrows at steps 2-3
        0.5: med.copy(),
        0.9: np.array([12.0, 9.5, 8.1, 9.0]),
        0.025: np.array([5.0, 8.6, 2.0, -3.0]),  # crosses q0.1 at step 2, below the floor at step 4
        0.975: np.array([15.0, 10.0, 14.0, 12.0]),
    }
    out = bands.enforce(q, floor=0.0)
    arr = np.vstack([out[p] for p in sorted(out)])
    assert np.all(np.diff(arr, axis=0) >= 0) and arr.min() >= 0
    assert np.array_equal(out[0.5], med)
    for level in (80, 95):
        assert np.all(np.diff(_widths(out, level)) >= -1e-12)
    assert np.all(out[0.025] <= out[0.1]) and np.all(out[0.975] >= out[0.9])


def test_a_floored_lower_side_pushes_the_shortfall_up() -> None:
    q = {0.1: np.array([1.0, 0.0]), 0.5: np.array([3.0, 1.0]), 0.9: np.array([6.0, 2.0])}
    out = bands.enforce(q, floor=0.0)
    assert out[0.1][1] == 0.0 and out[0.9][1] == pytest.approx(5.0)


def test_shrunk_group_backtested_to_step_4_keeps_widening_after_it() -> None:
    """The dent of issue 20: a wide group measured to step 4 fell to the (narrower) pool's band at step 5."""
    rng = np.random.default_rng(0)

    def errs(n: int, h: int, sd: float) -> pd.DataFrame:
        steps = np.tile(np.arange(1, h + 1), n)
        e = rng.normal(0, sd, steps.size) * np.sqrt(steps)
        return pd.DataFrame({"series_id": 0, "step": steps, "scaled_error": e})

    pool = fit_calibrator(errs(400, 7, 1.0))
    group = fit_calibrator(errs(60, 4, 3.0))
    cal = shrink(group, pool, 50.0, label="g")
    off = cal.offsets(9)
    lo, hi = cal.quantiles.index(0.025), cal.quantiles.index(0.975)
    width = off[:, hi] - off[:, lo]
    assert np.all(np.diff(width) >= 0)
    assert width[4] > 0.95 * width[3] * np.sqrt(5 / 4) * 0.9  # carried on by the pool's growth
    assert cal.sources(9)[:4] == ["own"] * 4
    assert cal.sources(9)[4:7] == ["pooled"] * 3 and cal.sources(9)[7:] == ["extrapolated"] * 2


def _short_annual_panel(n_series: int = 24, n: int = 10, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        f"s{i}": 200 + np.cumsum(rng.normal(3 + i % 4, 8 + 3 * (i % 3), n)).round(1) for i in range(n_series)
    }


def test_short_annual_series_forecast_7_steps_have_growing_bands_and_a_centred_point() -> None:
    """Ten annual points, 7 steps ahead: backtests reach 4 steps, the rest is extrapolated and labelled."""
    panel = _short_annual_panel()
    out = forecast_many(
        panel,
        7,
        methods=("naive", "drift"),
        selection="best_group",
        mapper=_serial,
        group_of=dict.fromkeys(panel, "short"),
        quantiles=QUANTILE_GRID,
    )
    for s, r in out.items():
        q = r.forecast.quantiles
        arr = np.vstack([q[p] for p in sorted(q)])
        assert np.all(np.diff(arr, axis=0) >= 0), s  # never crossing
        for level in (80, 95):
            w = _widths(q, level)
            assert np.all(w[1:] >= 0.99 * w[:-1]), (s, level, w)
            assert w[-1] > w[0]  # and they do grow
        lo, hi = r.forecast.interval(80)
        assert np.all((lo <= r.forecast.point) & (r.forecast.point <= hi))  # the point inside its band
        assert np.all((lo <= r.forecast.mean) & (r.forecast.mean <= hi))
        assert np.array_equal(r.forecast.point, q[0.5])
        assert r.backtest_info["h_used"] < 7
        assert r.band_sources[: r.backtest_info["h_used"]] != ["extrapolated"] * r.backtest_info["h_used"]
        assert r.band_sources[-1] == "extrapolated" and len(r.band_sources) == 7


def test_never_negative_series_of_a_signed_measure_gets_no_negative_lower_bound_without_a_reason() -> None:
    rng = np.random.default_rng(9)
    panel = {f"p{i}": np.abs(5 + np.cumsum(rng.normal(-0.5, 6, 12))) + 0.5 for i in range(20)}
    kw = {"methods": ("naive", "drift"), "mapper": _serial, "group_of": dict.fromkeys(panel, "g")}
    bounded = forecast_many(panel, 6, floor_of=dict.fromkeys(panel, True), **kw)
    free = forecast_many(panel, 6, **kw)
    assert any(free[s].forecast.quantiles[0.025].min() < 0 for s in panel)  # the case exists
    for s in panel:
        r = bounded[s]
        assert r.forecast.quantiles[0.025].min() >= 0
        assert r.floor == 0.0 and "never was" in r.bound_note
        if free[s].forecast.quantiles[0.025].min() < 0:
            assert free[s].bound_note == ""  # unbounded, nothing claimed


def test_forecast_many_returns_the_calibrators_it_applied() -> None:
    panel = _short_annual_panel(30, 14, seed=2)
    group_of = {s: ("a" if i % 2 else "b") for i, s in enumerate(panel)}
    out = forecast_many(panel, 5, methods=("naive", "drift"), mapper=_serial, group_of=group_of)
    assert sorted(c.group for c, _ in out.calibrators) == ["a", "b"]
    for cal, members in out.calibrators:
        for s in members:
            r = out[s]
            assert r.group == cal.group
            expect = cal.apply(r.model_mean, r.scale, 5)
            stored = type(cal).from_dict(cal.to_dict())  # what training writes into the bundle
            again = stored.apply(r.model_mean, r.scale, 5)
            for p in expect:
                assert np.allclose(expect[p], again[p])
                # the served quantiles are the applied calibrator's, finished (no floor here)
                assert np.allclose(bands.enforce(expect)[p], r.forecast.quantiles[p])
