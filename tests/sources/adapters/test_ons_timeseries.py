"""ONS CXNV (business investment / GFCF) and YBHA (GDP) adapters on the real files and broken copies."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import ons_timeseries
from forecasting.sources.errors import IngestError

CXNV = "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv"
YBHA = "ons_business_investment/ybha_gdp_current_prices_sa.csv"
BI_CP = "Gross Fixed Capital Formation: Business Investment: CP SA: £m"


def value(df: pd.DataFrame, measure: str, period: pd.Timestamp) -> float:
    hit = df[(df.measure == measure) & (df.period == period)]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


def q(year: int, quarter: int) -> pd.Timestamp:
    return pd.Timestamp(year, 3 * quarter - 2, 1)


def broken_copy(src: Path, tmp_path: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    out = tmp_path / src.name
    out.write_text("".join(edit(lines)), encoding="utf-8")
    return out


def set_cell(line: str, header: str, column: str, text: str) -> str:
    cols = next(csv.reader([header]))
    row = next(csv.reader([line]))
    row[cols.index(column)] = text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def assert_ingest_error(exc: pytest.ExceptionInfo[IngestError], path: Path, line: int, column: str) -> None:
    err = exc.value
    assert (err.file, err.line, err.column) == (str(path), line, column)
    assert str(path) in str(err) and f"line {line}" in str(err) and repr(column) in str(err)


@pytest.fixture(scope="module")
def cxnv(shared_data: Path) -> pd.DataFrame:
    return ons_timeseries.parse_cxnv(shared_data / CXNV)


def test_cxnv_published_values(cxnv: pd.DataFrame) -> None:
    assert value(cxnv, "business_investment_exc_transfer_cvm_sa", q(2020, 2)) == 39936
    assert value(cxnv, "business_investment_exc_transfer_cvm_sa", q(2020, 1)) == 54368
    assert value(cxnv, "business_investment_cp_sa", q(1997, 1)) == 26491
    assert (
        value(cxnv, "gfcf_general_government_cvm_sa", q(2005, 2)) < 0
    )  # BNFL transfer: kept (not non-negative)
    assert set(cxnv.measure) == set(ons_timeseries.CXNV_SERIES.values())
    assert (
        set(cxnv.frequency) == {"Q"}
        and set(cxnv.geography) == {"UK"}
        and set(cxnv.geo_system) == {"canonical"}
    )
    total = cxnv[cxnv.measure == "gfcf_total_cvm_sa"]
    assert total.period.min() == q(1955, 1) and total.period.max() == q(2020, 3) and len(total) == 263
    assert total.line.min() == 2
    assert len(cxnv) == 1284


def test_ybha(shared_data: Path) -> None:
    df = ons_timeseries.parse_ybha(shared_data / YBHA)
    annual = df[df.measure == "uk_gdp_cp_annual"]
    quarterly = df[df.measure == "uk_gdp_cp_sa"]
    assert (annual.frequency == "A").all() and (quarterly.frequency == "Q").all()
    assert value(df, "uk_gdp_cp_annual", pd.Timestamp(1948, 1, 1)) == 11425
    assert value(df, "uk_gdp_cp_annual", pd.Timestamp(2019, 1, 1)) == 2214362
    assert value(df, "uk_gdp_cp_sa", q(2020, 2)) == 475519
    assert len(annual) == 72 and len(quarterly) == 263
    assert annual.line.min() == 9  # 8 metadata lines precede the data


def test_measures_registered(cxnv: pd.DataFrame, shared_data: Path) -> None:
    registry = load_measures()
    ybha = ons_timeseries.parse_ybha(shared_data / YBHA)
    for df in (cxnv, ybha):
        for m, freq in df[["measure", "frequency"]].drop_duplicates().itertuples(index=False):
            assert registry[m].frequency == freq


# --- bad inputs -------------------------------------------------------------------------------


def test_cxnv_periods_out_of_order(shared_data: Path, tmp_path: Path) -> None:
    def swap(ls: list[str]) -> list[str]:
        return [*ls[:100], ls[101], ls[100], *ls[102:]]

    bad = broken_copy(shared_data / CXNV, tmp_path, swap)
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert_ingest_error(exc, bad, 102, "date")


def test_cxnv_truncated(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / CXNV, tmp_path, lambda ls: [*ls[:-1], ls[-1][:500]])
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert exc.value.line == 264 and exc.value.column is not None
    assert repr(exc.value.column) in str(exc.value) and str(bad) in str(exc.value)


def test_cxnv_renamed_column(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / CXNV, tmp_path, lambda ls: [ls[0].replace(BI_CP, BI_CP + " (rev)"), *ls[1:]]
    )
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert_ingest_error(exc, bad, 1, BI_CP)


def test_cxnv_non_numeric(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / CXNV,
        tmp_path,
        lambda ls: [*ls[:200], set_cell(ls[200], ls[0], BI_CP, "4e4x"), *ls[201:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert_ingest_error(exc, bad, 201, BI_CP)


def test_cxnv_negative_investment(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / CXNV, tmp_path, lambda ls: [*ls[:200], set_cell(ls[200], ls[0], BI_CP, "-1"), *ls[201:]]
    )
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert_ingest_error(exc, bad, 201, BI_CP)
    assert "business_investment_cp_sa" in str(exc.value)


def test_cxnv_duplicate_quarter(shared_data: Path, tmp_path: Path) -> None:
    """A repeated quarter in a time-series file shows up as a period out of order."""
    bad = broken_copy(shared_data / CXNV, tmp_path, lambda ls: [*ls[:51], ls[50], *ls[51:]])
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_cxnv(bad)
    assert_ingest_error(exc, bad, 52, "date")


def test_ybha_bad_quarter_and_value(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / YBHA, tmp_path, lambda ls: [*ls[:100], '"1960 Q5","6482"\n', *ls[101:]])
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_ybha(bad)
    assert_ingest_error(exc, bad, 101, "period")
    bad = broken_copy(shared_data / YBHA, tmp_path, lambda ls: [*ls[:100], '"1960 Q2","6,482"\n', *ls[101:]])
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_ybha(bad)
    assert_ingest_error(exc, bad, 101, "value")


def test_ybha_out_of_order_and_wrong_series(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / YBHA, tmp_path, lambda ls: [*ls[:20], ls[21], ls[20], *ls[22:]])
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_ybha(bad)
    assert_ingest_error(exc, bad, 22, "period")
    bad = broken_copy(
        shared_data / YBHA, tmp_path, lambda ls: [ls[0], ls[1].replace("YBHA", "ABMI"), *ls[2:]]
    )
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_ybha(bad)
    assert_ingest_error(exc, bad, 2, "CDID")


# --- IHYS (GDP deflator growth): the same single-series layout ----------------------------------

IHYS = "uk_prices/ons_IHYS_gdp_deflator_yoy_annual_release2025-09-30.csv"


def test_ihys_published_values(shared_data: Path) -> None:
    df = ons_timeseries.parse_ihys(shared_data / IHYS)
    assert set(df.measure) == {"gdp_deflator_growth"} and set(df.frequency) == {"A"}
    assert len(df) == 76 and df.period.min() == pd.Timestamp(1949, 1, 1)
    assert value(df, "gdp_deflator_growth", pd.Timestamp(2024, 1, 1)) == 3.6
    assert value(df, "gdp_deflator_growth", pd.Timestamp(2022, 1, 1)) == 5.7
    assert df.line.min() == 9  # 8 metadata lines
    assert load_measures()["gdp_deflator_growth"].frequency == "A"


def test_ihys_wrong_series_and_quarterly_row(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / IHYS, tmp_path, lambda ls: [ls[0], ls[1].replace("IHYS", "YBGB"), *ls[2:]]
    )
    with pytest.raises(IngestError) as exc:
        ons_timeseries.parse_ihys(bad)
    assert_ingest_error(exc, bad, 2, "CDID")
    bad = broken_copy(shared_data / IHYS, tmp_path, lambda ls: [*ls, '"2025 Q1","3.1"\n'])
    with pytest.raises(IngestError, match="published here as") as exc:
        ons_timeseries.parse_ihys(bad)
    assert_ingest_error(exc, bad, 85, "period")


def test_ihys_non_numeric(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / IHYS, tmp_path, lambda ls: [*ls[:-1], ls[-1].replace('"3.6"', '"3.6%"')])
    with pytest.raises(IngestError, match="non-numeric") as exc:
        ons_timeseries.parse_ihys(bad)
    assert_ingest_error(exc, bad, 84, "value")
