"""The panel pre-step behind pooled_drift: group slopes from data up to each origin only."""

from __future__ import annotations

import numpy as np

from forecasting.evaluation.auto import forecast_many
from forecasting.evaluation.pooling import MIN_POOL_SERIES, group_slope_rows


def panel(n_series: int = 8, n: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"s{i}": 100 * np.cumprod(1 + 0.03 + 0.02 * rng.standard_normal(n)) for i in range(n_series)}


def test_rows_use_no_data_after_their_origin() -> None:
    p = panel()
    key = dict.fromkeys(p, "g")
    rows = group_slope_rows(p, key)
    assert set(rows) == set(p) and rows["s0"][-1][0] == 12  # the last row: the full history
    changed = dict(p)
    changed["s3"] = p["s3"].copy()
    changed["s3"][-1] *= 3  # a later value of another series
    again = group_slope_rows(changed, key)
    assert again["s0"][:-1] == rows["s0"][:-1]  # every earlier origin's figures unchanged
    assert again["s0"][-1] != rows["s0"][-1]
    r = np.array([np.diff(y).mean() / y[-1] for y in p.values()])
    assert np.isclose(rows["s0"][-1][1], r.mean())


def test_small_groups_and_ungrouped_series_get_nothing() -> None:
    p = panel(MIN_POOL_SERIES - 1)
    assert group_slope_rows(p, dict.fromkeys(p, "g")) == {}


def test_a_group_of_like_series_switches_to_pooled_drift() -> None:
    # 25 areas growing 3% a year together, each with its own noise: one series' slope is mostly noise
    # (not a default candidate: asked for by name beside the defaults)
    p = panel(25, 20, seed=1)
    methods = ("shrunk_combo", "drift", "naive", "pooled_drift")
    grp = dict.fromkeys(p, "gva:itl3")
    out = forecast_many(p, 3, group_of=grp, methods=methods, n_jobs=1, quantiles=(0.1, 0.5, 0.9))
    r = out["s0"]
    assert r.method == "pooled_drift" and "pooled_drift chosen for its group" in r.backtest_info["note"]
    assert r.state["params"]["group_slope"]  # the fit carries the group figures it used
    alone = forecast_many(p, 3, methods=methods, n_jobs=1, quantiles=(0.1, 0.5, 0.9))  # no groups: no pooling
    assert all(x.method != "pooled_drift" for x in alone.values())
