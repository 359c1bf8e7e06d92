"""Local-authority and regional files of SOURCES.md section 10 through the real ingest.

Local authorities get real (not synthetic) GVA, GDP, population and GFCF series; the April-2025 regional
GVA replaces the 2024 release for ITL3 areas whose code names the same area (a later publisher release of
the same observation); bad files leave the warehouse unchanged.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from forecasting.errors import InvalidParameter
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import get_source
from forecasting.warehouse.ingest import IngestItem, ingest, item_for_path
from forecasting.warehouse.store import Warehouse

LA_GDP = "ons_la_gdp_2025"
GFCF = "ons_regional_gfcf_2023"
ITL_2025 = "ons_rgva_industry_itl_2025"
ITL3_2024 = "ons_gva_industry_3c"  # GVA by industry, ITL3, 1998-2022 (2024 release)


def _item(shared: Path, source_id: str, path: Path | None = None, release: str | None = None) -> IngestItem:
    s = get_source(source_id)
    return IngestItem(s.id, path or shared / s.path, s.load_parser(), release or s.release)


@pytest.fixture(scope="module")
def warehouse(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        ingest(wh, [_item(shared_data, LA_GDP), _item(shared_data, GFCF)])
    return path


def test_birmingham_gva_2023_is_the_published_value(warehouse: Path) -> None:
    with Warehouse(warehouse, read_only=True) as wh:
        s = wh.series("gva_cp.E08000025.all.A")
    last = s.iloc[-1]
    assert str(last["period"])[:4] == "2023" and last["value"] == 35427
    assert last["source"] == LA_GDP and last["release"] == "2025-10-10" and not last["is_synthetic"]


def test_local_authority_series_are_real_and_end_2023(warehouse: Path) -> None:
    with Warehouse(warehouse, read_only=True) as wh:
        cat = wh.catalogue()
    la = cat[(cat["geography_level"] == "lad") & (cat["cluster"] == "all")]
    gva = la[la["measure"] == "gva_cp"]
    assert len(gva) == 361 and (gva["end"] == "2023").all() and not gva["is_synthetic"].any()
    for measure in ("gdp_cp", "population", "gdp_per_head_cp", "gdp_cvm_2022", "gdp_deflator_2022"):
        assert (la["measure"] == measure).sum() == 361, measure
    gfcf = la[la["measure"] == "gfcf_dwellings_cp"]
    assert len(gfcf) >= 360 and (gfcf["end"] == "2022").all()
    assert set(cat.loc[cat["measure"].str.startswith("gfcf_"), "geography_level"]) >= {
        "itl1",
        "itl2",
        "itl3",
        "lad",
    }


@pytest.mark.slow  # ingests 740,000 rows (about 20 s on an idle core)
def test_newer_regional_release_replaces_the_older_for_itl3(shared_data: Path, tmp_path: Path) -> None:
    """ITL3 GVA ends 2023: the 2025 release is the later vintage of the same (same-area) series."""
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        ingest(wh, [_item(shared_data, ITL3_2024)])
        assert wh.series("gva_cp.TLG31.all.A").iloc[-1]["value"] == 32013  # 2022, as published in 2024
        ingest(wh, [_item(shared_data, ITL_2025)])
        s = wh.series("gva_cp.TLG31.all.A").set_index("period")
        cat = wh.catalogue()
    assert s["value"].iloc[-1] == 35427 and str(s.index[-1])[:4] == "2023"
    assert s["value"].iloc[-2] == 31839 and s["release"].iloc[-2] == "2025-04-17"  # 2022 revised
    itl3 = cat[(cat["geography_level"] == "itl3") & (cat["measure"] == "gva_cp") & (cat["cluster"] == "all")]
    current = itl3[itl3["source"] == ITL_2025]
    assert len(current) == 182 and (current["end"] == "2023").all()
    # ITL 2021 areas that ITL 2025 redrew keep their last (2022) publication, never spliced onto a new area
    assert (itl3.loc[itl3["source"] != ITL_2025, "end"] == "2022").all()


def _unchanged(path: Path, fn) -> str:
    with Warehouse(path) as wh:
        before = (wh.counts(), wh.latest_vintage())
        with pytest.raises((IngestError, InvalidParameter)) as exc:
            fn(wh)
        assert (wh.counts(), wh.latest_vintage()) == before
    return str(exc.value)


def test_truncated_workbook_is_refused_and_nothing_written(
    shared_data: Path, warehouse: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, copy)
    data = (shared_data / get_source(LA_GDP).path).read_bytes()
    cut = tmp_path / "la_gdp.xlsx"
    cut.write_bytes(data[: len(data) * 2 // 3])
    gfcf_cut = tmp_path / "gfcf.parquet"
    gfcf_cut.write_bytes((shared_data / get_source(GFCF).path).read_bytes()[:5000])
    # a good file and a truncated one in one call: all or nothing
    msg = _unchanged(copy, lambda wh: ingest(wh, [_item(shared_data, LA_GDP, cut, "2025-11-01")]))
    assert str(cut) in msg and "truncated" in msg
    msg = _unchanged(copy, lambda wh: ingest(wh, [_item(shared_data, GFCF, gfcf_cut, "2025-11-01")]))
    assert str(gfcf_cut) in msg and "truncated" in msg


def test_unknown_layout_is_refused_and_nothing_written(
    shared_data: Path, warehouse: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    copy = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, copy)
    table = pq.read_table(shared_data / get_source(GFCF).path)
    odd = tmp_path / "gfcf_new_layout.parquet"
    pq.write_table(table.rename_columns([c.replace("asset_type", "asset") for c in table.column_names]), odd)
    msg = _unchanged(copy, lambda wh: ingest(wh, [item_for_path(odd, GFCF, "2025-11-01")]))
    assert str(odd) in msg and "missing column 'asset_type.name'" in msg


def test_future_release_date_is_refused_and_nothing_written(
    shared_data: Path, warehouse: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, copy)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    path = shared_data / get_source(LA_GDP).path
    msg = _unchanged(copy, lambda wh: ingest(wh, [_item(shared_data, LA_GDP, release=future)]))
    assert str(path) in msg and "in the future" in msg
    with pytest.raises(InvalidParameter, match="in the future"):
        item_for_path(path, LA_GDP, future)
