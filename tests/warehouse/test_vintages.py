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
from forecasting.warehouse.snapshot import open_snapshot
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


def test_catalogue_says_which_series_are_stale_and_why(wh_path: Path) -> None:
    """Staleness in plain sight: as of the March 2024 release, judged in December 2026, NPEL (ending
    2023Q4) is stale, from the 2024-03-28 release; today's view of the same series is not."""
    with Warehouse(wh_path, read_only=True) as wh:
        old = wh.catalogue(measures=["business_investment_cvm_sa"], as_of="2024-03-28", present="2026-12-07")
        now = wh.catalogue(measures=["business_investment_cvm_sa"], present="2026-12-07")
    row = old.iloc[0]
    assert bool(row["stale"]) and row["release"] == "2024-03-28" and row["months_behind"] == 35
    assert "data end 2023Q4" in row["stale_reason"] and "release of 2024-03-28" in row["stale_reason"]
    assert not bool(now.iloc[0]["stale"]) and now.iloc[0]["stale_reason"] == ""


def test_real_time_histories_never_splice_reference_years(wh_path: Path) -> None:
    """The real-time backtest's release history holds the newest release's reference year only."""
    from forecasting.training.published import published_histories

    with open_snapshot(wh_path) as wh:
        then = published_histories(wh, [BI], as_of="2024-08-01")
        now = published_histories(wh, [BI])
    assert set(then[BI].releases["release"]) == {"2024-03-28", "2024-06-28"}  # both 2019 prices
    assert BI not in now  # one release on 2023 prices: nothing older may be spliced onto it


def test_future_release_on_the_command_line_names_the_file(shared_data: Path) -> None:
    path = shared_data / get_source("ons_cxnv_2026_06_30").path
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(InvalidParameter, match="in the future") as exc:
        item_for_path(path, "ons_cxnv_2026_06_30", tomorrow)
    assert str(path) in str(exc.value)


def test_releases_lists_every_vintage_of_a_series(wh_path: Path) -> None:
    with Warehouse(wh_path, read_only=True) as wh:
        rel = wh.releases(BI)
    assert rel["release"].tolist() == ["2024-03-28", "2024-06-28", "2024-09-30", "2026-06-30"]
    assert rel["reference_year"].tolist() == [2019, 2019, 2022, 2023]
    assert rel["last"].tolist() == ["2023Q4", "2024Q1", "2024Q2", "2026Q1"]


def test_an_older_warehouse_is_migrated_on_its_next_write(tmp_path: Path) -> None:
    """A warehouse made before reference years: read-only opening says what to run; a write adds it."""
    import duckdb

    from forecasting.warehouse.schema import SCHEMA_SQL
    from forecasting.warehouse.store import WarehouseError

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_SQL.replace(",\n    reference_year INTEGER", ""))
    con.close()
    with pytest.raises(WarehouseError, match="run `invest data ingest` once"):
        Warehouse(path, read_only=True)
    with Warehouse(path) as wh:
        assert wh.has_schema
    with Warehouse(path, read_only=True) as wh:
        assert wh.counts()["observations"] == 0


def test_measure_summary_agrees_with_the_catalogue(wh_path: Path) -> None:
    """`invest run`'s ingest summary (one grouped query) says what the per-series catalogue says: series,
    frequencies, coverage and the sources actually served (the newest release, not every release)."""
    with Warehouse(wh_path, read_only=True) as wh:
        summary = wh.measure_summary().set_index("measure")
        cat = wh.catalogue()
    assert sorted(summary.index) == sorted(cat["measure"].unique())
    for measure, g in cat.groupby("measure"):
        row = summary.loc[measure]
        assert row["series"] == len(g)
        assert row["frequencies"] == ",".join(sorted(g["frequency"].unique()))
        assert (row["start"], row["end"]) == (g["start"].min(), g["end"].max())
        assert row["source"] == ",".join(sorted(set(",".join(g["source"]).split(","))))
        assert row["synthetic"] == int(g["is_synthetic"].sum())
    assert summary.loc["business_investment_cvm_sa", "source"] == "ons_cxnv_2026_06_30"


def test_observations_with_fewer_columns_are_the_same_rows_in_the_same_order(wh_path: Path) -> None:
    """Readers of a million rows ask for the columns they use: nothing else may change."""
    from forecasting.warehouse.store import OBSERVATION_COLUMNS, WarehouseError

    with open_snapshot(wh_path, "2024-07-01") as snap:
        full = snap.observations()
        few = snap.observations(columns=["measure", "period", "value", "vintage"])
        with pytest.raises(WarehouseError, match="file_hash"):
            snap.observations(columns=["value", "file_hash"])
    assert list(full.columns) == list(OBSERVATION_COLUMNS) and len(full) > 100
    assert list(few.columns) == ["measure", "period", "value", "vintage"]
    pd.testing.assert_frame_equal(full[list(few.columns)], few)
