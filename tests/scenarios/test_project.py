"""Projections: no change = baseline exactly; direction and size follow the elasticities; an LA shock moves
its parents by the same amount; every projection adds up; bad input names the change and field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scen_data import EDGES, UKF, WLD, P

from forecasting.scenarios.definitions import ScenarioError, parse_scenario
from forecasting.scenarios.project import engine_for, project

ALL = [UKF, WLD] + [P.format(g) for g in ("MID", "TLF", "TLG", "TLG1", "TLG3", "E08000026", "E08000025")]


def _coherent(result, atol: float = 1e-6) -> None:
    by = {s.series_id: s for s in result.series}
    for parent, _ in EDGES:
        kids = [P.format(c) for p, c in EDGES if p == parent]
        total = sum(by[k].scenario_mean for k in kids)
        assert np.allclose(by[P.format(parent)].scenario_mean, total, rtol=0, atol=atol), parent
        diff = sum(by[k].diff for k in kids)
        assert np.allclose(by[P.format(parent)].diff, diff, rtol=0, atol=atol), parent


def _downturn():
    return parse_scenario(
        {
            "name": "down",
            "changes": [{"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20, -10]}],
        }
    )


def test_no_changes_reproduce_the_baseline_exactly(bundle) -> None:
    result = project(bundle, parse_scenario({"name": "baseline"}))
    assert len(result.series) == len(ALL)
    fc = bundle.forecasts.sort_values(["series_id", "step"])
    for s in result.series:
        g = fc[fc["series_id"] == s.series_id]
        assert np.array_equal(s.scenario_mean, g["mean"].to_numpy())
        assert np.array_equal(s.scenario_mean, s.baseline_mean)
        assert np.array_equal(s.scenario_q, s.baseline_q)
        assert not s.affected and s.reason
        assert all(p["diff"] == 0 for p in s.points())


def test_downturn_moves_targets_by_the_estimated_elasticities(bundle) -> None:
    tab = bundle.transmission[bundle.transmission["used"]].set_index("target_id")
    result = project(bundle, _downturn())
    world = result.get(WLD)
    assert np.allclose(world.diff / world.baseline_mean, [-0.2, -0.1, -0.1, -0.1, -0.1])  # after = hold
    # UK FDI: a share of World FDI (elasticity 1)
    assert tab.loc[UKF, "model"] == "share" and tab.loc[UKF, "driver_id"] == WLD
    uk = result.get(UKF)
    assert np.allclose(uk.diff / uk.baseline_mean, [-0.2, -0.1, -0.1, -0.1, -0.1])
    # Midlands: its own estimated link; every area below it moves by the same proportion (shares held)
    mid = tab.loc[P.format("MID")]
    assert mid["model"] != "share" and mid["elasticity"] > 0
    r_driver = -0.2 if mid["driver_id"] in (WLD, UKF) else None
    expected = (1 + r_driver) ** mid["elasticity"] - 1
    for g in ("MID", "TLF", "TLG", "E08000026"):
        s = result.get(P.format(g))
        rel = s.diff / s.baseline_mean
        assert rel[0] == pytest.approx(expected, rel=1e-9), g
        assert rel[0] < 0  # a downturn lowers Midlands projections
    _coherent(result)


def test_elasticity_uncertainty_widens_the_intervals(bundle) -> None:
    s = project(bundle, _downturn(), [P.format("TLF")]).get(P.format("TLF"))
    iv_b, iv_s = s.interval("baseline", 95), s.interval("scenario", 95)
    assert np.all(iv_s[1] - iv_s[0] >= iv_b[1] - iv_b[0] - 1e-9)
    assert np.all(np.diff(s.scenario_q, axis=0) >= -1e-12)  # quantiles stay monotone
    assert np.all(iv_s[0] <= s.scenario_mean) and np.all(s.scenario_mean <= iv_s[1])


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
        assert np.allclose(result.get(P.format(g)).diff, [0, 3, 0, 0, 0], rtol=0, atol=1e-12), g
    for g in ("TLF", "TLG1", "E08000025"):
        assert not result.get(P.format(g)).affected
    assert not result.get(UKF).affected and "baseline" in result.get(UKF).reason
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
    assert np.allclose(tlg.diff, [0, 10, 10, 0, 0])
    share = t1.baseline_mean / tlg.baseline_mean
    assert np.allclose(t1.diff, share * np.array([0, 10, 10, 0, 0]))
    tlf = result.get(P.format("TLF"))
    assert np.allclose(tlf.scenario_mean / tlf.baseline_mean, 1.05 ** np.arange(1, 6))
    uk = result.get(UKF)
    assert uk.scenario_mean[2] == pytest.approx(1e11)
    _coherent(result)


def test_single_series_projection_only_computes_what_it_needs(bundle) -> None:
    one = project(bundle, _downturn(), [P.format("E08000026")])
    full = project(bundle, _downturn())
    assert [s.series_id for s in one.series] == [P.format("E08000026")]
    assert np.array_equal(one.series[0].scenario_mean, full.get(P.format("E08000026")).scenario_mean)
    assert {d.driver_id for d in one.drivers} >= {WLD}


def test_outputs_carry_differences_drivers_and_provenance(bundle) -> None:
    result = project(bundle, _downturn())
    d = result.to_dict()
    assert d["model"]["data_vintage"] == "v1" and d["model"]["model_name"] == "test"
    drv = {x["driver_id"]: x for x in d["drivers"]}
    assert drv[WLD]["source"] == "scenario path changes[0]" and drv[WLD]["deviation_pct"][0] == pytest.approx(
        -20
    )
    s = next(x for x in d["series"] if x["series_id"] == P.format("MID"))
    p0 = s["points"][0]
    for k in (
        "baseline_mean",
        "baseline_lo80",
        "baseline_hi95",
        "scenario_mean",
        "scenario_lo95",
        "diff",
        "diff_pct",
        "cum_diff",
        "cum_diff_pct",
    ):
        assert k in p0
    assert s["links"] and s["links"][0]["se"] > 0 and s["channels"]
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(ALL) * 5
    cum = np.cumsum(result.get(P.format("MID")).diff)
    assert s["points"][-1]["cum_diff"] == pytest.approx(cum[-1])


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
        ([{**DRV, "values": [1, 2, 3, 4, 5, 6]}], ["changes", 0, "values"], "wrong length"),
        ([{**DRV, "values": [1, 2], "periods": ["2025"]}], ["changes", 0, "values"], "wrong length"),
        ([{**DRV, "values": [1], "start": "2031"}], ["changes", 0, "start"], "outside the bundle's horizon"),
        (
            [{**DRV, "values": [1], "periods": ["2019"]}],
            ["changes", 0, "periods"],
            "outside the bundle's horizon",
        ),
        ([{**DRV, "values": [-100]}], ["changes", 0, "values"], "100%"),
        ([{**DRV, "values": [float("nan")]}], ["changes", 0, "values"], "finite"),
        ([{**DRV, "kind": "level", "values": [-5.0]}], ["changes", 0, "values"], "positive"),
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
        ([{**SHOCK, "value": -1e9}], ["changes", 0, "value"], "negative"),
        ([{**SHOCK, "unit": "percent", "value": -100}], ["changes", 0, "value"], "100%"),
        ([{**SHOCK, "value": float("inf")}], ["changes", 0, "value"], "finite"),
        ([{**SHOCK, "kind": "explode"}], ["changes", 0, "kind"], ""),
        ([{**SHOCK, "colour": "red"}], ["changes", 0, "colour"], "unknown field"),
    ],
)
def test_bad_input_names_change_and_field(bundle, changes, loc, text) -> None:
    _expect(bundle, changes, loc, text=text)


def test_unknown_series_is_named(bundle) -> None:
    _expect(bundle, [], ["series", 1], series=[WLD, "fdi_projects.NOPE.all.A"], text="unknown series")


def test_engine_is_built_once_per_bundle(bundle) -> None:
    assert engine_for(bundle) is engine_for(bundle)
