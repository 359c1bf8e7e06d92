"""World Bank WDI adapter on both published vintages, and on broken copies."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import wdi
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError

V2023 = "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv"
V2025 = "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv"


def value(df: pd.DataFrame, geography: str, year: int) -> float:
    hit = df[(df.geography == geography) & (df.period == pd.Timestamp(year, 1, 1))]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


def broken_copy(src: Path, tmp_path: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    out = tmp_path / src.name
    out.write_text("".join(edit(lines)), encoding="utf-8")
    return out


def assert_ingest_error(exc: pytest.ExceptionInfo[IngestError], path: Path, line: int, column: str) -> None:
    err = exc.value
    assert (err.file, err.line, err.column) == (str(path), line, column)
    assert str(path) in str(err) and f"line {line}" in str(err) and repr(column) in str(err)


@pytest.fixture(scope="module")
def v2023(shared_data: Path) -> pd.DataFrame:
    return wdi.parse_wdi(shared_data / V2023)


@pytest.fixture(scope="module")
def v2025(shared_data: Path) -> pd.DataFrame:
    return wdi.parse_wdi(shared_data / V2025)


def test_vintage_2023(v2023: pd.DataFrame) -> None:
    assert list(v2023.columns) == list(OUTPUT_COLUMNS)
    assert value(v2023, "GBR", 2022) == pytest.approx(44126903482.3809, abs=1e-3)
    assert value(v2023, "GBR", 2020) == pytest.approx(132.5e9, rel=1e-3)
    assert set(v2023.measure) == {"fdi_net_inflows_usd"}
    assert set(v2023.geo_system) == {"iso3"} and set(v2023.frequency) == {"A"}
    assert v2023.geography.nunique() == 249  # 266 rows, 17 economies with no data at all
    assert len(v2023) == 11706
    assert v2023.period.max() == pd.Timestamp(2022, 1, 1)
    # 4 metadata lines: header is file line 5, Aruba (first economy) is line 6
    assert v2023.loc[v2023.geography == "ABW", "line"].unique().tolist() == [6]
    assert (v2023.value < 0).any()  # net inflows can be negative and are kept


def test_vintage_2025_revisions(v2023: pd.DataFrame, v2025: pd.DataFrame) -> None:
    assert sorted(v2025.geography.unique()) == ["EUU", "FRA", "GBR", "WLD"]
    assert value(v2025, "GBR", 2020) == pytest.approx(157.2e9, rel=1e-3)
    assert value(v2025, "GBR", 2023) == pytest.approx(13.8e9, rel=5e-3)
    assert value(v2025, "GBR", 2024) == pytest.approx(3.5e9, rel=2e-2)
    assert value(v2025, "WLD", 2024) == pytest.approx(1563.7e9, rel=1e-3)
    assert value(v2025, "GBR", 2020) != value(v2023, "GBR", 2020)
    assert v2025.line.min() == 2  # no metadata lines: header is line 1


def test_measures_registered(v2023: pd.DataFrame) -> None:
    assert set(v2023.measure) <= set(load_measures())


def test_truncated_file(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / V2025, tmp_path, lambda ls: [*ls[:-1], ls[-1][:300]])
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 5, "1980")  # cut inside the 1979 value: 1980 is the first missing column


def test_renamed_column(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / V2023,
        tmp_path,
        lambda ls: [*ls[:4], ls[4].replace('"Country Code"', '"Code"'), *ls[5:]],
    )
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 1, "Country Code")


def test_non_numeric_value(shared_data: Path, tmp_path: Path) -> None:
    def edit(ls: list[str]) -> list[str]:
        header = next(csv.reader([ls[0]]))
        row = next(csv.reader([ls[3]]))
        row[header.index("2022")] = "12x"
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(row)
        return [*ls[:3], buf.getvalue(), *ls[4:]]

    bad = broken_copy(shared_data / V2025, tmp_path, edit)
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 4, "2022")


def test_duplicate_economy(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / V2025, tmp_path, lambda ls: [*ls, ls[3]])
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 6, "Country Code")


def test_year_columns_out_of_order(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / V2023,
        tmp_path,
        lambda ls: [*ls[:4], ls[4].replace('"1961","1962"', '"1962","1961"'), *ls[5:]],
    )
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 5, "1961")


def test_wrong_indicator(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / V2025,
        tmp_path,
        lambda ls: [*ls[:2], ls[2].replace("BX.KLT.DINV.CD.WD", "NY.GDP.MKTP.CD"), *ls[3:]],
    )
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 3, "Indicator Code")


def test_no_header(tmp_path: Path) -> None:
    bad = tmp_path / "wdi.csv"
    bad.write_text('"Data Source","World Development Indicators",\n\n', encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        wdi.parse_wdi(bad)
    assert_ingest_error(exc, bad, 1, "Country Name")


# --- PA.NUS.FCRF official exchange rate (same layout) -----------------------------------------

FCRF = "exchange_rates/wdi_PA.NUS.FCRF_official_exchange_rate_LCU_per_USD_2025-07-01.csv"


@pytest.fixture(scope="module")
def fcrf(shared_data: Path) -> pd.DataFrame:
    return wdi.parse_exchange_rate(shared_data / FCRF)


def test_exchange_rate_published_values(fcrf: pd.DataFrame) -> None:
    assert list(fcrf.columns) == list(OUTPUT_COLUMNS)
    assert set(fcrf.measure) == {"exchange_rate_lcu_per_usd"} and set(fcrf.frequency) == {"A"}
    assert round(value(fcrf, "GBR", 2024), 4) == 0.7824  # £ per US$ (SOURCES.md)
    assert value(fcrf, "GBR", 2022) == pytest.approx(0.811301715827773, rel=1e-12)
    assert value(fcrf, "ABW", 1990) == 1.79
    assert fcrf.period.max() == pd.Timestamp(2024, 1, 1)
    # aggregates: kept where published (euro area shares a currency), blank ones dropped like the FDI file
    assert "EMU" in set(fcrf.geography) and "WLD" not in set(fcrf.geography)
    assert fcrf.geography.nunique() == 215 and len(fcrf) == 12308
    assert fcrf.loc[fcrf.geography == "GBR", "line"].unique().tolist() == [87]
    assert (fcrf.value > 0).all()
    assert set(fcrf.measure) <= set(load_measures())


def test_each_parser_refuses_the_other_indicator(shared_data: Path) -> None:
    with pytest.raises(IngestError, match="unexpected indicator") as exc:
        wdi.parse_wdi(shared_data / FCRF)
    assert (exc.value.line, exc.value.column, exc.value.expected) == (
        6,
        "Indicator Code",
        "BX.KLT.DINV.CD.WD",
    )
    with pytest.raises(IngestError, match="unexpected indicator") as exc:
        wdi.parse_exchange_rate(shared_data / V2023)
    assert (exc.value.line, exc.value.column, exc.value.expected) == (6, "Indicator Code", "PA.NUS.FCRF")


def test_negative_exchange_rate(shared_data: Path, tmp_path: Path) -> None:
    def edit(ls: list[str]) -> list[str]:
        header = next(csv.reader([ls[4]]))
        row = next(csv.reader([ls[86]]))
        row[header.index("2024")] = "-0.78"
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(row)
        return [*ls[:86], buf.getvalue(), *ls[87:]]

    bad = broken_copy(shared_data / FCRF, tmp_path, edit)
    with pytest.raises(IngestError, match="exchange_rate_lcu_per_usd") as exc:
        wdi.parse_exchange_rate(bad)
    assert_ingest_error(exc, bad, 87, "2024")
