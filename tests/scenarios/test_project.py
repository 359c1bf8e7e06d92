"""Projections: no change = baseline exactly; a World FDI fall passes into UK flows by the estimated
pass-through and accumulates into the UK position (a persistent gap), which regions share by their own
exposures; a link without evidence contributes almost nothing and says so; shocks move every ancestor by the
same amount; results add up; the difference carries its intervals; seeded; bad input names the field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scen_data import DEU, EDGES, FRA, NOISE, POS, POS_EDGES, UKF, WLD, P, make_bundle, rates

from forecasting.scenarios.definitions import ScenarioError, parse_scenario
from forecasting.scenarios.project import ScenarioEngine, project

PROJECTS = [P.format(g) for g in ("MID", "TLF", "TLG", "TLG1", "TLG3", "E08000026", "E08000025")]
POSITIONS = [POS.format(g) for g in ("UK", "MID", "TLF", "TLG", "UK-UNALLOC")]


def _coherent(result, atol: float = 1e-6) -> None:
    by = {s.series_id: s for s in result.series}
    for fmt, edges in ((P, EDGES), (POS, POS_EDGES)):
        for parent in {p for p, _ in edges}:
            kids = [fmt.format(c) for p, c in edges if p == parent]
            if fmt.format(parent) not in by or not all(k in by for k in kids):
                continue
            assert np.allclose(
                by[fmt.format(parent)].diff, sum(by[k].diff for k in kids), rtol=0, atol=atol
            ), parent


def _downturn(values=(-20, -10), after: str = "hold") -> object:
    return parse_scenario(
        {
            "name": "down",
            "changes": [
                {
                    "type": "driver",
                    "driver": "world_fdi",
                    "kind": "deviation",
                    "values": list(values),
                    "after": after,
                }
            ],
        }
    )


def _link(bundle, target: str) -> pd.Series:
    t = bundle.transmission
    return t[(t["target_id"] == target) & t["used"] & (t["form"] != "exposure")].iloc[0]


def test_no_changes_reproduce_the_baseline_exactly(bundle) -> None:
    result = project(bundle, parse_scenario({"name": "baseline"}))
    fc = bundle.forecasts.sort_values(["series_id", "step"])
    assert len(result.series) == fc["series_id"].nunique()
    for s in result.series:
        g = fc[fc["series_id"] == s.series_id]
        assert np.array_equal(s.scenario_mean, g["mean"].to_numpy())
        assert np.array_equal(s.scenario_q, s.baseline_q)
        assert not s.affected and s.reason and s.status == "baseline"
        assert all(p["diff"] == 0 and p["diff_lo80"] == 0 and p["diff_hi95"] == 0 for p in s.points())


def test_world_fall_passes_through_and_accumulates_into_the_stock(bundle) -> None:
    result = project(bundle, _downturn((-20, -13.3, -6.7, 0), after="revert"))
    world, uk_flow = result.get(WLD), result.get(UKF)
    assert np.allclose(world.diff / world.baseline_mean, [-0.2, -0.133, -0.067, 0, 0, 0, 0, 0])
    b = _link(bundle, UKF)["coefficient"]
    assert np.allclose(uk_flow.diff, b * world.diff)  # level pass-through, same currency
    # the UK position accumulates the flow gap converted to GBP million at the rate path (random walk)
    rate = rates().usd_per_gbp("A").iloc[-1]
    gap = np.cumsum(uk_flow.diff / rate / 1e6)
    uk = result.get(POS.format("UK"))
    assert np.allclose(uk.diff, gap, rtol=1e-9)
    assert (
        uk.diff[-1] == pytest.approx(uk.diff[3]) and uk.diff[-1] < 0
    )  # the gap persists after flows recover
    assert abs(uk.diff[-1]) >= abs(uk.diff[0])
    first = uk.diff_pct[0]
    assert -5 < first < -0.1
    _coherent(result)


def test_regions_respond_by_their_own_exposures(bundle) -> None:
    result = project(bundle, _downturn())
    tlf, tlg, uk = (result.get(POS.format(g)) for g in ("TLF", "TLG", "UK"))
    t = bundle.transmission
    share = {
        g: t[(t["target_id"] == POS.format(g)) & (t["driver_id"] == POS.format("UK"))]["coefficient"].iloc[0]
        for g in ("TLF", "TLG")
    }
    assert np.allclose(tlf.diff, share["TLF"] * uk.diff) and np.allclose(tlg.diff, share["TLG"] * uk.diff)
    # differentiated: not one common percentage
    assert abs(tlf.diff_pct[0] - tlg.diff_pct[0]) > 0.01
    mid = result.get(POS.format("MID"))
    assert np.allclose(mid.diff, tlf.diff + tlg.diff)
    assert "exposure" in " ".join(tlf.channels)


def test_every_point_has_intervals_around_the_difference(bundle) -> None:
    result = project(bundle, _downturn(), POSITIONS + [UKF])
    for s in result.series:
        for p in s.points():
            assert p["diff_lo95"] <= p["diff_lo80"] <= p["diff"] <= p["diff_hi80"] <= p["diff_hi95"], (
                s.series_id
            )
        assert s.diff_intervals[80][0][0] < s.diff[0] < s.diff_intervals[80][1][0]  # uncertain, not a point
    # scenario quantiles stay monotone; the scenario interval is at least about as wide as the baseline's
    s = result.get(POS.format("TLF"))
    assert np.all(np.diff(s.scenario_q, axis=0) >= -1e-9)
    lo_b, hi_b = s.interval("baseline", 95)
    lo_s, hi_s = s.interval("scenario", 95)
    assert np.all(hi_s - lo_s >= 0.9 * (hi_b - lo_b))


def test_a_link_estimated_at_zero_moves_almost_nothing_and_says_why(bundle) -> None:
    link = _link(bundle, NOISE)  # no signal, estimated on 24 years: a precise zero, not a gate
    assert (
        abs(link["coefficient"]) <= abs(link["own_coefficient"]) + 1e-12 and abs(link["coefficient"]) < 0.05
    )
    s = project(bundle, _downturn(), [NOISE]).series[0]
    assert s.status in ("moved", "baseline")  # no significance gate: it moves by its shrunk estimate
    assert np.all(np.abs(s.diff) <= 0.01 * np.abs(s.baseline_mean))
    d = s.to_dict()
    ev = " ".join(lk["evidence"] for lk in d["links"])
    assert "own estimate" in ev and "weight" in ev


def test_stock_gap_per_period_flow_cumulative(bundle) -> None:
    result = project(bundle, _downturn(after="revert"))
    stock, flow = result.get(POS.format("UK")).to_dict(), result.get(UKF).to_dict()
    assert all(p["cum_diff"] is None for p in stock["points"])
    sm = stock["summary"]
    assert sm["quantity"] == "stock" and "cumulative_diff" not in sm
    assert sm["gap_kept"] == pytest.approx(1.0) and sm["last_diff"] == pytest.approx(sm["largest_diff"])
    assert flow["points"][-1]["cum_diff"] == pytest.approx(float(np.sum(result.get(UKF).diff)))
    assert flow["summary"]["cumulative_diff"] == pytest.approx(flow["points"][-1]["cum_diff"])


def test_outputs_carry_units_kind_provenance_and_decomposition(bundle) -> None:
    result = project(bundle, _downturn())
    d = result.to_dict()
    assert d["model"]["data_vintage"] == "v1" and d["model"]["model_name"] == "test"
    assert d["draws"]["n"] == 500 and d["draws"]["seed"] == bundle.metadata.seed
    drv = {x["driver_id"]: x for x in d["drivers"]}
    assert drv[WLD]["source"] == "scenario path changes[0]" and drv[WLD]["deviation_pct"][0] == pytest.approx(
        -20
    )
    assert "usd_per_gbp.UK.all.A" in drv  # the rate the stock-flow link converted with
    s = next(x for x in d["series"] if x["series_id"] == POS.format("MID"))
    assert s["unit"] == "GBP million" and s["currency"] == "GBP" and s["quantity"] == "stock"
    assert [p["kind"] for p in s["points"]] == ["forecast"] * 8  # today: 2024-12-31 (conftest)
    assert s["decomposition"][0]["assumption"].startswith("changes[0]") and s["decomposition"][0][
        "share"
    ] == pytest.approx(1.0)
    uk = next(x for x in d["series"] if x["series_id"] == POS.format("UK"))
    assert uk["stock_flow"]["flow_series"] == UKF and len(uk["stock_flow"]["flow_baseline"]) == 8
    frame = result.to_frame()
    assert len(frame) == sum(len(x["points"]) for x in d["series"])


def test_projection_is_seeded_and_independent_of_the_series_asked_for(bundle) -> None:
    one = project(bundle, _downturn(), [POS.format("TLG")])
    full = project(bundle, _downturn())
    again = project(bundle, _downturn(), [POS.format("TLG")])
    assert one.to_dict()["series"] == again.to_dict()["series"]
    assert one.get(POS.format("TLG")).to_dict() == full.get(POS.format("TLG")).to_dict()
    other = project(bundle, _downturn(), [POS.format("TLG")], seed=99)
    a, b = one.series[0], other.series[0]
    assert np.array_equal(a.diff, b.diff)  # the central path does not depend on the seed
    assert not np.array_equal(a.diff_intervals[80][0], b.diff_intervals[80][0])


def test_la_shock_moves_every_ancestor_by_the_same_amount(bundle) -> None:
    sc = parse_scenario(
        {
            "name": "project",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "E08000026",
                    "kind": "one_off",
                    "value": 3,
                    "start": 2026,
                }
            ],
        }
    )
    result = project(bundle, sc)
    for g in ("E08000026", "TLG3", "TLG", "MID"):
        s = result.get(P.format(g))
        assert np.allclose(s.diff, [0, 3, 0, 0, 0, 0, 0, 0], rtol=0, atol=1e-12), g
        assert np.allclose(s.diff_intervals[95][0], s.diff)  # a shock is certain
    for g in ("TLF", "TLG1", "E08000025"):
        assert not result.get(P.format(g)).affected
    assert not result.get(UKF).affected and "baseline" in result.get(UKF).reason
    _coherent(result)


def test_position_shock_flows_up_to_mid_and_uk(bundle) -> None:
    sc = parse_scenario(
        {
            "name": "major",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_inward_position",
                    "geography": "TLG",
                    "kind": "level",
                    "value": 1500,
                    "start": "2026",
                }
            ],
        }
    )
    result = project(bundle, sc)
    for g in ("TLG", "MID", "UK"):
        assert np.allclose(result.get(POS.format(g)).diff, [0] + [1500] * 7), g
    assert not result.get(POS.format("TLF")).affected
    _coherent(result)


def test_parent_shock_is_shared_by_baseline_shares_and_growth_shocks_compound(bundle) -> None:
    sc = parse_scenario(
        {
            "name": "mix",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "TLG",
                    "kind": "level",
                    "value": 10,
                    "start": 2026,
                    "end": 2027,
                },
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "TLF",
                    "kind": "growth",
                    "value": 5,
                },
                {"type": "driver", "driver": UKF, "kind": "level", "values": [1e11], "start": 2027},
            ],
        }
    )
    result = project(bundle, sc)
    tlg, t1 = result.get(P.format("TLG")), result.get(P.format("TLG1"))
    assert np.allclose(tlg.diff, [0, 10, 10, 0, 0, 0, 0, 0])
    assert np.allclose(t1.diff, t1.baseline_mean / tlg.baseline_mean * np.array([0, 10, 10, 0, 0, 0, 0, 0]))
    tlf = result.get(P.format("TLF"))
    assert np.allclose(tlf.scenario_mean / tlf.baseline_mean, 1.05 ** np.arange(1, 9))
    assert result.get(UKF).scenario_mean[2] == pytest.approx(1e11)
    _coherent(result)


def test_single_series_projection_only_computes_what_it_needs(bundle) -> None:
    one = project(bundle, _downturn(), [P.format("E08000026")])
    assert [s.series_id for s in one.series] == [P.format("E08000026")]
    assert {d.driver_id for d in one.drivers} >= {WLD}


def test_other_economies_move_by_their_pass_through(bundle) -> None:
    result = project(bundle, _downturn(), [FRA, DEU, WLD])
    w = result.get(WLD).diff
    for sid in (FRA, DEU):
        assert np.allclose(result.get(sid).diff, _link(bundle, sid)["coefficient"] * w)


def test_rate_path_changes_the_gbp_value_of_us_dollar_flows(bundle) -> None:
    sc = parse_scenario(
        {
            "name": "weak-pound",
            "changes": [{"type": "driver", "driver": "usd_per_gbp", "kind": "deviation", "values": [-10]}],
        }
    )
    result = project(bundle, sc, [POS.format("UK"), UKF])
    assert not result.get(UKF).affected  # US$ flows unchanged
    uk = result.get(POS.format("UK"))
    assert uk.affected and np.all(uk.diff[1:] > 0)  # the same US$ buy more GBP of position
    assert uk.diff[0] == 0  # the rate is published for the first year: the path starts after it
    assert any(
        d.driver_id == "usd_per_gbp.UK.all.A" and d.source.startswith("scenario path") for d in result.drivers
    )


def test_decomposition_splits_the_gap_exactly_between_assumptions(bundle) -> None:
    sc = parse_scenario(
        {
            "name": "both",
            "changes": [
                {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20, -10]},
                {"type": "driver", "driver": "usd_per_gbp", "kind": "deviation", "values": [-10]},
            ],
        }
    )
    for sid in (POS.format("UK"), POS.format("MID")):
        s = project(bundle, sc, [sid]).series[0]
        parts = {p["assumption"]: p["diff"] for p in s.decomposition}
        assert set(parts) == {"changes[0] world_fdi path", "changes[1] usd_per_gbp path"}
        assert sum(parts.values()) == pytest.approx(s.diff[int(np.argmax(np.abs(s.diff)))])
        assert parts["changes[0] world_fdi path"] < 0 < parts["changes[1] usd_per_gbp path"]


def _expect(
    bundle, changes: list[dict], loc: list, *, series: list[str] | None = None, text: str = ""
) -> None:
    with pytest.raises(ScenarioError) as info:
        sc = parse_scenario({"name": "bad", "changes": changes})
        project(bundle, sc, series)
    locs = [e["loc"] for e in info.value.errors]
    assert any(got[: len(loc)] == loc for got in locs), locs
    assert text.lower() in str(info.value).lower()


DRV = {"type": "driver", "driver": "world_fdi", "kind": "deviation"}
SHOCK = {"type": "shock", "measure": "fdi_projects", "geography": "TLG", "kind": "level", "value": 1}


@pytest.mark.parametrize(
    ("changes", "loc", "text"),
    [
        ([{**DRV, "driver": "mars_fdi", "values": [1]}], ["changes", 0, "driver"], "unknown driver"),
        ([{**DRV, "values": [1] * 9}], ["changes", 0, "values"], "wrong length"),
        ([{**DRV, "values": [1, 2], "periods": ["2025"]}], ["changes", 0, "values"], "wrong length"),
        ([{**DRV, "values": [1], "start": "2034"}], ["changes", 0, "start"], "outside the bundle's horizon"),
        (
            [{**DRV, "values": [1], "periods": ["2019"]}],
            ["changes", 0, "periods"],
            "outside the bundle's horizon",
        ),
        ([{**DRV, "values": [-100]}], ["changes", 0, "values"], "100%"),
        ([{**DRV, "values": [float("nan")]}], ["changes", 0, "values"], "finite"),
        ([{**DRV, "values": [1e300]}], ["changes", 0, "values"], "absurd magnitude"),
        ([{**DRV, "kind": "level", "values": [-5.0]}], ["changes", 0, "values"], "positive"),
        (
            [{**DRV, "driver": "uk_fdi", "kind": "level", "values": [1e15]}],
            ["changes", 0, "values"],
            "absurd magnitude",
        ),
        (
            [{**DRV, "values": [1]}, {**DRV, "driver": WLD, "values": [2]}],
            ["changes", 1, "driver"],
            "conflicts",
        ),
        ([{**DRV, "values": [1]}, {**DRV, "values": [2]}], ["changes", 1, "driver"], "conflicts"),
        ([SHOCK, {**SHOCK, "geography": "ZZZ"}], ["changes", 1, "geography"], "no series"),
        ([{**SHOCK, "measure": "gold"}], ["changes", 0, "measure"], "no series"),
        ([{**SHOCK, "cluster": "space"}], ["changes", 0, "cluster"], "no series"),
        ([{**SHOCK, "start": "2040"}], ["changes", 0, "start"], "outside"),
        ([{**SHOCK, "value": -1e3}], ["changes", 0, "value"], "negative"),
        ([{**SHOCK, "value": 1e300}], ["changes", 0, "value"], "absurd magnitude"),
        ([{**SHOCK, "value": 5e7}], ["changes", 0, "value"], "absurd magnitude"),
        ([{**SHOCK, "unit": "percent", "value": -100}], ["changes", 0, "value"], "100%"),
        ([{**SHOCK, "unit": "percent", "value": 1e5}], ["changes", 0, "value"], "absurd magnitude"),
        ([{**SHOCK, "value": float("inf")}], ["changes", 0, "value"], "finite"),
        ([{**SHOCK, "kind": "explode"}], ["changes", 0, "kind"], ""),
        ([{**SHOCK, "colour": "red"}], ["changes", 0, "colour"], "unknown field"),
    ],
)
def test_bad_input_names_change_and_field(bundle, changes, loc, text) -> None:
    _expect(bundle, changes, loc, text=text)


def test_a_series_of_zeros_can_still_be_shocked(bundle) -> None:
    b = make_bundle()
    sid = P.format("E08000025")
    fc = b.forecasts
    cols = [c for c in fc.columns if c == "mean" or c.startswith("q")]
    fc.loc[fc["series_id"] == sid, cols] = 0.0
    b.history.loc[b.history["series_id"] == sid, "value"] = 0.0
    shock = {
        "type": "shock",
        "measure": "fdi_projects",
        "geography": "E08000025",
        "kind": "one_off",
        "value": 2,
    }
    s = project(b, parse_scenario({"name": "first", "changes": [shock]}), [sid]).series[0]
    assert s.diff[0] == 2 and s.affected


def test_unknown_series_is_named(bundle) -> None:
    _expect(bundle, [], ["series", 1], series=[WLD, "fdi_projects.NOPE.all.A"], text="unknown series")


def test_index_arrays_are_read_only(bundle) -> None:
    idx = ScenarioEngine(bundle).index
    s = idx.series[WLD]
    with pytest.raises(ValueError):
        s.mean[0] = 0.0
    with pytest.raises(TypeError):
        idx.series[WLD] = s  # type: ignore[index]


def test_a_bundle_trained_before_shrinkage_is_shrunk_when_read(bundle) -> None:
    import dataclasses

    from forecasting.scenarios.index import BundleIndex

    old = bundle.transmission.drop(columns=["weight", "own_coefficient", "own_se"])
    old.loc[old["target_id"] == NOISE, ["coefficient", "elasticity", "se"]] = [9.0, 9.0, 6.0]
    idx = BundleIndex.build(dataclasses.replace(bundle, transmission=old))
    link = next(k for k in idx.all_links[NOISE] if k.form == "log")
    assert link.own_coefficient == 9.0 and abs(link.coefficient) < 3 and link.weight < 0.5
    assert "shrunk when the bundle was read" in link.pooled


def test_an_elasticity_estimated_on_differences_is_applied_linearly(bundle) -> None:
    """A driver with zero or negative values (UK net inflows) gets elasticities estimated on differences
    at the means: a fall of 99% moves the target by e x -99%, not by (1 - 0.99)^e - 1 (x5 for e = -0.03)."""
    import dataclasses

    tab = bundle.transmission.copy()
    row = (tab["target_id"] == NOISE) & (tab["form"] == "log") & tab["used"]
    tab.loc[row, ["driver_id", "model", "coefficient", "elasticity", "se"]] = [
        UKF,
        "diff_ols_at_means_shrunk",
        -0.03,
        -0.03,
        0.0,
    ]
    b = dataclasses.replace(
        bundle, transmission=tab, metadata=bundle.metadata.model_copy(update={"model_name": "lin"})
    )
    sc = parse_scenario(
        {"name": "x", "changes": [{"type": "driver", "driver": UKF, "kind": "deviation", "values": [-99]}]}
    )
    s = project(b, sc, [NOISE]).get(NOISE)
    k = int(np.flatnonzero(s.diff)[0])
    assert s.diff[k] == pytest.approx(s.baseline_mean[k] * -0.03 * -0.99)
    assert "applied linearly" in " ".join(s.channels)
