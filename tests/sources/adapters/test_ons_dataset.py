"""ONS CDID-header dataset downloads (QNA releases, CPI multi-series) on the real files and broken copies."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from bad_input import assert_names, copy_source, edit_line, set_cell, truncate

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import ons_dataset
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError

QNA = "ons_qna"
DEC = "ons_qna_dataset_release2023-12-22.csv"
MAR = "ons_qna_dataset_release2023-03-31.csv"
PRICES = "uk_prices"
CPI = "ons_multiseries_D7BT_etc_release2025-01.csv"


def q(year: int, quarter: int) -> pd.Timestamp:
    return pd.Timestamp(year, 3 * quarter - 2, 1)


def value(df: pd.DataFrame, measure: str, period: pd.Timestamp) -> float:
    hit = df[(df.measure == measure) & (df.period == period)]
    assert len(hit) == 1, (measure, period, len(hit))
    return float(hit["value"].iloc[0])


def column_of(path: Path, cdid: str) -> int:
    """0-based column of a CDID (the header is the file's second row)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return next(reader).index(cdid)


def line_of(path: Path, label: str) -> int:
    """1-based file line of the row labelled ``label`` (e.g. '2020 Q1')."""
    for n, text in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), start=1):
        if next(csv.reader([text]), [""])[0] == label:
            return n
    raise AssertionError(label)


@pytest.fixture(scope="module")
def dec(shared_data: Path) -> pd.DataFrame:
    return ons_dataset.parse_qna(shared_data / QNA / DEC)


@pytest.fixture(scope="module")
def mar(shared_data: Path) -> pd.DataFrame:
    return ons_dataset.parse_qna(shared_data / QNA / MAR)


@pytest.fixture(scope="module")
def cpi(shared_data: Path) -> pd.DataFrame:
    return ons_dataset.parse_cpi(shared_data / PRICES / CPI)


def test_qna_december_published_values(dec: pd.DataFrame) -> None:
    """SOURCES.md checks: NPEL (Dec-2023 release) 2019 Q4, 2020 Q2, 2023 Q3 and the 2022 annual total."""
    assert list(dec.columns) == [*OUTPUT_COLUMNS, "reference_year"]
    # 2019 prices: read off the file (NPEL = NPEK in 2019), on the chained-volume and index rows only
    refs = dec.groupby("measure")["reference_year"].unique()
    assert refs["business_investment_cvm_sa"].tolist() == [2019] and refs["gdp_deflator"].tolist() == [2019]
    assert refs["business_investment_cp_sa"].isna().all()
    assert value(dec, "business_investment_cvm_sa", q(2019, 4)) == 57293
    assert value(dec, "business_investment_cvm_sa", q(2020, 2)) == 45262
    assert value(dec, "business_investment_cvm_sa", q(2023, 3)) == 59396
    npel = dec[dec.measure == "business_investment_cvm_sa"]
    assert npel.loc[npel.period.dt.year == 2022, "value"].sum() == 228317
    assert npel.period.min() == q(1997, 1) and npel.period.max() == q(2023, 3) and len(npel) == 107
    assert npel.line.min() == 289  # 7 metadata rows, 77 annual rows, 1946 Q1 … 1996 Q4 blank
    assert value(dec, "uk_gdp_cp_sa", q(2023, 3)) == 685204
    assert value(dec, "uk_gdp_cvm_sa", q(2023, 3)) == 568953
    assert value(dec, "gfcf_total_cvm_sa", q(2023, 3)) == 106496
    # 2019 is the reference year: CVM = CP in 2019 and the deflator is 100
    assert value(dec, "uk_gdp_cp_annual", pd.Timestamp(2019, 1, 1)) == 2233921
    assert value(dec, "gdp_deflator_annual", pd.Timestamp(2019, 1, 1)) == 100.0
    gdp_cvm = dec[(dec.measure == "uk_gdp_cvm_sa") & (dec.period.dt.year == 2019)]["value"].sum()
    assert gdp_cvm == 2233921
    assert (
        set(dec.geography) == {"UK"} and set(dec.geo_system) == {"canonical"} and set(dec.cluster) == {"all"}
    )
    assert len(dec) == 1739


def test_qna_releases_are_revised_vintages(dec: pd.DataFrame, mar: pd.DataFrame) -> None:
    npel = mar[mar.measure == "business_investment_cvm_sa"]
    assert npel.loc[npel.period.dt.year == 2022, "value"].sum() == 221935
    assert npel.period.max() == q(2022, 4) and len(npel) == 104
    assert value(mar, "business_investment_cvm_sa", q(2019, 4)) == 56999
    assert value(dec, "business_investment_cvm_sa", q(2019, 4)) != 56999
    assert set(mar.measure) == set(dec.measure)
    assert len(mar) == 1718


def test_qna_measures_and_frequencies_registered(dec: pd.DataFrame) -> None:
    registry = load_measures()
    pairs = set(dec[["measure", "frequency"]].drop_duplicates().itertuples(index=False, name=None))
    assert pairs == {
        (measure, freq) for spec in ons_dataset.QNA_SERIES.values() for freq, measure in spec.measures.items()
    }
    for measure, freq in pairs:
        assert registry[measure].frequency == freq


