"""Real-time vintages in the warehouse: each CXNV release is its own publisher vintage, ``as_of`` a date
shows what was published then, and a served chained-volume series never mixes reference years.

Bad input (a rebase going backwards, a release date in the future, a spliced file) is refused naming
the file, and the warehouse is left unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InvalidParameter
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import get_source
from forecasting.warehouse.ingest import IngestItem, ingest, item_for_path
from forecasting.warehouse.store import Warehouse

BI = "business_investment_cvm_sa.UK.all.Q"
IDS = ("ons_cxnv_2024_03_28", "ons_cxnv_2024_06_28", "ons_cxnv_2024_09_30", "ons_cxnv_2026_06_30")


def _item(shared: Path, source_id: str) -> IngestItem:
    s = get_source(source_id)
    return IngestItem(s.id, shared / s.path, s.load_parser(), s.release)


@pytest.fixture(scope="module")
def wh_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vintages") / "wh.duckdb"
    with Warehouse(path) as wh:
        ingest(wh, [_item(shared_data, i) for i in IDS])
    return path


def _counts(path: Path) -> dict[str, int]:
    with Warehouse(path, read_only=True) as wh:
        return wh.counts()


def test_as_of_a_release_date_returns_what_was_published_then(wh_path: Path) -> None:
    with Warehouse(wh_path, read_only=True) as wh:
        then = wh.series(BI, as_of="2024-06-28")
        assert set(then["source"]) == {"ons_cxnv_2024_06_28"}  # the whole series from that release
        assert then["label"].iloc[-1] == "2024Q1" and set(then["reference_year"]) == {2019}
        before = wh.series(BI, as_of="2024-06-27")
        assert before["label"].iloc[-1] == "2023Q4" and before["value"].iloc[-1] == 59979
        now = wh.series(BI)
        assert now["label"].iloc[-1] == "2026Q1" and now["value"].iloc[-1] == 77134
        assert set(now["reference_year"]) == {2023} and len(now) == 117
        cat = wh.catalogue(measures=["business_investment_cvm_sa"])
        assert cat.loc[0, "end"] == "2026Q1" and cat.loc[0, "base_year"] == 2023
        assert (
            wh.catalogue(measures=["business_investment_cvm_sa"], as_of="2024-10-01").loc[0, "base_year"]
            == 2022
        )


def test_national_vintage_store_agrees_with_the_ingested_june_2026_release(
    shared_data: Path, wh_path: Path
) -> None:
    """Cross-check of two adapters' worth of numbers: the independent JSON copy of NPEL (PolicyEngine's
    vintage store, fetched 2026-07-26) equals the CXNV Parquet in all 117 quarters."""
    doc = json.loads((shared_data / get_source("ons_npel_store_2026_06").path).read_text())
    assert doc["cdid"] == "NPEL" and doc["release_updated"].startswith("2026-06-29")
    store = {o["period"]: o["value"] for o in doc["observations"]}
    with Warehouse(wh_path, read_only=True) as wh:
        served = wh.series(BI, as_of="2026-06-30")
    ours = dict(zip(served["label"], served["value"], strict=True))
    assert len(store) == len(ours) == 117 and store == ours
    abmi = json.loads((shared_data / get_source("ons_abmi_store_2026_06").path).read_text())
    assert abmi["cdid"] == "ABMI" and abmi["last_period"] == "2026Q1"


def _trimmed(shared: Path, tmp: Path, start: str) -> Path:
    """The June 2026 release (2023 prices) holding only periods from ``start`` on."""
    df = pd.read_parquet(shared / get_source("ons_cxnv_2026_06_30").path)
    out = tmp / "ons_cxnv_long_trimmed.parquet"
    df[pd.to_datetime(df["dates.date"]) >= pd.Timestamp(start)].to_parquet(out)
    return out


def test_a_rebased_release_replaces_the_whole_history(shared_data: Path, tmp_path: Path) -> None:
    """A newer-base release covering 2010 on hides the older-base 1997-2009: never spliced on."""
    path = tmp_path / "wh.duckdb"
    trimmed = _trimmed(shared_data, tmp_path, "2010-01-01")
    with Warehouse(path) as wh:
        ingest(wh, [_item(shared_data, "ons_cxnv_2024_06_28")])
        ingest(wh, [item_for_path(trimmed, "ons_cxnv_2026_06_30", "2026-06-30")])
        now = wh.series(BI)
        assert now["period"].min() == pd.Timestamp(2010, 1, 1) and set(now["reference_year"]) == {2023}
        old = wh.series(BI, as_of="2026-06-29")
        assert old["period"].min() == pd.Timestamp(1997, 1, 1) and set(old["reference_year"]) == {2019}


def test_rebasing_backwards_is_refused_and_the_warehouse_unchanged(shared_data: Path, wh_path: Path) -> None:
    """The May-2024 file (2019 prices) passed as a release after the 2023-price June 2026 one."""
    before = _counts(wh_path)
    old = shared_data / get_source("ons_cxnv_2024_05_10").path
    with Warehouse(wh_path) as wh:
        item = IngestItem(
            "ons_cxnv_2024_05_10", old, get_source("ons_cxnv_2024_05_10").load_parser(), "2026-07-01"
        )
        with pytest.raises(IngestError, match="rebasing goes backwards") as exc:
            ingest(wh, [item])
    assert exc.value.file == str(old) and "2026-06-30" in str(exc.value) and "2019" in str(exc.value)
    assert _counts(wh_path) == before


def test_release_date_in_the_future_is_refused_naming_the_file(shared_data: Path, wh_path: Path) -> None:
    before = _counts(wh_path)
    src = get_source("ons_cxnv_2024_05_10")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    item = IngestItem(src.id, shared_data / src.path, src.load_parser(), tomorrow)
    with Warehouse(wh_path) as wh, pytest.raises(InvalidParameter, match="in the future") as exc:
        ingest(wh, [item])
    assert str(shared_data / src.path) in str(exc.value)
    assert _counts(wh_path) == before


def test_spliced_file_is_refused_and_the_warehouse_unchanged(
    shared_data: Path, wh_path: Path, tmp_path: Path
) -> None:
    from tests.sources.adapters.test_ons_long import spliced

    bad = spliced(shared_data, tmp_path)
    before = _counts(wh_path)
    with Warehouse(wh_path) as wh, pytest.raises(IngestError, match="spliced together") as exc:
        ingest(wh, [item_for_path(bad, "ons_cxnv_2026_06_30", "2026-06-30")])
    assert exc.value.file == str(bad)
    assert _counts(wh_path) == before


def test_truncated_vintage_is_refused_and_the_warehouse_unchanged(
    shared_data: Path, wh_path: Path, tmp_path: Path
) -> None:
    data = (shared_data / get_source("ons_cxnv_2026_05_14").path).read_bytes()
    bad = tmp_path / "ons_cxnv_long_release2026-05-14.parquet"
    bad.write_bytes(data[: len(data) - 100])
    before = _counts(wh_path)
    with Warehouse(wh_path) as wh, pytest.raises(IngestError, match="cannot read the Parquet file") as exc:
        ingest(wh, [item_for_path(bad, "ons_cxnv_2026_05_14", "2026-05-14")])
    assert exc.value.file == str(bad)
    assert _counts(wh_path) == before
