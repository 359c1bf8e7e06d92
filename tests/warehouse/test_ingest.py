"""Ingest is atomic, idempotent, vintaged and leaves the warehouse untouched on any bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import get_source
from forecasting.warehouse.ingest import ingest, item_for_path, items_from_manifest
from forecasting.warehouse.store import Warehouse, WarehouseError

FDI = "ons_els/foreign-direct-investment.csv"
WDI23 = "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv"
WDI25 = "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv"
CXNV = "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv"
QNA_MAR = "ons_qna/ons_qna_dataset_release2023-03-31.csv"
QNA_DEC = "ons_qna/ons_qna_dataset_release2023-12-22.csv"


@pytest.fixture()
def wh(tmp_path: Path):
    with Warehouse(tmp_path / "wh.duckdb") as w:
        yield w


def _copy(shared: Path, rel: str, dest_dir: Path) -> Path:
    dest = dest_dir / Path(rel).name
    shutil.copy(shared / rel, dest)
    return dest


def test_ingest_real_fdi_exact_values_and_provenance(wh: Warehouse, shared_data: Path) -> None:
    rep = ingest(wh, [item_for_path(shared_data / FDI)])
    assert rep.changed and rep.new_rows > 1000
    s = wh.series("fdi_inward_position.TLF.all.A")
    vals = dict(zip(s["label"], s["value"], strict=True))
    assert vals["2015"] == 37114 and vals["2024"] == 61511
    row = s.iloc[0]
    assert row["source"] == "ons_els_fdi" and row["vintage"] == rep.vintage
    assert row["file_sha256"] == get_source("ons_els_fdi").sha256


def test_reingest_identical_content_adds_nothing(wh: Warehouse, shared_data: Path) -> None:
    ingest(wh, [item_for_path(shared_data / FDI)])
    before = wh.counts()
    rep = ingest(wh, [item_for_path(shared_data / FDI)])
    assert not rep.changed
    assert wh.counts() == before


def test_two_wdi_releases_latest_wins_and_as_of_date_sees_old(wh: Warehouse, shared_data: Path) -> None:
    ingest(wh, [item_for_path(shared_data / WDI23), item_for_path(shared_data / WDI25)])
    now = wh.series("fdi_net_inflows_usd.UK.all.A")
    v2020 = now.set_index("label").loc["2020"]
    assert v2020["source"] == "wdi_fdi_2025" and abs(v2020["value"] / 1e9 - 157.2) < 0.1
    old = wh.series("fdi_net_inflows_usd.UK.all.A", as_of="2024-01-01").set_index("label")
    assert abs(old.loc["2020", "value"] / 1e9 - 132.5) < 0.1
    assert "2024" not in old.index and "2024" in now.set_index("label").index


def test_revision_is_a_new_vintage_and_as_of_vintage_sees_the_past(
    wh: Warehouse, shared_data: Path, tmp_path: Path
) -> None:
    first = ingest(wh, [item_for_path(shared_data / FDI)])
    revised = tmp_path / "fdi-revised.csv"
    text = (shared_data / FDI).read_text(encoding="utf-8-sig")
    text = text.replace(
        "TLF,East Midlands,ITL Level 1,Inward foreign direct investment,2024-01-01/P1Y,61511",
        "TLF,East Midlands,ITL Level 1,Inward foreign direct investment,2024-01-01/P1Y,62000",
    )
    assert "62000" in text
    revised.write_text(text, encoding="utf-8")
    second = ingest(wh, [item_for_path(revised, "ons_els_fdi", "2026-06-01")])
    assert second.new_rows == 1
    assert wh.series("fdi_inward_position.TLF.all.A").set_index("label").loc["2024", "value"] == 62000
    past = wh.series("fdi_inward_position.TLF.all.A", as_of=first.vintage).set_index("label")
    assert past.loc["2024", "value"] == 61511
    with pytest.raises(WarehouseError, match="unknown vintage"):
        wh.series("fdi_inward_position.TLF.all.A", as_of="nonsense")


def test_corrupted_copy_is_refused_by_checksum(wh: Warehouse, shared_data: Path, tmp_path: Path) -> None:
    ingest(wh, [item_for_path(shared_data / WDI25)])
    before = wh.counts()
    bad = _copy(shared_data, FDI, tmp_path)
    bad.write_bytes(bad.read_bytes()[:5000])  # truncated mid-row
    with pytest.raises(IngestError, match="differs from the pinned checksum of source 'ons_els_fdi'"):
        item_for_path(bad)
    assert wh.counts() == before


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t[: len(t) // 2].rsplit(",", 3)[0], "line"),  # truncated mid-row
        (lambda t: t.replace("observation", "obs_value", 1), "missing column 'observation'"),
        (lambda t: t.replace(",37114,", ",37l14,", 1), "non-numeric value"),
        (lambda t: t.replace("TLF,East Midlands,ITL Level 1", "TLZ9,Nowhere,ITL Level 1", 1), "TLZ9"),
        (
            lambda t: t.replace("TLF,East Midlands,ITL Level 1", "TLF9,Nowhere,ITL Level 1", 1),
            "unknown geography code 'TLF9'",
        ),
    ],
    ids=["truncated", "renamed-column", "non-numeric", "malformed-geography", "unknown-geography"],
)
def test_bad_release_fails_cleanly_and_changes_nothing(
    wh: Warehouse, shared_data: Path, tmp_path: Path, mutate, message
) -> None:
    ingest(wh, [item_for_path(shared_data / WDI25)])
    before, vintages = wh.counts(), wh.vintages()
    bad = tmp_path / "foreign-direct-investment-new.csv"
    bad.write_text(mutate((shared_data / FDI).read_text(encoding="utf-8-sig")), encoding="utf-8")
    with pytest.raises(IngestError, match=message) as info:
        ingest(wh, [item_for_path(bad, "ons_els_fdi", "2026-06-01")])
    assert str(bad) in str(info.value)
    assert wh.counts() == before
    assert wh.vintages().equals(vintages)


def test_multi_file_ingest_is_all_or_nothing(wh: Warehouse, shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "wdi-bad.csv"
    bad.write_text(
        (shared_data / WDI25).read_text().replace('"2021"', '"2023"', 1)
    )  # year columns out of order
    good = item_for_path(shared_data / FDI)
    with pytest.raises(IngestError):
        ingest(wh, [good, item_for_path(bad, "wdi_fdi_2025")])
    assert wh.counts() == {"observations": 0, "files": 0, "vintages": 0}


def test_catalogue_describes_series(wh: Warehouse, shared_data: Path) -> None:
    ingest(wh, [item_for_path(shared_data / FDI)])
    cat = wh.catalogue(measures=["fdi_inward_position"], geographies=["TLF"]).iloc[0]
    assert cat["series_id"] == "fdi_inward_position.TLF.all.A"
    assert (cat["geography_level"], cat["start"], cat["end"], cat["n"]) == ("itl1", "2015", "2024", 10)
    assert cat["unit"] and cat["source"] == "ons_els_fdi"
    units = tuple(cat[c] for c in ("currency", "price_basis", "seasonal_adjustment", "quantity"))
    assert units == ("GBP", "current", "none", "stock") and pd.isna(cat["base_year"])


def test_qna_releases_are_vintages_and_newest_release_wins(wh: Warehouse, shared_data: Path) -> None:
    """Both QNA releases, with the older CXNV file: latest release per period, as_of sees the March one."""
    ingest(wh, [item_for_path(shared_data / p) for p in (CXNV, QNA_MAR, QNA_DEC)])
    now = wh.series("business_investment_cvm_sa.UK.all.Q").set_index("label")
    assert set(now["source"]) == {"ons_qna_2023_12"}  # QNA covers every CXNV quarter (1997 Q1 on)
    assert (now.loc["2019Q4", "value"], now.loc["2020Q2", "value"], now.loc["2023Q3", "value"]) == (
        57293,
        45262,
        59396,
    )
    assert now.loc[[f"2022Q{i}" for i in range(1, 5)], "value"].sum() == 228317
    june = wh.series("business_investment_cvm_sa.UK.all.Q", as_of="2023-06-30").set_index("label")
    assert set(june["source"]) == {"ons_qna_2023_03"} and june.index[-1] == "2022Q4"
    assert june.loc[[f"2022Q{i}" for i in range(1, 5)], "value"].sum() == 221935
    before = wh.series("business_investment_cvm_sa.UK.all.Q", as_of="2023-01-01")
    assert set(before["source"]) == {"ons_cxnv"} and before["label"].iloc[-1] == "2020Q3"
    cat = wh.catalogue(measures=["business_investment_cvm_sa", "gdp_deflator"]).set_index("measure")
    assert cat.loc["business_investment_cvm_sa", "base_year"] == 2019
    assert cat.loc["gdp_deflator", "price_basis"] == "index" and cat.loc["gdp_deflator", "end"] == "2023Q3"


def test_items_from_manifest_lists_every_public_source(tmp_path: Path) -> None:
    items = items_from_manifest(tmp_path)
    assert {i.source for i in items} >= {
        "ons_els_fdi",
        "wdi_fdi_2023",
        "wdi_fdi_2025",
        "ons_cxnv",
        "bres_employment_sic5",
        "ons_qna_2023_03",
        "ons_qna_2023_12",
        "ons_npqt_2024_02",
        "fred_exusuk",
        "wdi_fcrf_2025",
        "ons_multiseries_2025_01",
        "ons_ihys_2025_09",
        "dit_inward_investment_supplement",
    }


def test_section9_sources_ingest_with_canonical_geographies(wh: Warehouse, shared_data: Path) -> None:
    """Every newly pinned file passes the warehouse checks (registry, frequency, geography codes)."""
    new = {
        "ons_qna_2023_03", "ons_qna_2023_12", "ons_npqt_2024_02", "fred_exusuk", "wdi_fcrf_2025",
        "ons_multiseries_2025_01", "ons_ihys_2025_09", "dit_inward_investment_supplement",
    }  # fmt: skip
    items = [i for i in items_from_manifest(shared_data) if i.source in new]
    rep = ingest(wh, items)
    assert {f["source"] for f in rep.files if f["status"] == "ingested"} == new
    fx = wh.series("exchange_rate_lcu_per_usd.UK.all.A").set_index("label")  # GBR -> UK
    assert round(fx.loc["2024", "value"], 4) == 0.7824 and fx.loc["2024", "release"] == "2025-07-01"
    assert len(wh.series("usd_per_gbp.UK.all.M")) == 652
    assert wh.series("dbt_fdi_projects.TLG.all.A").set_index("label").loc["2017", "value"] == 171
    assert wh.series("gfcf_total_cvm_sa.UK.all.Q")["source"].unique().tolist() == ["ons_npqt_2024_02"]
    assert wh.series("cpi_index.UK.all.A").set_index("label").loc["2024", "value"] == 133.9
