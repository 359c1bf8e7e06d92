"""The reconciliation's residual and backtest-check tables equal what pandas' pivot_table made of them.

They were built with ``pivot_table(aggfunc="first")`` per tree; the numpy version must give the same matrix
(columns sorted by period and step, NaN where a series lacks a window, missing values skipped) because the
MinT weights and the reported MASE before/after come from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.training.reconciliation import _backtest_check, _residuals


def _pivot_residuals(ids, backtests, periods) -> np.ndarray:
    frames = []
    for s in ids:
        bt = backtests[s]
        if bt.empty:
            continue
        idx = (bt["origin"] + bt["step"] - 1).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "series_id": s,
                    "target": [periods[s][i] for i in idx],
                    "step": bt["step"],
                    "err": (bt["actual"] - bt["mean"]).to_numpy(),
                }
            )
        )
    if not frames:
        return np.full((len(ids), 1), np.nan)
    wide = pd.concat(frames).pivot_table(
        index="series_id", columns=["target", "step"], values="err", aggfunc="first"
    )
    return wide.reindex(ids).to_numpy(dtype=float)


def _pivot_check(ids, backtests, periods):
    frames = []
    for s in ids:
        bt = backtests[s]
        origin = [periods[s][o - 1] for o in bt["origin"]]
        frames.append(
            bt.assign(series_id=s, origin_period=origin)[
                ["series_id", "origin_period", "step", "actual", "mean", "scale"]
            ]
        )
    df = pd.concat(frames)
    keys = df.groupby(["origin_period", "step"])["series_id"].nunique()
    keys = keys[keys == len(ids)].index
    wide = df.set_index(["origin_period", "step"]).loc[keys].reset_index()
    return {
        c: wide.pivot_table(index="series_id", columns=["origin_period", "step"], values=c, aggfunc="first")
        .reindex(ids)
        .to_numpy(dtype=float)
        for c in ("actual", "mean", "scale")
    }


class _Identity:
    """A projection that leaves the base forecasts as they are, and records what it was given."""

    def apply(self, base: np.ndarray, non_negative: bool = False) -> np.ndarray:
        self.seen = base
        return base


def _tree(seed: int) -> tuple[list[str], dict[str, pd.DataFrame], dict[str, list[pd.Timestamp]]]:
    """Series of different lengths (so their windows fall on different years), windows and steps out of
    order, one missing error, one series with fewer windows than the others."""
    rng = np.random.default_rng(seed)
    ids = ["P", "A", "B", "C"]
    periods, backtests = {}, {}
    for k, s in enumerate(ids):
        n = 24 - (k % 2)
        periods[s] = [pd.Timestamp(2000 + i - (k % 2), 1, 1) for i in range(n)]
        rows = [(o, j) for o in range(n - 14 + (k == 3) * 2, n - 2) for j in range(1, 4)]
        rng.shuffle(rows)
        backtests[s] = pd.DataFrame(
            {
                "origin": [o for o, _ in rows],
                "step": [j for _, j in rows],
                "actual": rng.normal(100, 5, len(rows)),
                "mean": rng.normal(100, 5, len(rows)),
                "scale": rng.uniform(1, 3, len(rows)),
            }
        )
    backtests["B"].loc[0, "mean"] = np.nan
    return ids, backtests, periods


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_residuals_equal_the_pivot_table(seed: int) -> None:
    ids, backtests, periods = _tree(seed)
    expected = _pivot_residuals(ids, backtests, periods)
    got = _residuals(ids, backtests, periods)
    assert got.shape == expected.shape and got.shape[1] > 8
    np.testing.assert_array_equal(got, expected)


def test_residuals_of_a_tree_without_backtests_are_one_missing_column() -> None:
    got = _residuals(["P", "A"], {"P": pd.DataFrame(), "A": pd.DataFrame()}, {"P": [], "A": []})
    assert got.shape == (2, 1) and np.isnan(got).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backtest_check_uses_the_windows_every_series_shares(seed: int) -> None:
    ids, backtests, periods = _tree(seed)
    piv = _pivot_check(ids, backtests, periods)
    proj = _Identity()
    base, after = _backtest_check(ids, backtests, periods, proj, False)
    np.testing.assert_array_equal(proj.seen, piv["mean"])
    want = np.mean(np.abs(piv["actual"] - piv["mean"]) / piv["scale"], axis=1)
    # C's fewer windows bound the shared ones; 16+ columns, where numpy's pairwise sums depend on the layout
    assert list(base) == ids and 16 <= piv["mean"].shape[1] < 36
    np.testing.assert_array_equal(np.array(list(base.values())), want)
    np.testing.assert_array_equal(list(after.values()), want)  # the identity projection changes nothing


def test_backtest_check_is_empty_when_a_series_has_no_backtest() -> None:
    ids, backtests, periods = _tree(0)
    backtests["A"] = pd.DataFrame()
    assert _backtest_check(ids, backtests, periods, _Identity(), False) == ({}, {})
