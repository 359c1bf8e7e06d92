"""Rolling-origin windows: origins, actuals, errors, short series and vintage mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.backtest import ModelSpec, backtest, origins, plan


def test_origins_expanding_and_short_series() -> None:
    assert origins(20, 4, 3) == [14, 15, 16]
    assert origins(20, 4, 3, step=2) == [12, 14, 16]
    assert origins(9, 4, 5, min_train=3) == [3, 4, 5]  # fewer windows than asked
    assert origins(6, 4, 3, min_train=3) == []  # too short for any window
    with pytest.raises(ValueError):
        origins(10, 0, 3)


def test_backtest_naive_windows_and_errors() -> None:
    y = np.arange(1.0, 13.0)  # 1..12
    bt = backtest(y, "naive", 3, n_windows=2, step=2)
    assert [w.origin for w in bt.windows] == [7, 9]
    w = bt.windows[1]
    assert w.mean == pytest.approx([9, 9, 9])
    assert w.actual == pytest.approx([10, 11, 12])
    assert w.errors == pytest.approx([1, 2, 3])
    assert w.scale == pytest.approx(1.0) and w.scaled_errors == pytest.approx([1, 2, 3])
    df = bt.frame()
    assert list(df.columns[:4]) == ["origin", "step", "actual", "mean"]
    assert len(df) == 6 and set(df["step"]) == {1, 2, 3}
    assert "q0.025" in df.columns and "q0.975" in df.columns
    assert bt.array("errors").shape == (2, 3)


def test_backtest_short_series_gives_fewer_windows() -> None:
    y = np.array([1.0, 2, 3, 4, 5, 6])
    bt = backtest(y, "drift", 2, n_windows=5, min_train=3)
    assert [w.origin for w in bt.windows] == [3, 4] and bt.h == 2
    short = backtest(y, "drift", 2, n_windows=5)  # default min_train 5: one 1-step window
    assert [w.origin for w in short.windows] == [5] and short.h == 1
    assert short.diagnostics["h_requested"] == 2 and short.diagnostics["windows_used"] == 1
    none = backtest(np.array([1.0, 2, 3, 4]), "naive", 4, n_windows=3)
    assert none.n_windows == 0 and "no backtest" in none.diagnostics["note"]


def test_plan_ten_annual_points_never_trains_below_min_train() -> None:
    """The issue's case: 10 annual points, horizon 5, 3 windows used to train on 3, 4 and 5 points."""
    p = plan(10, 5, 3)
    assert min(p.origins) >= 5 and p.min_train == 5
    assert p.n_windows == 2 and p.h == 4  # horizon cut by one to keep two windows
    assert p.origins == (5, 6)
    assert "horizon 4 instead of 5" in p.note and "2 windows instead of 3" in p.note
    assert plan(30, 4, 3).note is None and plan(30, 4, 3).origins == (24, 25, 26)
    for n in range(1, 16):  # no window ever trains on fewer than min_train points or runs past the data
        for h in (1, 2, 5):
            q = plan(n, h, 4, min_train=5)
            assert all(o >= 5 and o + q.h <= n for o in q.origins)


def test_window_scale_is_the_whole_history_known_at_its_origin() -> None:
    rng = np.random.default_rng(4)
    y = 100 + np.cumsum(rng.normal(0, 5, 10))
    bt = backtest(y, "naive", 2, n_windows=2)
    for w in bt.windows:
        assert w.scale == pytest.approx(np.mean(np.abs(np.diff(y[: w.origin]))))  # all origin - 1 differences
        assert w.origin - 1 >= 4
    full = backtest(y, "naive", 2, n_windows=2, scale_from="series")
    assert all(w.scale == pytest.approx(np.mean(np.abs(np.diff(y)))) for w in full.windows)
    quarterly = backtest(
        np.arange(40.0) + np.tile([0, 5, 0, -5], 10), "naive", 4, season_length=1, scale_season=4
    )
    w = quarterly.windows[-1]
    assert w.scale == pytest.approx(4.0)  # lag-4 scale of the trend, not lag 1, with a non-seasonal model


