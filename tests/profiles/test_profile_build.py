"""Profiles built from the real published files: figures with provenance, traceable insights, peers."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from forecasting.profiles.areas import midlands_areas, resolve_area
from forecasting.profiles.build import NOT_PUBLISHED, build_profile
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.insights import lookup


@pytest.fixture(scope="module")
def birmingham(profile_inputs: ProfileInputs) -> dict:
    return build_profile(profile_inputs, resolve_area("Birmingham"))


def test_every_figure_has_source_year_unit_and_where_it_was_published(birmingham: dict) -> None:
    assert birmingham["figures"]
    for f in birmingham["figures"].values():
        assert f["source"] and f["unit"] and 1990 < f["year"] < 2030, f
        assert f["kind"] in ("observed", "derived")
        if f["geography"] != "E08000025":
            # a parent's figure says it is not the district's own
            assert "not published for this area" in f["basis"] or f["kind"] == "derived", f
    fdi = birmingham["figures"]["fdi_inward_position"]
    assert fdi["geography"] == "E47000007" or fdi["geography"].startswith("TLG"), fdi
    assert "shown for" in fdi["basis"]


def test_insight_sentences_state_the_figures_they_cite(profile_inputs: ProfileInputs) -> None:
    checked = 0
    for area in midlands_areas()[:40]:
        doc = build_profile(profile_inputs, area)
        for sentence in doc["insights"]:
            assert sentence["numbers"], sentence
            for n in sentence["numbers"]:
                assert n["shown"] in sentence["text"], (sentence, n)
                if n["figure"] in doc["figures"]:
                    expected = lookup(doc, n["figure"])
                    if not re.match(r"^[+−-]", n["shown"]):
                        assert n["shown"] == expected, (sentence, n)
                else:
                    assert lookup(doc, n["figure"]) == n["shown"], (sentence, n)
                checked += 1
    assert checked > 100


def test_cluster_evidence_says_it_is_published_by_itl2(birmingham: dict) -> None:
    cl = birmingham["sections"]["clusters"]
    assert cl["geographies"] == ["TLG3"]
    assert "ITL2" in cl["basis"]
    auto = next(r for r in cl["rows"] if r["cluster"] == "automotive")
    assert auto["lq"] > 2 and auto["present"]
    assert len(cl["rows"]) == 25


def test_peers_are_other_areas_of_the_same_kind_chosen_by_a_stated_rule(birmingham: dict) -> None:
    p = birmingham["sections"]["peers"]
    assert p["status"] == "ok" and len(p["rows"]) == 5
    assert "E08000025" not in [r["code"] for r in p["rows"]]
    assert all(re.match(r"^[ESWN]\d{8}$", r["code"]) for r in p["rows"])
    assert p["features"] and p["candidates"] > 300
    assert [r["distance"] for r in p["rows"]] == sorted(r["distance"] for r in p["rows"])


def test_a_section_without_data_says_not_published(profile_inputs: ProfileInputs) -> None:
    bare = replace(profile_inputs, obs={k: v for k, v in profile_inputs.obs.items() if k != "exports_value"})
    doc = build_profile(bare, resolve_area("Derby"))
    assert doc["sections"]["exports"]["status"] == NOT_PUBLISHED
    assert doc["sections"]["exports"]["figures"] == []


def test_the_document_is_standard_json_and_never_synthetic(birmingham: dict) -> None:
    text = json.dumps(birmingham, allow_nan=False)
    assert "synthetic" not in {f["source"] for f in birmingham["figures"].values()}
    assert "NaN" not in text


def test_a_combined_authority_sums_its_districts_where_it_has_no_figure(
    profile_inputs: ProfileInputs,
) -> None:
    doc = build_profile(profile_inputs, resolve_area("E47000013"))
    active = doc["figures"].get("active_businesses")
    assert active is not None
    if active["geography"] == "E47000013" and "sum" in active["basis"]:
        assert "17 member districts" in active["basis"]
    assert [m["code"] for m in doc["area"]["members"]][:1] == ["E06000015"]


def test_forecasts_carry_last_observed_and_honesty_labels(profile_inputs: ProfileInputs) -> None:
    from types import SimpleNamespace

    import pandas as pd

    from forecasting.vocabulary import QUANTILE_GRID

    sid = "gva_cp.E08000025.all.A"
    catalogue = pd.DataFrame(
        [
            {
                "series_id": sid,
                "measure": "gva_cp",
                "geography": "E08000025",
                "cluster": "all",
                "unit": "GBP million",
                "is_synthetic": False,
                "last_observed": "2023",
                "nowcast_periods": 3,
                "months_behind": 23,
                "stale": False,
                "source": "ons_rgva_industry_lad_2025",
            },
            {
                **{"series_id": "fdi_projects.E08000025.all.A", "measure": "fdi_projects"},
                "geography": "E08000025",
                "cluster": "all",
                "unit": "projects",
                "is_synthetic": True,
                "last_observed": "2024",
            },
        ]
    )
    rows = []
    for step in range(1, 6):
        q = {f"q{g:g}": 35_000 + 1_000 * step + (g - 0.5) * 4_000 * step for g in QUANTILE_GRID}
        kind = "nowcast" if step <= 3 else "forecast"
        rows.append(
            {"series_id": sid, "step": step, "period": str(2023 + step), "kind": kind, "mean": q["q0.5"], **q}
        )
    bundle = SimpleNamespace(
        contents=SimpleNamespace(catalogue=catalogue, forecasts=pd.DataFrame(rows)),
        model_name="investment-forecaster",
        version="7",
        data_vintage="v1",
    )
    doc = build_profile(profile_inputs, resolve_area("Birmingham"), bundle)
    fc = doc["sections"]["forecasts"]
    assert fc["status"] == "ok" and [s["series_id"] for s in fc["series"]] == [sid]  # synthetic left out
    series = fc["series"][0]
    assert series["last_observed"] == "2023" and series["nowcast_periods"] == 3
    assert [s["kind"] for s in series["steps"]] == ["nowcast"] * 3 + ["forecast"] * 2
    for st in series["steps"]:
        assert st["lo95"] <= st["lo80"] <= st["median"] <= st["hi80"] <= st["hi95"]
    assert doc["provenance"]["model"]["version"] == "7"
