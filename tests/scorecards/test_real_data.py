"""The scorecards on the real published files, with synthetic demo partner files or "licensed" exports.

The licensed case uses files written by ``forecasting/sources/partner/synthetic.py`` with the synthetic mark
removed (no ``record_source`` column, no ``synthetic_`` file name): that is exactly how a licensed export
is recognised at ingest, so the warehouse holds them as partner data.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from forecasting.scorecards.build import build_scorecards
from forecasting.scorecards.document import scorecard_document

pytestmark = pytest.mark.slow

FILES = (
    "bres_itl2/bres_itl2_employment_sic5digit_2015_2021.csv.gz",
    "bres_itl2/bres_itl2_employment_sic2digit_2015_2021.csv",
    "bres_itl2/gb_business_counts_enterprises_sic5digit_sizeband_2016_2022.csv",
    "ons_regional_gva/Table_2c_ITL2_current_price_estimates_pounds_million_2024.csv",
    "ons_regional_gva/Table_1c_ITL1_UK_current_price_estimates_pounds_million.csv",
    "ons_regional_gva/Table_1_GVA_balanced_at_current_basic_prices_millions_Apr2024.csv",
    "ons_els/business-demography.csv",
    "ons_els/foreign-direct-investment.csv",
    "ons_els/research-and-development-business.csv",
    "ons_els/research-and-development-public-funded.csv",
    "ons_fdi/ons_fdi_involving_uk_companies_directional_observations.csv",
)
PARTNER = ("partner_companies", "equity_raised", "fdi_projects_3y", "domestic_investment_trend")


@pytest.fixture(scope="module")
def public_warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested(FILES, note="scorecard tests")


def _with_partner(public: Path, folder: Path, licensed: bool) -> Path:
    from forecasting.sources.partner.synthetic import write_synthetic_partner_files
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    folder.mkdir(parents=True)
    files = write_synthetic_partner_files(folder / "generated", seed=7)
    paths = []
    for key, p in files.items():
        if licensed:  # the same rows as a licensed export: no synthetic mark anywhere
            target = folder / f"export_{key}.csv"
            pd.read_csv(p, dtype=str, keep_default_na=False).drop(columns="record_source").to_csv(
                target, index=False
            )
            paths.append(target)
        else:
            paths.append(Path(p))
    order = sorted(paths, key=lambda p: "company_list" not in p.name)  # the deal list joins the company list
    path = folder / "warehouse.duckdb"
    shutil.copy(public, path)
    with Warehouse(path) as wh:
        ingest(wh, [item_for_path(p) for p in order], note="partner")
    return path


@pytest.fixture(scope="module")
def demo(public_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    wh = _with_partner(public_warehouse, tmp_path_factory.mktemp("demo") / "p", licensed=False)
    return build_scorecards(wh, None, None, 5, draws=300, replicates=12, check_redraws=40)


@pytest.fixture(scope="module")
def licensed(public_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    wh = _with_partner(public_warehouse, tmp_path_factory.mktemp("licensed") / "p", licensed=True)
    return build_scorecards(wh, None, None, 5, draws=300, replicates=12)


def test_location_quotients_match_the_hand_check_on_bres_2021(demo) -> None:
    lq = demo.metrics["location_quotient"].values
    assert round(lq["automotive"], 3) == 2.666
    # aerospace = 0.9 x SIC 30300 (its share; 0.1 to space) + 33160: was 1.385 with 30300 counted twice
    assert round(lq["aerospace"], 3) == 1.392
    assert round(lq["food-drink"], 3) == 1.362
    assert demo.metrics["location_quotient"].period == "2021"


def test_demo_partner_files_never_score(demo) -> None:
    doc = scorecard_document(demo)
    assert demo.partner_data == "synthetic"
    assert set(PARTNER) <= set(demo.preview) and not set(PARTNER) & set(demo.scored)
    for c in doc["clusters"]:
        assert not [m["id"] for m in c["metrics"] if m["is_synthetic"] and m["scored"]], c["id"]


def test_every_evidence_area_separates_the_clusters(demo) -> None:
    spread = (demo.area_scores.max() - demo.area_scores.min()) * 100
    assert (spread > 2).all(), spread
    assert spread["innovation"] > 50  # R&D-intensive employment runs from 0% to ~100% of a basket
    rd = demo.metrics["rd_intensive_share"].values
    assert rd["health-care"] == 0.0 and rd["electronics-photonics"] > 90 and rd["life-sciences"] > 90


def test_reference_years_on_the_real_files(demo) -> None:
    years = {f: ry.year for f, ry in demo.reference_years.items()}
    assert (
        years["structure"] == 2021
    )  # this collection's open BRES copy ends in 2021: counts and GVA read for 2021
    assert years["public_rd"] == 2021  # FY 2020/21 and 2021/22 -> calendar 2021
    assert years["business_rd"] == 2022 and years["demography"] == 2024
    assert demo.metrics["business_count"].period == "2021"
    assert demo.metrics["survival_rate_3y"].details["cohort"] == 2021
    gva = next(e for e in demo.input_errors if e["measure"] == "gva_cp")
    assert gva["error"] == "revision" and 0.001 < gva["pooled_sd"] < 0.2


def test_rank_intervals_cover_redrawn_inputs_on_real_data(demo) -> None:
    assert demo.coverage["pooled"] >= 0.9 and demo.coverage["min_cluster"] >= 0.9, demo.coverage


def test_licensed_exports_score_and_are_labelled_partner_data(licensed) -> None:
    doc = scorecard_document(licensed)
    assert licensed.partner_data == "licensed" and not licensed.preview
    # every partner metric scores, unless it restates another scored metric (one metric per signal)
    for m in PARTNER:
        assert m in licensed.scored or licensed.excluded[m].code == "redundant", (m, licensed.excluded.get(m))
    assert "fdi_projects_3y" in licensed.scored
    row = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "fdi_projects_3y")
    assert row["data_kind"] == "partner data" and row["scored"] and not row["is_synthetic"]
    assert row["source_ids"] == ["partner_fdi_projects"]
    assert row["provenance"].startswith("Partner data (licensed export: partner_fdi_projects)")


def test_no_two_scored_metrics_restate_each_other(demo, tmp_path) -> None:
    """In the written scorecards.json no two scored metrics correlate at |r| >= 0.95 across the 25 clusters,
    and no scored metric varies only by place."""
    import json

    import numpy as np

    from forecasting.scorecards.publish import publish

    publish(demo, tmp_path, report=False)
    doc = json.loads((tmp_path / "scorecards.json").read_text())
    scored = doc["scored_metrics"]
    values = {
        m: np.array([next(x["value"] for x in c["metrics"] if x["id"] == m) for c in doc["clusters"]], float)
        for m in scored
    }
    for i, a in enumerate(scored):
        for b in scored[i + 1 :]:
            r = np.corrcoef(values[a], values[b])[0, 1]
            assert abs(r) < 0.95, (a, b, r)
    varies = {m["id"]: m["varies_by"] for m in doc["catalogue"]}
    assert all(varies[m] == "industry" for m in scored), {m: varies[m] for m in scored}
    assert "employment_competitive_effect" in scored
    assert "midlands_share" not in scored
