"""Two-column dated series (ONS NPQT as date,value; FRED EXUSUK) on the real files and broken copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bad_input import assert_names, copy_source, edit_line, truncate

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import dated_series, ons_dataset
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError

BI = "ons_business_investment"
NPQT = "ons_NPQT_total_gfcf_cvm_sa_quarterly_to2023Q4.csv"
FX = "exchange_rates"
FRED = "fred_EXUSUK_monthly_1971-2025.csv"


@pytest.fixture(scope="module")
def npqt(shared_data: Path) -> pd.DataFrame:
    return dated_series.parse_ons_npqt(shared_data / BI / NPQT)


@pytest.fixture(scope="module")
def fred(shared_data: Path) -> pd.DataFrame:
    return dated_series.parse_fred_exusuk(shared_data / FX / FRED)


def test_npqt_published_values(npqt: pd.DataFrame, shared_data: Path) -> None:
    assert list(npqt.columns) == list(OUTPUT_COLUMNS)
    last = npqt.iloc[-1]
    assert (last["period"], last["value"], last["line"]) == (pd.Timestamp(2023, 10, 1), 108474.0, 277)
    assert npqt.period.min() == pd.Timestamp(1955, 1, 1) and len(npqt) == 276
    assert set(npqt.measure) == {"gfcf_total_cvm_sa"} and set(npqt.frequency) == {"Q"}
    assert set(npqt.geography) == {"UK"}
    # same 2019 reference year as the Dec-2023 QNA release (2019 totals agree), later revisions differ
    qna = ons_dataset.parse_qna(shared_data / "ons_qna" / "ons_qna_dataset_release2023-12-22.csv")
    qna_npqt = qna[qna.measure == "gfcf_total_cvm_sa"].set_index("period")["value"]
    mine = npqt.set_index("period")["value"]
    assert mine[mine.index.year == 2019].sum() == qna_npqt[qna_npqt.index.year == 2019].sum() == 406423
    assert mine[pd.Timestamp(2023, 7, 1)] != qna_npqt[pd.Timestamp(2023, 7, 1)]


def test_fred_exusuk(fred: pd.DataFrame) -> None:
    assert set(fred.measure) == {"usd_per_gbp"} and set(fred.frequency) == {"M"}
    assert len(fred) == 652 and fred.line.min() == 2
    assert fred.period.min() == pd.Timestamp(1971, 1, 1) and fred.period.max() == pd.Timestamp(2025, 4, 1)
    assert fred.iloc[-1]["value"] == 1.3144
    annual = fred.groupby(fred.period.dt.year)["value"].mean()
    assert round(annual[2023], 4) == 1.2439 and round(annual[2024], 4) == 1.2781  # SOURCES.md


def test_measures_registered(npqt: pd.DataFrame, fred: pd.DataFrame) -> None:
    registry = load_measures()
    for df in (npqt, fred):
        for measure, freq in df[["measure", "frequency"]].drop_duplicates().itertuples(index=False):
            assert registry[measure].frequency == freq


# --- bad inputs -------------------------------------------------------------------------------


def test_date_not_a_quarter_start(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / BI, tmp_path, NPQT)
    edit_line(path, 100, lambda s: s.replace("-01,", "-02,", 1))
    with pytest.raises(IngestError, match="start of a quarter") as exc:
        dated_series.parse_ons_npqt(path)
    assert_names(exc.value, path, 100, "date")
    path = copy_source(shared_data / BI, tmp_path, NPQT)
    edit_line(path, 277, lambda s: s.replace("2023-10-01", "2023-11-01"))
    with pytest.raises(IngestError, match="start of a quarter") as exc:
        dated_series.parse_ons_npqt(path)
    assert_names(exc.value, path, 277, "date")


def test_unparseable_and_invalid_dates(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 10, lambda s: "1971/09/01," + s.split(",")[1])
    with pytest.raises(IngestError, match="unparseable date") as exc:
        dated_series.parse_fred_exusuk(path)
    assert_names(exc.value, path, 10, "observation_date")
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 10, lambda s: "1971-13-01," + s.split(",")[1])
    with pytest.raises(IngestError, match="invalid date") as exc:
        dated_series.parse_fred_exusuk(path)
    assert_names(exc.value, path, 10, "observation_date")


def test_non_numeric_negative_and_missing_marker(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 10, lambda s: s.split(",")[0] + ",2.4x")
    with pytest.raises(IngestError, match="non-numeric") as exc:
        dated_series.parse_fred_exusuk(path)
    assert_names(exc.value, path, 10, "EXUSUK")
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 10, lambda s: s.split(",")[0] + ",-2.4")
    with pytest.raises(IngestError, match="usd_per_gbp") as exc:
        dated_series.parse_fred_exusuk(path)
    assert_names(exc.value, path, 10, "EXUSUK")
    # FRED writes "." for a missing observation: dropped, not an error
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 10, lambda s: s.split(",")[0] + ",.")
    df = dated_series.parse_fred_exusuk(path)
    assert len(df) == 651 and 10 not in set(df.line)


def test_out_of_order_and_repeated_dates(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / BI, tmp_path, NPQT)
    edit_line(path, 50, lambda s: s.replace(s[:10], "1960-01-01"))  # line 50 is 1967-01-01
    with pytest.raises(IngestError, match="out of order") as exc:
        dated_series.parse_ons_npqt(path)
    assert_names(exc.value, path, 50, "date")
    path = copy_source(shared_data / BI, tmp_path, NPQT)
    edit_line(path, 50, lambda s: s + "\n" + s)
    with pytest.raises(IngestError, match="out of order") as exc:
        dated_series.parse_ons_npqt(path)
    assert_names(exc.value, path, 51, "date")


def test_renamed_header_and_truncation(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / FX, tmp_path, FRED)
    edit_line(path, 1, lambda s: s.replace("EXUSUK", "DEXUSUK"))
    with pytest.raises(IngestError, match="missing column") as exc:
        dated_series.parse_fred_exusuk(path)
    assert_names(exc.value, path, 1, "EXUSUK")
    path = copy_source(shared_data / BI, tmp_path, NPQT)
    truncate(path, 277, 10)
    with pytest.raises(IngestError, match="truncated") as exc:
        dated_series.parse_ons_npqt(path)
    assert_names(exc.value, path, 277, "value")
