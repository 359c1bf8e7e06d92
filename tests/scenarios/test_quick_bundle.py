"""The worked examples on a bundle trained from experiments/quick.toml (real published data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from forecasting.scenarios.charts import fan_chart
from forecasting.scenarios.definitions import load_scenario
from forecasting.scenarios.describe import describe_drivers
from forecasting.scenarios.project import ScenarioEngine, project

pytestmark = pytest.mark.slow  # trains the quick experiment on the published data

MID, TLF, TLG, UK = (f"fdi_inward_position.{g}.all.A" for g in ("MID", "TLF", "TLG", "UK"))
BI = "business_investment_cvm_sa.UK.all.Q"
TODAY = dt.date(2026, 12, 7)  # the shipped scenarios are dated for it


def _coherent(result, contents) -> None:
    by = {s.series_id: s for s in result.series}
    for parent, g in contents.hierarchy.groupby("parent_id"):
        if parent in by and all(c in by for c in g["child_id"]):
            assert np.allclose(by[parent].diff, sum(by[c].diff for c in g["child_id"]), atol=1e-6)


def test_worked_examples_run_and_charts_are_written(quick_bundle, tmp_path) -> None:
    for name in ("baseline", "global-downturn", "uk-investment-boom", "midlands-major-project"):
        result = project(quick_bundle, load_scenario(name), today=TODAY)
        _coherent(result, quick_bundle)
        png = fan_chart(result, tmp_path / f"{name}.png")
        assert png.stat().st_size > 10_000
        if name == "baseline":
            assert not any(s.affected for s in result.series)
        else:
            assert any(s.affected for s in result.series), name


def test_links_are_estimated_in_one_currency_with_their_uncertainty(quick_bundle) -> None:
    tab = quick_bundle.transmission
    used = tab[tab["used"]]
    uk = used[used["target_id"] == UK].iloc[0]
    assert uk["form"] == "stock_flow" and "US$ -> GBP" in uk["conversion"]
    flow = used[used["target_id"] == "fdi_net_inflows_usd.UK.all.A"].iloc[0]
    assert flow["form"] == "level" and flow["se"] > 0 and "GBP" in flow["note"]
    assert quick_bundle.metadata.rates is not None and quick_bundle.metadata.rates.years[-1] >= 2023
    assert quick_bundle.metadata.macro is not None  # World FDI and business investment


def test_global_downturn_accumulates_into_regional_stocks(quick_bundle) -> None:
    result = project(quick_bundle, load_scenario("global-downturn"), [MID, TLF, TLG, UK], today=TODAY)
    mid = result.get(MID)
    k = int(np.flatnonzero(mid.diff)[0])
    assert int(mid.periods[k]) > TODAY.year  # the first changed period is after today's year
    assert -5 < mid.diff_pct[k] < -0.1  # the first shocked year
    assert np.all(mid.diff[k:] < 0)  # and stays lower
    big = np.max(np.abs(mid.diff))
    assert abs(mid.diff[-1]) >= 0.5 * big  # the stock keeps the lost flows
    assert abs(result.get(TLF).diff_pct[k] - result.get(TLG).diff_pct[k]) > 1e-3  # regions differ
    for s in result.series:
        for p in s.points():
            assert p["diff_lo80"] <= p["diff"] <= p["diff_hi80"]
            assert p["diff_lo80"] < p["diff_hi80"] or p["diff"] == 0  # uncertain once it moves


def test_business_investment_responds_in_the_scenarios_own_years(quick_bundle) -> None:
    result = project(
        quick_bundle, load_scenario("global-downturn"), [BI, "fdi_net_inflows_usd.WLD.all.A"], today=TODAY
    )
    first = "2027"  # the World path's first year
    bi = result.get(BI)
    before = [k for k, p in enumerate(bi.periods) if p[:4] < first]
    assert before and np.all(bi.diff[before] == 0)
    assert bi.status == "moved"  # every channel is used, shrunk by its evidence: no significance gate
    year = bi.diff[[k for k, p in enumerate(bi.periods) if p[:4] == first]]
    assert np.any(year != 0) and len(set(np.round(year, 6))) > 1  # quarterly dynamics, not one step


def test_midlands_major_project_lands_where_it_happens(quick_bundle) -> None:
    result = project(quick_bundle, load_scenario("midlands-major-project"), today=TODAY)
    by = {s.series_id: s for s in result.series}
    pos = {sid: s for sid, s in by.items() if sid.startswith("fdi_inward_position.")}
    k = pos[TLG].periods.index("2027")
    landed = {g for g in ("UK", "MID", "TLG", "TLG3")}
    assert pos[TLG].diff[k] == pytest.approx(1200) and pos[MID].diff[k] == pytest.approx(1200)
    moved = {sid.split(".")[1] for sid, s in pos.items() if s.affected}
    assert moved <= landed  # the place's area and its parents only: no sibling, no other area
    assert not pos[TLF].affected


def test_drivers_are_described(quick_bundle) -> None:
    rows = {r["alias"]: r for r in describe_drivers(ScenarioEngine(quick_bundle).index)}
    assert {"world_fdi", "uk_fdi", "usd_per_gbp"} <= set(rows)
    assert rows["world_fdi"]["unit"] == "USD" and rows["usd_per_gbp"]["unit"] == "USD per GBP"