def test_seasonal_min_train_and_label() -> None:
    y = np.tile([1.0, 2, 3, 4], 5)
    bt = backtest(y, "seasonal_naive", 4, n_windows=20, season_length=4)
    assert bt.windows[0].origin == 9  # two seasons + 1
    assert bt.windows[-1].mean == pytest.approx([1, 2, 3, 4])
    assert ModelSpec("combo", {"members": ["naive", "drift"]}).label == "combo(naive,drift)"


def test_vintage_mode_uses_history_at_and_publication_lag() -> None:
    y = np.arange(1.0, 11.0)
    seen: list[int] = []

    def history_at(origin: int) -> np.ndarray:
        seen.append(origin)
        return y[: origin - 1] * 2  # revised (doubled) and one period behind

    bt = backtest(y, "naive", 2, n_windows=2, history_at=history_at)
    assert seen == [7, 8]
    w = bt.windows[-1]  # origin 8: vintage has 7 points ending at 14; naive predicts 14 for 3 steps
    assert w.mean == pytest.approx([14, 14]) and w.actual == pytest.approx([9, 10])


def test_search_first_pins_the_earliest_origins_specification() -> None:
    from models.base import make

    y = 100 + np.cumsum(np.random.default_rng(3).normal(2.0, 3.0, 30))
    first = backtest(y, "shrunk_combo", 5, n_windows=4, search="first")
    each = backtest(y, "shrunk_combo", 5, n_windows=4)
    o = first.windows[0].origin
    # no look-ahead: the specification is the one found on the earliest window's training data alone
    assert first.pinned == make("shrunk_combo").fit(y[:o]).pinned() and first.pinned["pins"]
    assert each.pinned == {}
    assert np.array_equal(first.windows[0].mean, each.windows[0].mean)  # the search itself is unchanged
    later = first.windows[-1]
    refit = make("shrunk_combo", **first.pinned).fit(y[: later.origin]).predict(5)
    assert np.array_equal(later.mean, refit.mean)  # later origins refit that specification
    with pytest.raises(ValueError, match="search"):
        backtest(y, "naive", 2, search="sometimes")  # type: ignore[arg-type]


def test_a_backtest_pickles_to_equal_windows() -> None:
    """Panel workers send backtests back pickled as stacked arrays: every window must come back equal."""
    import pickle

    y = np.cumsum(np.random.default_rng(3).normal(1, 2, 30)) + 100
    bt = backtest(y, "drift", 4, n_windows=5)
    back = pickle.loads(pickle.dumps(bt))
    assert (back.method, back.h, back.backtest_plan, back.pinned) == (
        bt.method,
        bt.h,
        bt.backtest_plan,
        bt.pinned,
    )
    assert len(back.windows) == 5
    for a, b in zip(bt.windows, back.windows, strict=True):
        assert (a.origin, a.scale, a.scale_sq, a.fallback) == (b.origin, b.scale, b.scale_sq, b.fallback)
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.actual, b.actual)
        assert list(a.quantiles) == list(b.quantiles)
        for q in a.quantiles:
            np.testing.assert_array_equal(a.quantiles[q], b.quantiles[q])
    pd.testing.assert_frame_equal(back.frame(), bt.frame())


def test_irregular_windows_pickle_as_they_are() -> None:
    """Windows of different lengths or quantiles cannot be stacked: they pickle field by field."""
    import pickle

    from forecasting.evaluation.backtest import BacktestResult, Window

    w1 = Window(5, np.array([1.0, 2.0]), {0.5: np.array([1.0, 2.0])}, np.array([1.5, 2.5]), 1.0)
    w2 = Window(6, np.array([3.0]), {0.1: np.array([2.0])}, np.array([3.5]), 2.0, fallback="naive")
    back = pickle.loads(pickle.dumps(BacktestResult("x", 2, [w1, w2])))
    assert back.windows[1].fallback == "naive" and list(back.windows[1].quantiles) == [0.1]
    np.testing.assert_array_equal(back.windows[0].mean, w1.mean)
