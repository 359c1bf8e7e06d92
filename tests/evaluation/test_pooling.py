"""The panel pre-steps behind pooled_drift and group_share: group figures from data up to each origin only."""

from __future__ import annotations

import numpy as np

from forecasting.evaluation.auto import forecast_many, without_context
from forecasting.evaluation.pooling import (
    MIN_POOL_SERIES,
    group_growth_rows,
    group_slope_rows,
    total_growth,
)


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


def test_group_growth_is_the_totals_drift_from_data_up_to_each_origin() -> None:
    p = panel()
    key = dict.fromkeys(p, "g")
    rows = group_growth_rows(p, key)
    total = np.sum(list(p.values()), axis=0)
    for n in (5, 12):  # a balanced panel: the total's drift slope over its value at the origin
        t = total[:n]
        want = (t[-1] - t[0]) / (n - 1) / t[-1]
        assert np.isclose(dict((r[0], r[1]) for r in rows["s0"])[n], want)
    changed = dict(p)
    changed["s3"] = p["s3"].copy()
    changed["s3"][-1] *= 3  # a later value of another series moves only the last origin's figure
    again = group_growth_rows(changed, key)
    assert again["s0"][:-1] == rows["s0"][:-1] and again["s0"][-1] != rows["s0"][-1]
    small = panel(MIN_POOL_SERIES - 1)
    assert group_growth_rows(small, dict.fromkeys(small, "g")) == {}


def test_group_growth_is_chain_linked_over_members_that_start_late() -> None:
    # every member grows 5% a year; one big member starts halfway: the total's growth stays 5%
    p = {f"s{i}": (10 + i) * 1.05 ** np.arange(12) for i in range(6)}
    p["late"] = 1000 * 1.05 ** np.arange(6)
    ratio = total_growth(p)
    assert np.allclose(ratio[1:], 1.05)
    rows = group_growth_rows(p, dict.fromkeys(p, "g"))
    assert np.isclose(rows["late"][-1][1], (1 - 1.05**-11) / 11)  # the index's drift over 12 points
    assert rows["late"][0][0] == 2  # the late member's rows start at its own shortest fit


def test_a_group_growing_together_switches_to_group_share() -> None:
    # 25 areas growing 3% a year together, each with its own noise: the group's total is the better slope
    p = panel(25, 20, seed=1)
    methods = ("shrunk_combo", "drift", "naive", "group_share")
    grp = dict.fromkeys(p, "gva:itl3")
    out = forecast_many(p, 3, group_of=grp, methods=methods, n_jobs=1, quantiles=(0.1, 0.5, 0.9))
    r = out["s0"]
    assert r.method == "group_share" and "group_share chosen for its group" in r.backtest_info["note"]
    assert r.state["params"]["group_growth"]  # the fit carries the group figures it used
    alone = forecast_many(p, 3, methods=methods, n_jobs=1, quantiles=(0.1, 0.5, 0.9))  # no groups
    assert all(x.method != "group_share" for x in alone.values())


def test_group_share_is_the_default_trend_rival_and_without_a_group_it_is_drift() -> None:
    # the annual default's candidates: group_share where the panel gives group figures, else drift
    p = panel(25, 20, seed=1)
    qs = (0.1, 0.5, 0.9)
    grouped = forecast_many(p, 3, group_of=dict.fromkeys(p, "gva:itl3"), n_jobs=1, quantiles=qs)
    assert {r.method for r in grouped.values()} == {"group_share"}
    assert set(grouped["s0"].candidates) == {"group_share"}  # switched: only the rival's backtest kept
    alone = forecast_many(p, 3, n_jobs=1, quantiles=qs)  # no groups: drift is the rival, as before it
    assert {r.method for r in alone.values()} == {"drift"}
    assert without_context(("shrunk_combo", "group_share", "naive")) == ("shrunk_combo", "drift", "naive")
    assert without_context(("group_share", "drift", "pooled_drift")) == ("drift",)
    given = {"group_share": {"group_growth": [[5.0, 0.03]]}}
    assert without_context(("shrunk_combo", "group_share"), given) == ("shrunk_combo", "group_share")


def test_a_member_without_its_groups_figures_sits_out_of_the_switch() -> None:
    # one series of the calibration group ends a year earlier (its own horizon): alone at that horizon, it
    # gets no group figures, so its rival is drift; the other 25 still switch and it keeps the default
    p = panel(26, 20, seed=1)
    h = {s: 3 for s in p} | {"s25": 4}
    out = forecast_many(p, h, group_of=dict.fromkeys(p, "gva:itl3"), n_jobs=1, quantiles=(0.1, 0.5, 0.9))
    assert set(out["s25"].scores) == {"shrunk_combo", "drift", "naive"}
    assert out["s25"].method == "shrunk_combo"
    assert all(out[s].method == "group_share" for s in p if s != "s25")
    scores = {s: out[s].scores for s in ("s0", "s25")}
    assert "group_share" in scores["s0"] and "group_share" not in scores["s25"]
