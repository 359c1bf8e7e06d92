"""Trees whose members end their data in different years: differences are summed by calendar period.

LA GDP is published two years after ITL3 GDP, so in one summing tree an LA's first forecast period is
2024 while its ITL3 parent's is 2022: step 3 is 2026 for one and 2024 for the other. A shock placed in a
year must land in that year at every level of the tree (summing by step moved a 2027 project into the
UK's 2025). The generated bundle is re-timed here: Coventry and Birmingham's project counts (and the
regional FDI positions) are observed for longer than their parents, so their forecasts start later.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from bundle_parts import make_metrics
from scen_data import EDGES, POS, POS_EDGES, P, catalogue, make_bundle

from forecasting.registry.contents import BundleContents
from forecasting.scenarios.definitions import parse_scenario
from forecasting.scenarios.project import project

LATER = {P.format("E08000026"): 2, P.format("E08000025"): 2, POS.format("TLF"): 1, POS.format("TLG"): 1}
CA = {"E47000007": POS.format("E47000007"), "E47000013": POS.format("E47000013")}


def _retimed() -> BundleContents:
    """The generated bundle with the LATER series' data running ``k`` more years (forecasts start later
    and end later), plus combined-authority positions outside every tree."""
    b = make_bundle()
    fc, hist = b.forecasts.copy(), b.history.copy()
    extra = []
    for sid, k in LATER.items():
        rows = fc["series_id"] == sid
        first = fc.loc[rows].sort_values("step").iloc[0]
        for j in range(k):  # the years now observed: published values near the old forecast
            t = pd.Timestamp(int(first["period"]) + j, 1, 1)
            extra.append({"series_id": sid, "period": str(t.year), "period_start": t, "value": first["mean"]})
        fc.loc[rows, "period"] = (fc.loc[rows, "period"].astype(int) + k).astype(str)
        fc.loc[rows, "period_start"] = fc.loc[rows, "period_start"] + pd.DateOffset(years=k)
    hist = pd.concat([hist, pd.DataFrame(extra).assign(source="synthetic", vintage="v1")], ignore_index=True)
    for sid in CA.values():  # a combined authority: its own series, in no summing tree
        src = POS.format("TLG")
        fc = pd.concat([fc, fc[fc["series_id"] == src].assign(series_id=sid)], ignore_index=True)
        hist = pd.concat([hist, hist[hist["series_id"] == src].assign(series_id=sid)], ignore_index=True)
    ids = sorted(fc["series_id"].unique())
    return BundleContents(
        catalogue=catalogue(ids),
        history=hist,
        forecasts=fc,
        metrics=make_metrics(ids),
        level_metrics=b.level_metrics,
        hierarchy=b.hierarchy,
        transmission=b.transmission,
        metadata=b.metadata.model_copy(update={"model_name": "calendar-test"}),
    )


@pytest.fixture(scope="module")
def retimed() -> BundleContents:
    return _retimed()


def _by_period(result, sid: str) -> dict[str, float]:
    s = result.get(sid)
    return dict(zip(s.periods, s.diff.tolist(), strict=True))


def _check_sums_by_period(result, fmt: str, edges) -> None:
    """Every parent's difference is its children's sum in each calendar period all of them forecast."""
    for parent in {p for p, _ in edges}:
        kids = [fmt.format(c) for p, c in edges if p == parent]
        got = _by_period(result, fmt.format(parent))
        per_kid = [_by_period(result, k) for k in kids]
        common = [p for p in got if all(p in d for d in per_kid)]
        assert common, parent
        for p in common:
            assert got[p] == pytest.approx(sum(d[p] for d in per_kid), abs=1e-6), (parent, p)


def test_the_fixture_trees_really_start_in_different_years(retimed) -> None:
    fc = retimed.forecasts
    first = fc.sort_values("step").groupby("series_id")["period"].first()
    assert first[P.format("E08000026")] == "2027" and first[P.format("TLG3")] == "2025"
    assert first[POS.format("TLG")] == "2026" and first[POS.format("UK")] == "2025"


def test_an_la_shock_lands_in_its_year_at_every_level(retimed) -> None:
    sc = parse_scenario(
        {
            "name": "la",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "E08000026",
                    "kind": "one_off",
                    "value": 3,
                    "start": "2028",
                }
            ],
        }
    )
    result = project(retimed, sc)
    for g in ("E08000026", "TLG3", "TLG", "MID"):
        d = _by_period(result, P.format(g))
        assert d["2028"] == pytest.approx(3.0), g
        assert all(v == 0 for p, v in d.items() if p != "2028"), (g, d)
    for g in ("E08000025", "TLG1", "TLF"):
        assert not result.get(P.format(g)).affected, g
    _check_sums_by_period(result, P, EDGES)


def test_a_parent_shock_is_shared_down_in_the_same_year(retimed) -> None:
    sc = parse_scenario(
        {
            "name": "tlg",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "TLG",
                    "kind": "one_off",
                    "value": 10,
                    "start": "2029",
                }
            ],
        }
    )
    result = project(retimed, sc)
    for g in ("TLG", "MID"):
        assert _by_period(result, P.format(g))["2029"] == pytest.approx(10.0), g
    cov, bham = _by_period(result, P.format("E08000026")), _by_period(result, P.format("E08000025"))
    t3, t1 = _by_period(result, P.format("TLG3")), _by_period(result, P.format("TLG1"))
    assert t3["2029"] + t1["2029"] == pytest.approx(10.0)
    assert cov["2029"] + bham["2029"] == pytest.approx(t3["2029"])
    # Coventry's share is its baseline in 2029 (its own third forecast step, TLG3's fifth)
    s_cov, s_bham = result.get(P.format("E08000026")), result.get(P.format("E08000025"))
    b_cov = s_cov.baseline_mean[s_cov.periods.index("2029")]
    b_bham = s_bham.baseline_mean[s_bham.periods.index("2029")]
    assert s_cov.periods[2] == "2029" and result.get(P.format("TLG3")).periods[4] == "2029"
    assert cov["2029"] == pytest.approx(t3["2029"] * b_cov / (b_cov + b_bham))
    for d in (cov, bham, t3, t1):
        assert all(v == 0 for p, v in d.items() if p != "2029")


def test_a_driver_path_through_a_retimed_tree_adds_up_by_period(retimed) -> None:
    sc = parse_scenario(
        {
            "name": "down",
            "changes": [
                {
                    "type": "driver",
                    "driver": "world_fdi",
                    "kind": "deviation",
                    "values": [-20],
                    "start": "2027",
                    "after": "hold",
                }
            ],
        }
    )
    result = project(retimed, sc)
    uk = _by_period(result, POS.format("UK"))
    assert uk["2026"] == 0 and uk["2027"] < 0  # the gap opens in the shocked year, not a step earlier
    tlg = _by_period(result, POS.format("TLG"))
    assert tlg["2026"] == 0 and tlg["2027"] < 0
    _check_sums_by_period(result, POS, POS_EDGES)


def test_a_project_reaches_its_combined_authority_and_not_another(retimed) -> None:
    sc = parse_scenario(
        {
            "name": "plant",
            "changes": [{"type": "project", "place": "E08000026", "start": "2027", "fdi": 100.0}],
        }
    )
    result = project(retimed, sc, today=dt.date(2026, 12, 7))
    for sid in (CA["E47000007"], POS.format("TLG"), POS.format("MID"), POS.format("UK")):
        d = _by_period(result, sid)
        assert d["2027"] == pytest.approx(100.0) and d["2026"] == 0, sid
    for sid in (CA["E47000013"], POS.format("TLF"), POS.format("UK-UNALLOC")):
        assert not result.get(sid).affected, sid
    assert np.isclose(_by_period(result, POS.format("UK"))["2030"], 100.0)


def test_a_member_whose_forecasts_start_after_the_tree_ends_keeps_its_baseline() -> None:
    """No period of Birmingham's on the tree's grid (its data run past the others' horizon): it stays at
    baseline, whole, and a shock next door still adds up where the periods are shared."""
    b = _retimed()
    fc, hist = b.forecasts.copy(), b.history.copy()
    sid = P.format("E08000025")
    rows = fc["series_id"] == sid
    fc.loc[rows, "period"] = (fc.loc[rows, "period"].astype(int) + 7).astype(str)
    fc.loc[rows, "period_start"] = fc.loc[rows, "period_start"] + pd.DateOffset(years=7)
    late = BundleContents(
        catalogue=b.catalogue,
        history=hist,
        forecasts=fc,
        metrics=b.metrics,
        level_metrics=b.level_metrics,
        hierarchy=b.hierarchy,
        transmission=b.transmission,
        metadata=b.metadata.model_copy(update={"model_name": "late-member"}),
    )
    sc = parse_scenario(
        {
            "name": "cov",
            "changes": [
                {
                    "type": "shock",
                    "measure": "fdi_projects",
                    "geography": "E08000026",
                    "kind": "one_off",
                    "value": 2,
                    "start": "2029",
                }
            ],
        }
    )
    result = project(late, sc)
    bham = result.get(sid)
    assert not bham.affected and len(bham.periods) == 8 and bham.periods[0] == "2034"
    for g in ("E08000026", "TLG3", "TLG", "MID"):
        assert _by_period(result, P.format(g))["2029"] == pytest.approx(2.0), g
