"""Pooled conformal calibration reaches nominal coverage on simulated errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.calibration import Calibrator, conformal_quantile, errors_table, fit_calibrator


def _errors(rng: np.random.Generator, n: int, h: int) -> pd.DataFrame:
    steps = np.tile(np.arange(1, h + 1), n)
    e = rng.standard_t(5, size=steps.size) * np.sqrt(steps) + 0.3  # heavy tails, growth, bias
    return pd.DataFrame({"series_id": np.repeat(np.arange(n), h), "step": steps, "scaled_error": e})


def test_conformal_quantile_order_statistics() -> None:
    x = np.arange(1.0, 20.0)  # n = 19
    assert conformal_quantile(x, 0.9) == 18.0  # ceil(20 * 0.9) = 18th
    assert conformal_quantile(x, 0.1) == 2.0  # floor(20 * 0.1) = 2nd
    assert conformal_quantile(x, 0.5) == 10.0
    assert conformal_quantile(np.array([1.0, 2.0]), 0.99) == 2.0


@pytest.mark.parametrize("h", [4, 8])
def test_calibrated_intervals_cover_nominal_on_held_out(h: int) -> None:
    rng = np.random.default_rng(1)
    cal = fit_calibrator(_errors(rng, 600, h))
    test = _errors(rng, 4000, h)
    scale = rng.uniform(0.5, 5, size=len(test))
    mean = rng.normal(100, 10, size=len(test))
    actual = mean + scale * test["scaled_error"].to_numpy()
    steps = test["step"].to_numpy()
    off = cal.offsets(h)
    for level, (lo_q, hi_q) in {80: (0.1, 0.9), 95: (0.025, 0.975)}.items():
        lo = mean + scale * off[steps - 1, cal.quantiles.index(lo_q)]
        hi = mean + scale * off[steps - 1, cal.quantiles.index(hi_q)]
        cover = np.mean((actual >= lo) & (actual <= hi))
        assert abs(cover - level / 100) < 0.015, (level, cover)


def test_sparse_steps_pool_and_extrapolate() -> None:
    rng = np.random.default_rng(2)
    errs = _errors(rng, 30, 4)  # 30 per step < min_per_step -> pooled with the measured step**b growth
    cal = fit_calibrator(errs, min_per_step=100)
    assert 0.3 < cal.growth < 0.8  # simulated with sqrt(step): measured, shrunk toward 0.5
    off = cal.offsets(6)
    hi = off[:, cal.quantiles.index(0.975)] - off[:, cal.quantiles.index(0.5)]
    assert hi[3] / hi[0] == pytest.approx(4**cal.growth)
    assert hi[5] / hi[3] == pytest.approx((6 / 4) ** cal.growth)  # beyond the fitted steps
    assert cal.sources(6) == ["own"] * 4 + ["extrapolated"] * 2
    assert np.all(np.diff(off, axis=1) >= 0)  # monotone in probability


def test_apply_shapes_nonneg_and_roundtrip() -> None:
    cal = fit_calibrator(_errors(np.random.default_rng(3), 200, 3))
    q = cal.apply(np.array([1.0, 1.0, 1.0]), 2.0, non_negative=True)
    assert set(q) == set(cal.quantiles) and all(v.shape == (3,) and np.all(v >= 0) for v in q.values())
    q2 = cal.apply(np.ones((5, 3)), np.arange(1.0, 6.0))
    assert q2[0.975].shape == (5, 3)
    back = Calibrator.from_dict(cal.to_dict())
    assert np.array_equal(back.table, cal.table) and back.quantiles == cal.quantiles


def test_errors_table_from_windows() -> None:
    from forecasting.evaluation.backtest import backtest

    bt = backtest(np.arange(1.0, 11.0), "naive", 2, n_windows=2)
    t = errors_table("s1", bt.windows)
    assert list(t.columns) == ["series_id", "origin", "step", "scaled_error"]
    assert t["scaled_error"].tolist() == pytest.approx([1, 2, 1, 2])


# ---- grouped calibration (issue 11 §5) -----------------------------------------------------------------
def _table(sd: float, n: int, h: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = np.tile(np.arange(1, h + 1), n)
    return pd.DataFrame({"step": steps, "scaled_error": rng.normal(0, sd, steps.size) * np.sqrt(steps)})


def test_shrink_moves_a_small_group_toward_the_pool_and_keeps_a_big_one() -> None:
    from forecasting.evaluation.calibration import shrink

    pool = fit_calibrator(_table(1.0, 2000, 2, 1))
    small = fit_calibrator(_table(3.0, 20, 2, 2), min_per_step=10)
    big = fit_calibrator(_table(3.0, 2000, 2, 3))
    k = 100.0  # any k: the test checks the n / (n + k) rule
    s_small, s_big = shrink(small, pool, k, label="small"), shrink(big, pool, k, label="big")
    hi = cal_index = pool.quantiles.index(0.975)
    assert s_small.weights == pytest.approx([20 / 120, 20 / 120])
    for s in range(2):
        expected = (20 * small.table[s, hi] + k * pool.table[s, hi]) / 120
        assert s_small.table[s, cal_index] == pytest.approx(expected)
        assert pool.table[s, hi] < s_small.table[s, hi] < small.table[s, hi]
        assert abs(s_small.table[s, hi] - pool.table[s, hi]) < abs(s_small.table[s, hi] - small.table[s, hi])
        assert abs(s_big.table[s, hi] - big.table[s, hi]) < abs(s_big.table[s, hi] - pool.table[s, hi])
    assert s_small.group == "small" and s_small.n_errors == 40 and s_small.pool_errors == 4000
    assert np.all(np.diff(s_small.table, axis=1) >= 0)
    assert shrink(None, pool, k, label="empty").table.tolist() == pool.table.tolist()
    back = Calibrator.from_dict(s_small.to_dict())
    assert back.group == "small" and back.n_errors == 40 and np.array_equal(back.weights, s_small.weights)
    legacy = {
        k2: v for k2, v in pool.to_dict().items() if k2 in ("quantiles", "table", "counts", "inflation")
    }
    assert Calibrator.from_dict(legacy).group is None  # bundles written before grouping still load


def _result(errors: pd.DataFrame, group: str):
    from forecasting.evaluation.auto import SeriesResult
    from models.base import Forecast

    return SeriesResult(Forecast(np.zeros(2)), "naive", {}, pd.DataFrame(), {}, errors=errors, group=group)


def test_grouped_calibration_covers_nominal_in_each_group_where_pooling_does_not() -> None:
    from forecasting.evaluation.auto import fit_calibrators

    rng = np.random.default_rng(11)
    noise = {"calm": 0.8, "wild": 1.6}  # scaled-error sd per group: one pooled table fits neither
    results, m_of = {}, {}
    for g, sd in noise.items():
        for i in range(300):
            sid = f"{g}{i}"
            t = _table(sd, 4, 2, int(rng.integers(1 << 30))).assign(series_id=sid)
            results[sid], m_of[sid] = _result(t, g), 1
    grouped = {
        tuple(sorted({results[s].group for s in members})): cal
        for cal, members in fit_calibrators(results, m_of)
    }
    pooled = fit_calibrators(results, m_of, group_of={})[0][0]
    assert set(grouped) == {("calm",), ("wild",)}
    for g, sd in noise.items():
        test = _table(sd, 4000, 2, 99)
        e, steps = test["scaled_error"].to_numpy(), test["step"].to_numpy()
        for level, (lo, hi) in {80: (0.1, 0.9), 95: (0.025, 0.975)}.items():
            for cal, ok in ((grouped[(g,)], True), (pooled, False)):
                off = cal.offsets(2)
                inside = (e >= off[steps - 1, cal.quantiles.index(lo)]) & (
                    e <= off[steps - 1, cal.quantiles.index(hi)]
                )
                near = bool(abs(inside.mean() - level / 100) < 0.03)
                assert near == ok, (g, level, cal.group, inside.mean())


def test_holdout_inflation_widens_a_group_whose_latest_origins_were_wilder() -> None:
    from forecasting.evaluation.calibration import holdout_inflation

    rng = np.random.default_rng(4)
    rows = []
    for sid in range(150):
        for origin in range(10, 16):  # 6 windows; the 2 latest are held out
            sd = 2.0 if origin >= 14 else 1.0
            rows += [(sid, origin, s, rng.normal(0, sd) * np.sqrt(s)) for s in (1, 2, 3)]
    wild = pd.DataFrame(rows, columns=["series_id", "origin", "step", "scaled_error"])
    assert 1.5 >= holdout_inflation(wild) > 1.6 * 0.8  # about 2 x, kept within its bounds
    calm = wild.assign(scaled_error=rng.normal(0, 1, len(wild)) * np.sqrt(wild["step"]))
    assert abs(holdout_inflation(calm) - 1.0) < 0.15
    assert holdout_inflation(calm[calm["origin"] == 15]) == 1.0  # one window: nothing to hold out


def test_isotonic_pools_adjacent_violators() -> None:
    from forecasting.evaluation.calibration import isotonic

    assert isotonic(np.array([3.0, 1.0, 2.0])).tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert isotonic(np.array([1.0, 3.0, 2.0, 4.0])).tolist() == pytest.approx([1.0, 2.5, 2.5, 4.0])
    assert isotonic(np.array([1.0, 3.0]), np.array([1.0, 3.0])).tolist() == [1.0, 3.0]
    assert isotonic(np.array([3.0, 1.0]), np.array([1.0, 3.0])).tolist() == pytest.approx([1.5, 1.5])


def test_one_wide_step_does_not_set_every_later_band() -> None:
    """Widths never fall further ahead, but a single wide step (a seasonal step, a rough origin) is
    averaged with its neighbours instead of being carried to every later step (a running maximum)."""
    from forecasting.evaluation.calibration import monotone_spreads

    qs = (0.1, 0.5, 0.9)
    table = np.array([[-1.0, 0.0, 1.0], [-3.0, 0.0, 3.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
    out = monotone_spreads(table, qs)
    width = out[:, 2] - out[:, 0]
    assert np.all(np.diff(width) >= 0) and np.all(np.diff(out, axis=1) >= 0)
    assert width[-1] < 6.0 and width.mean() == pytest.approx(np.mean(table[:, 2] - table[:, 0]))
