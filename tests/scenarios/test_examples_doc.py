"""docs/SCENARIOS.md §5 is what docs/scenarios_examples.py renders from the code's projections: the text
equals the rendering of the stored snapshot, the snapshot's figures are what a projection returns, and the
documented examples meet what the scenarios promise (they start after today, a project lands where it
happens, GDP moves with business investment by its share)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

import numpy as np
import pytest
from scen_data import POS, WLD

from forecasting.scenarios.definitions import parse_scenario
from forecasting.scenarios.project import project
from forecasting.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def _script():
    spec = importlib.util.spec_from_file_location("scenarios_examples", DOCS / "scenarios_examples.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def snap() -> dict:
    return json.loads((DOCS / "scenarios_examples.json").read_text(encoding="utf-8"))


def test_the_doc_says_exactly_what_the_script_renders(snap) -> None:
    ex = _script()
    doc = (DOCS / "SCENARIOS.md").read_text(encoding="utf-8")
    block = doc[doc.index(ex.BEGIN) : doc.index(ex.END) + len(ex.END)]
    assert block == ex.render(snap)
    assert set(snap["examples"]) == set(ex.EXAMPLES)


def test_the_figures_are_what_a_projection_returns(bundle) -> None:
    ex = _script()
    sc = parse_scenario(
        {
            "name": "w",
            "changes": [{"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20]}],
        }
    )
    result = project(bundle, sc, [POS.format("MID"), WLD], today=dt.date(2026, 12, 7))
    got = ex.figures(result, (POS.format("MID"), WLD))
    mid = result.get(POS.format("MID"))
    k = int(np.flatnonzero(mid.diff)[0])
    first = got["series"][POS.format("MID")]["points"][0]
    assert first["period"] == mid.periods[k] == got["timing"]["first_period"] == "2027"
    assert first["diff"] == round(float(mid.diff[k]), 1) and first["diff_pct"] == round(
        float(mid.diff_pct[k]), 2
    )
    assert "2027" in ex.render(
        {"model": {"version": "1", "data_vintage": "v"}, "today": "2026-12-07", "examples": {"w": got}}
    )


def _points(snap: dict, name: str, sid: str) -> list[dict]:
    return snap["examples"][name]["series"][sid]["points"]


def test_the_documented_downturn_starts_next_year_and_stays(snap) -> None:
    today = dt.date.fromisoformat(snap["today"])
    mid = _points(snap, "global-downturn", "fdi_inward_position.MID.all.A")
    assert int(mid[0]["period"]) > today.year
    assert -5 < mid[0]["diff_pct"] < -0.1 and all(p["diff"] < 0 for p in mid)
    tlf = _points(snap, "global-downturn", "fdi_inward_position.TLF.all.A")
    tlg = _points(snap, "global-downturn", "fdi_inward_position.TLG.all.A")
    assert tlf[0]["diff_pct"] != tlg[0]["diff_pct"]


def test_the_documented_boom_moves_gdp_with_business_investment(snap) -> None:
    bi = {p["period"]: p for p in _points(snap, "uk-investment-boom", "business_investment_cvm_sa.UK.all.Q")}
    gdp = {p["period"]: p for p in _points(snap, "uk-investment-boom", "uk_gdp_cp_sa.UK.all.Q")}
    assert bi and set(gdp) == set(bi)
    for k in bi:
        assert np.sign(gdp[k]["diff"]) == np.sign(bi[k]["diff"])
        # share-consistent: GDP gains about what business investment gains, in GBP (prices at baseline)
        assert 0.5 < gdp[k]["diff"] / bi[k]["diff"] < 1.5


def test_the_documented_project_lands_in_its_place_and_parents(snap) -> None:
    ex = snap["examples"]["midlands-major-project"]["series"]
    for g in ("UK", "MID", "TLG", "TLG3"):
        pts = ex[f"fdi_inward_position.{g}.all.A"]["points"]
        assert pts[0]["period"] == "2027" and all(p["diff"] == pytest.approx(1200) for p in pts)
    assert not ex["fdi_inward_position.TLG1.all.A"]["affected"]  # a sibling stays at baseline


def test_the_documented_project_lands_in_its_year_at_every_level(snap) -> None:
    """Trees whose members end their data in different years (LA GDP runs two years past ITL3 GDP) are
    summed by calendar period: the 2027 capital expenditure is in the UK's 2027, not a step earlier."""
    ex = snap["examples"]["midlands-major-project"]["series"]
    for sid in ("gdp_cp.UK.all.A", "gdp_cp.TLG3.all.A"):
        pts = ex[sid]["points"]
        assert [p["period"] for p in pts] == ["2027"] and pts[0]["diff"] == pytest.approx(1500), sid
    # Coventry is a member of the West Midlands Combined Authority (geography.lad_ca): its FDI lands there
    wmca = ex["fdi_inward_position.E47000007.all.A"]["points"]
    assert wmca[0]["period"] == "2027" and all(p["diff"] == pytest.approx(1200) for p in wmca)
    assert not ex["fdi_inward_position.E47000013.all.A"]["affected"]  # another combined authority