def test_cpi_d7bt(cpi: pd.DataFrame) -> None:
    assert value(cpi, "cpi_index", pd.Timestamp(2024, 1, 1)) == 133.9
    assert value(cpi, "cpi_index", pd.Timestamp(2015, 1, 1)) == 100.0  # 2015 = 100
    assert value(cpi, "cpi_index_q", q(2024, 4)) == 135.2
    assert value(cpi, "cpi_index_m", pd.Timestamp(2024, 12, 1)) == 135.6
    assert value(cpi, "cpi_index_m", pd.Timestamp(1988, 1, 1)) == 48.4
    counts = cpi.groupby("measure").size().to_dict()
    assert counts == {"cpi_index": 37, "cpi_index_q": 148, "cpi_index_m": 444}  # other 16 CDIDs ignored
    registry = load_measures()
    for measure, freq in cpi[["measure", "frequency"]].drop_duplicates().itertuples(index=False):
        assert registry[measure].frequency == freq
    assert cpi.loc[cpi.measure == "cpi_index", "line"].min() == 51  # 8 metadata rows; 1988 is line 51


# --- bad inputs -------------------------------------------------------------------------------


@pytest.fixture()
def dec_copy(shared_data: Path, tmp_path: Path) -> Path:
    return copy_source(shared_data / QNA, tmp_path, DEC)


def test_missing_required_cdid(dec_copy: Path) -> None:
    edit_line(dec_copy, 2, lambda s: s.replace(",NPEL,", ",NPEX,"))
    with pytest.raises(IngestError, match="required series NPEL is missing") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, 2, "NPEL")


def test_missing_optional_cdid_is_skipped(dec_copy: Path) -> None:
    edit_line(dec_copy, 2, lambda s: s.replace(",NPEK,", ",NPEX,"))
    df = ons_dataset.parse_qna(dec_copy)
    assert "business_investment_cp_sa" not in set(df.measure)
    assert value(df, "business_investment_cvm_sa", q(2023, 3)) == 59396


def test_unit_row_contradicts_the_measure(dec_copy: Path) -> None:
    set_cell(dec_copy, 4, column_of(dec_copy, "NPEL"), "%")
    with pytest.raises(IngestError, match="unit") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, 4, "NPEL")
    assert "£ million" in str(exc.value)


def test_non_numeric_value(dec_copy: Path) -> None:
    line = line_of(dec_copy, "2020 Q2")
    set_cell(dec_copy, line, column_of(dec_copy, "NPEL"), "45,262")
    with pytest.raises(IngestError, match="non-numeric") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, line, "NPEL")


def test_negative_investment(dec_copy: Path) -> None:
    line = line_of(dec_copy, "2020 Q2")
    set_cell(dec_copy, line, column_of(dec_copy, "NPQT"), "-78563")
    with pytest.raises(IngestError, match="gfcf_total_cvm_sa") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, line, "NPQT")


def test_unparseable_period(dec_copy: Path) -> None:
    line = line_of(dec_copy, "2020 Q2")
    edit_line(dec_copy, line, lambda s: s.replace("2020 Q2", "2020 Q5", 1))
    with pytest.raises(IngestError, match="unparseable period") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, line, "period")


def test_repeated_quarter_is_out_of_order(dec_copy: Path) -> None:
    line = line_of(dec_copy, "2020 Q2")
    edit_line(dec_copy, line, lambda s: s.replace("2020 Q2", "2020 Q1", 1))
    with pytest.raises(IngestError, match="out of order") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, line, "period")


def test_truncated_download(dec_copy: Path) -> None:
    last = line_of(dec_copy, "2023 Q3")
    truncate(dec_copy, last, 40)
    with pytest.raises(IngestError, match="truncated") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert exc.value.line == last and str(dec_copy) in str(exc.value) and exc.value.column


def test_no_cdid_row(dec_copy: Path) -> None:
    edit_line(dec_copy, 2, lambda s: s.replace("CDID", "Series ID", 1))
    with pytest.raises(IngestError, match="no CDID row") as exc:
        ons_dataset.parse_qna(dec_copy)
    assert_names(exc.value, dec_copy, 1, "period")


def test_cpi_without_d7bt(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / PRICES, tmp_path, CPI)
    edit_line(path, 2, lambda s: s.replace(",D7BT,", ",D7BX,"))
    with pytest.raises(IngestError, match="required series D7BT") as exc:
        ons_dataset.parse_cpi(path)
    assert_names(exc.value, path, 2, "D7BT")


def test_cpi_bad_month(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / PRICES, tmp_path, CPI)
    line = line_of(path, "2024 DEC")
    edit_line(path, line, lambda s: s.replace("2024 DEC", "2024 DEX", 1))
    with pytest.raises(IngestError, match="unparseable period") as exc:
        ons_dataset.parse_cpi(path)
    assert_names(exc.value, path, line, "period")


def test_metadata_only_and_no_mapped_series(dec_copy: Path, tmp_path: Path) -> None:
    head = tmp_path / "qna_head.csv"
    head.write_text("\n".join(dec_copy.read_text(encoding="utf-8").split("\n")[:7]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no data rows") as exc:
        ons_dataset.parse_qna(head)
    assert_names(exc.value, head, 1, "period")
    only_optional = {"ZZZZ": ons_dataset.CdidSeries({"Q": "uk_gdp_cvm_sa"}, False, "gbp_million")}
    with pytest.raises(IngestError, match="none of the mapped series") as exc:
        ons_dataset._parse_cdid_table(dec_copy, only_optional)
    assert_names(exc.value, dec_copy, 2, "CDID")
