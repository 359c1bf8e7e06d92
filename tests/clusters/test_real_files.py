"""Validation, discovery, definitions and the investment analysis on the real published files, via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.clusters.evidence import candidates_from_panel, validation_from_panel
from forecasting.reference.clusters import load_definitions, sic_lookup_file
from forecasting.settings import get_settings

pytestmark = pytest.mark.slow


@pytest.fixture()
def settings_for(real_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INVEST_WAREHOUSE_PATH", str(real_warehouse))
    monkeypatch.setenv("INVEST_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def validation(panel):
    return validation_from_panel(panel, load_definitions(lookup=sic_lookup_file(get_settings())))


@pytest.fixture(scope="module")
def candidates(panel):
    return candidates_from_panel(panel, load_definitions(lookup=sic_lookup_file(get_settings())))


def test_every_declared_cluster_gets_a_verdict_with_its_numbers(validation):
    rows = validation["clusters"]
    assert len(rows) == 25
    for r in rows:
        assert r["verdict"] in ("validated", "emerging", "not evidenced")
        sp = r["specialisation"]
        assert sp["lq_low"] <= sp["midlands_lq"] + 1e-9 or sp["lq_low"] <= sp["lq_high"]
        assert sp["lq_low"] <= sp["lq_high"]
        assert r["critical_mass"]["jobs"] > 0
        assert r["growth"]["competitive_effect"] is not None
        assert len(r["concentration"]["areas"]) == 6
    by = {r["cluster"]: r for r in rows}
    # The known Midlands specialisms are validated; financial services (LQ about 0.55) is not evidenced.
    assert by["automotive"]["verdict"] == "validated"
    assert by["ceramics-minerals"]["verdict"] == "validated"
    assert by["financial-services"]["verdict"] == "not evidenced"
    assert by["automotive"]["specialisation"]["midlands_lq"] == pytest.approx(2.67, abs=0.02)


def test_basket_choice_widens_the_lq_range(validation):
    """Aerospace's range (30300 share moved, a group left out) is wider than its rounding alone could give."""
    aero = next(r for r in validation["clusters"] if r["cluster"] == "aerospace")
    lo, hi = aero["specialisation"]["lq_basket_range"]
    assert hi - lo > 0.1
    assert "without 303" in aero["specialisation"]["basket_variants"]


def test_gva_growth_where_detail_allows(validation):
    by = {r["cluster"]: r for r in validation["clusters"]}
    assert by["metals-engineering"]["growth"]["gva"]["detail"].startswith("exact")
    assert by["automotive"]["growth"]["gva"]["detail"].startswith("apportioned")


def test_investment_relationship_has_effect_sizes_and_intervals(validation):
    inv = validation["investment"]
    out = inv["outcomes"]
    assert {"fdi_position_per_job", "gfcf_per_job", "gva_growth"} <= set(out)
    assert "no machinery" in out["gfcf_per_job"]["source"]  # what the experimental GFCF leaves out, said
    for v in out.values():
        if v["available"]:
            assert v["n"] >= 20
            lo, hi = v["slope_90"]
            assert lo <= v["slope"] <= hi
            assert "association" in v["reading"]
    assert "not effects" in inv["caveat"]


def test_at_least_three_candidates_with_specialisation_size_and_overlap(candidates):
    cands = candidates["candidates"]
    assert len(cands) >= 3
    kinds = {c["kind"] for c in cands}
    assert kinds == {"specialised group", "co-locating groups"}
    for c in cands:
        assert c["midlands_lq"] > 0 and c["jobs"] >= 3000
        assert isinstance(c["overlap"], dict) and c["declared_share"] <= 0.5
        assert c["lq_low"] <= c["lq_high"]


def test_cli_validate_and_discover_json_write_the_served_files(settings_for):
    res = CliRunner().invoke(app, ["clusters", "validate", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["clusters"]) == 25
    assert (settings_for / "reports" / "scorecards" / "cluster_validation.json").is_file()
    res = CliRunner().invoke(app, ["clusters", "discover", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["candidates"]) >= 3


def test_cli_show_json_no_code_at_full_weight_twice():
    res = CliRunner().invoke(app, ["clusters", "show", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["double_counted_codes"] == []
    totals: dict[str, float] = {}
    for c in doc["clusters"]:
        for b in c["basket"]:
            totals[b["sic"]] = totals.get(b["sic"], 0.0) + b["share"]
    assert max(totals.values()) <= 1 + 1e-9
    assert totals["30300"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('sic = ["29", "99999"]', "cluster 'cars': SIC code '99999' is not in the SIC 2007 lookup"),
        ('sic = ["30300"]\nshares = { "30300" = 1.2 }', "cluster 'cars': share of SIC code '30300' is 1.2"),
        ("sic = []", "cluster 'cars': SIC basket is empty"),
    ],
)
def test_bad_definitions_fail_clearly_and_write_nothing(settings_for, tmp_path, toml, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[cluster]]\nid = "cars"\nname = "Cars"\ndescription = "d"\n{toml}\n')
    out = tmp_path / "out"
    for cmd in ("validate", "discover", "show"):
        res = CliRunner().invoke(
            app, ["clusters", cmd, "--definitions", str(bad), "--out", str(out)][: 4 if cmd == "show" else 6]
        )
        assert res.exit_code == 2, res.output
        assert message in " ".join(res.output.split())
    assert not out.exists()
    assert not (settings_for / "reports").exists()


def test_panel_from_rows_already_held_equals_the_panel_read_alone(real_warehouse, panel):
    """`invest scorecards` hands the rows its inputs hold (all of BRES, GVA ...) to the panel rather than
    reading them twice: the panel must be the same, row order and index included."""
    from forecasting.clusters.panel import load_panel
    from forecasting.warehouse.snapshot import open_snapshot

    with open_snapshot(real_warehouse) as wh:
        rows = wh.observations(measures=["bres_employment", "gva_cp", "fdi_inward_position"])
    held = {m: g.reset_index(drop=True) for m, g in rows.groupby("measure", sort=False)}
    again = load_panel(real_warehouse, held=held)
    for y in panel.years:
        pd.testing.assert_frame_equal(panel.emp5[y], again.emp5[y], check_exact=True)
        pd.testing.assert_series_equal(panel.total[y], again.total[y], check_exact=True)
    pd.testing.assert_series_equal(panel.businesses_gb, again.businesses_gb, check_exact=True)
    for part in ("gva", "fdi", "gfcf"):
        pd.testing.assert_frame_equal(getattr(panel, part), getattr(again, part), check_exact=True)
    assert (panel.midlands, panel.sources, panel.vintage) == (again.midlands, again.sources, again.vintage)
