"""BRES ITL2 and GB business counts adapters against the real Nomis extracts."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bad_input import assert_names as _assert_names
from bad_input import copy_source
from bad_input import edit_line as _edit

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import bres
from forecasting.sources.adapters.ons_regional_gva import parse_itl2_ft_jobs
from forecasting.sources.errors import IngestError

DIR = "bres_itl2"
EMP2 = "bres_itl2_employment_sic2digit_2015_2021.csv"
EMP5 = "bres_itl2_employment_sic5digit_2015_2021.csv.gz"
FT2 = "bres_itl2_fulltime_employees_sic2digit_2015_2021.csv"
SECTIONS = "bres_itl2_jobs_sic_sections_2015_2021.csv"
COUNTS = "gb_business_counts_enterprises_sic5digit_sizeband_2016_2022.csv"
COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]


@pytest.fixture(scope="module")
def emp5(shared_data) -> pd.DataFrame:
    return bres.parse_bres(shared_data / DIR / EMP5)


def _value(
    df: pd.DataFrame, geography: str, year: int, cluster: str, measure: str | None = None
) -> pd.Series:
    m = (df["geography"] == geography) & (df["cluster"] == cluster) & (df["period"].dt.year == year)
    if measure:
        m &= df["measure"] == measure
    row = df[m]
    assert len(row) == 1, (geography, year, cluster, len(row))
    return row.iloc[0]


@pytest.mark.parametrize(
    ("name", "parser", "measures", "rows"),
    [
        (EMP2, bres.parse_bres, {"bres_employment"}, 24640),
        (FT2, bres.parse_bres, {"bres_ft_employees"}, 24640),
        (SECTIONS, bres.parse_bres, {"ft_jobs"}, 5320),
        (
            COUNTS,
            bres.parse_business_counts,
            {"business_count_enterprises", "business_count_enterprises_250plus"},
            10206,
        ),
    ],
)
def test_files_parse_to_registered_canonical_rows(shared_data, name, parser, measures, rows):
    df = parser(shared_data / DIR / name)
    assert list(df.columns) == COLUMNS
    assert set(df["measure"]) == measures and measures <= set(load_measures())
    assert len(df) == rows
    assert (df["value"] >= 0).all() and df["value"].notna().all()
    assert df["cluster"].str.fullmatch(r"sic-([A-U]|\d{2}|\d{5})").all()
    assert not df.duplicated(["measure", "geography", "cluster", "period"]).any()


def test_employment_2digit_exact(shared_data):
    df = bres.parse_bres(shared_data / DIR / EMP2)
    row = _value(df, "UKG3", 2021, "sic-29")
    assert (row["value"], row["geo_system"], row["measure"]) == (28000.0, "nuts2016", "bres_employment")
    assert _value(df, "UKC1", 2015, "sic-01")["line"] == 2  # leading zero kept
    assert df["geography"].nunique() == 40 and df["cluster"].nunique() == 88


def test_employment_5digit_gzip_exact(emp5):
    assert len(emp5) == 204105  # 204,120 rows less 15 blank (suppressed) counts
    assert set(emp5["measure"]) == {"bres_employment"}
    row = _value(emp5, "UKG3", 2021, "sic-30300")
    assert (row["value"], row["line"]) == (3000.0, 186914)
    assert "sic-01110" in set(emp5["cluster"]) and emp5["cluster"].nunique() == 729


def test_full_time_employees(shared_data):
    df = bres.parse_bres(shared_data / DIR / FT2)
    assert _value(df, "UKC1", 2015, "sic-01")["value"] == 900


def test_sections_are_full_time_jobs(shared_data):
    """The section file adds up to the full-time job totals (not to BRES employment): hence ft_jobs."""
    sections = bres.parse_bres(shared_data / DIR / SECTIONS)
    row = _value(sections, "UKG3", 2021, "sic-C")
    assert (row["value"], row["line"]) == (106215.0, 839)
    totals = parse_itl2_ft_jobs(shared_data / "ons_regional_gva" / "itl2_totalFTjobcounts.csv")
    summed = sections.groupby(["geography", "period"])["value"].sum()
    pd.testing.assert_series_equal(
        summed, totals.set_index(["geography", "period"])["value"].sort_index(), check_names=False
    )


def test_business_counts_sum_size_bands(shared_data):
    df = bres.parse_business_counts(shared_data / DIR / COUNTS)
    assert set(df["geography"]) == {"GB"} and set(df["geo_system"]) == {"canonical"}
    raw = pd.read_csv(shared_data / DIR / COUNTS, dtype={"INDUSTRY_CODE": str})
    sel = raw[(raw["INDUSTRY_CODE"] == "29100") & (raw["DATE"] == 2021)]
    total = _value(df, "GB", 2021, "sic-29100", "business_count_enterprises")
    large = _value(df, "GB", 2021, "sic-29100", "business_count_enterprises_250plus")
    assert total["value"] == sel["COUNT"].sum()
    assert large["value"] == sel.loc[sel["EMPLOYMENT_SIZEBAND_NAME"].isin(bres.LARGE_BANDS), "COUNT"].sum()
    assert total["line"] == sel.index.min() + 2
    assert df["period"].dt.year.max() == 2022


# ---------------------------------------------------------------- bad input, on tmp copies


def _copy(shared_data: Path, tmp_path: Path, name: str) -> Path:
    return copy_source(shared_data / DIR, tmp_path, name)


def test_truncated_file(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, EMP2)
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(lines[:100]) + "\n2016,Cumbria,UKD1", encoding="utf-8")
    with pytest.raises(IngestError, match="fewer than the header") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 101, "INDUSTRY_NAME")


def test_truncated_gzip(shared_data, tmp_path):
    path = tmp_path / EMP5
    with gzip.open(shared_data / DIR / EMP5, "rt", encoding="utf-8") as fh:
        head = [next(fh) for _ in range(50)]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("".join(head) + "2015,Cumbria,UKD1,01110 : Growing of cereals")
    with pytest.raises(IngestError) as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 51, "INDUSTRY_CODE")


def test_renamed_column(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, FT2)
    _edit(path, 1, lambda s: s.replace("COUNT", "VALUE"))
    with pytest.raises(IngestError, match="missing column") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 1, "COUNT")


def test_non_numeric_count(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, EMP2)
    _edit(path, 7, lambda s: s.rsplit(",", 1)[0] + ",12 thousand")
    with pytest.raises(IngestError, match="non-numeric") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 7, "COUNT")


def test_duplicate_key(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, EMP2)
    _edit(path, 3, lambda s: s + "\n" + s)
    with pytest.raises(IngestError, match="duplicate key") as ei:
        bres.parse_bres(path)
    assert "line 3" in str(ei.value) and "line 4" in str(ei.value)


def test_duplicate_size_band(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, COUNTS)
    _edit(path, 3, lambda s: s + "\n" + s)
    with pytest.raises(IngestError, match="duplicate key.*line 3") as ei:
        bres.parse_business_counts(path)
    _assert_names(ei.value, path, 4, "INDUSTRY_CODE")


def test_negative_count(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, SECTIONS)
    _edit(path, 9, _negate_count)
    with pytest.raises(IngestError, match="negative") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 9, "COUNT")


def _negate_count(line: str) -> str:
    """Sections layout: ..., COUNT, SIC_SECTION_CODE - COUNT is the second-last field."""
    head, count, code = line.rsplit(",", 2)
    return f"{head},-{count},{code}"


def test_leading_zero_lost(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, EMP2)
    _edit(path, 2, lambda s: s.replace(",01,", ",1,"))
    with pytest.raises(IngestError, match="leading zeros") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 2, "INDUSTRY_CODE")


def test_year_not_a_year(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, FT2)
    _edit(path, 5, lambda s: "2015/16" + s[4:])
    with pytest.raises(IngestError, match="unparseable year") as ei:
        bres.parse_bres(path)
    _assert_names(ei.value, path, 5, "DATE")


def test_unrecognised_bres_file_name(shared_data, tmp_path):
    path = tmp_path / "bres_something.csv"
    shutil.copy(shared_data / DIR / EMP2, path)
    with pytest.raises(IngestError, match="which BRES measure"):
        bres.parse_bres(path)
