"""DBT inward investment adapters: the real transcribed file, and a SYNTHETIC regional table.

The regional-table tests write small files shaped like the gov.uk CSV export of DBT's "inward
investment results" regional table; the numbers in them are made up (synthetic), not published.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from bad_input import copy_source, edit_line

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import dbt
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError

PARTIAL = "dbt_fdi_projects/dbt_inward_investment_results_transcribed_partial.csv"

# SYNTHETIC data in the published layout (title/notes lines, region rows, financial-year columns)
SYNTHETIC_TABLE = """\
Table 4: Number of FDI projects by UK region and financial year [note 1],,,,,,
This worksheet contains one table. Some cells refer to notes which can be found in the notes worksheet.,,,,,,
Source: synthetic test data (not published figures),,,,,,
UK region,2020-21,2021-22,2022-23 [note 2],2023-24,2024-25,% change 2023-24 to 2024-25
East Midlands [note 3],60,70,84,80,75,-6%
West Midlands,120,143,181,150,140,-7%
London,"1,040",444,528,500,480,-4%
Scotland,[c],119,130,120,110,-8%
Multi-region [note 4],10,12,14,16,18,13%
Total,"1,538","1,589","1,654","1,555","1,375",-12%
,,,,,,
"Note: figures are synthetic.",,,,,,
"""

SYNTHETIC_MEASURE_COLUMN = """\
Region,Measure,2021-22,2022-23
West Midlands,FDI projects,143,181
West Midlands,New jobs,"5,571","8,252"
West Midlands,Safeguarded jobs,..,"1,020"
UK total,New jobs,"84,759","79,549"
"""


def value(df: pd.DataFrame, measure: str, geography: str, year: int) -> float:
    hit = df[(df.measure == measure) & (df.geography == geography) & (df.period == pd.Timestamp(year, 1, 1))]
    assert len(hit) == 1, hit
    return float(hit["value"].iloc[0])


def write(tmp_path: Path, text: str, name: str = "dbt_regional_table.csv") -> Path:
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


def edited(tmp_path: Path, text: str, edit: Callable[[list[str]], list[str]]) -> Path:
    return write(tmp_path, "".join(edit(text.splitlines(keepends=True))))


def assert_ingest_error(exc: pytest.ExceptionInfo[IngestError], path: Path, line: int, column: str) -> None:
    err = exc.value
    assert (err.file, err.line, err.column) == (str(path), line, column)
    assert str(path) in str(err) and f"line {line}" in str(err) and repr(column) in str(err)


# --- the real (partial, hand-transcribed) file --------------------------------------------------


@pytest.fixture(scope="module")
def partial(shared_data: Path) -> pd.DataFrame:
    return dbt.parse_transcribed_partial(shared_data / PARTIAL)


def test_partial_published_values(partial: pd.DataFrame) -> None:
    assert list(partial.columns) == list(OUTPUT_COLUMNS)
    # "2022-23" is stored as the annual period labelled 2022
    assert value(partial, "dbt_fdi_projects", "United Kingdom", 2022) == 1654
    assert value(partial, "dbt_fdi_projects", "United Kingdom", 2024) == 1375
    assert value(partial, "dbt_new_jobs", "United Kingdom", 2022) == 79549
    assert value(partial, "dbt_safeguarded_jobs", "United Kingdom", 2023) == 11613
    assert value(partial, "dbt_fdi_projects", "West Midlands", 2022) == 181
    assert value(partial, "dbt_fdi_projects", "Midlands", 2022) == 265
    assert value(partial, "dbt_new_jobs", "East Midlands", 2017) == 3714
    assert set(partial.geo_system) == {"name"} and set(partial.frequency) == {"A"}


def test_partial_exclusions(partial: pd.DataFrame) -> None:
    # DERIVED East Midlands 2022-23 rows are not published numbers
    em = partial[partial.geography == "East Midlands"]
    assert em.period.dt.year.tolist() == [2017, 2017]
    # 3-year cumulative Midlands totals and the "North West + North East" aggregate are skipped
    assert not partial.geography.str.contains("+", regex=False).any()
    assert len(partial[partial.geography == "Midlands"]) == 2
    assert len(partial) == 60 - 2 - 2 - 2


def test_measures_registered(partial: pd.DataFrame, tmp_path: Path) -> None:
    registry = load_measures()
    regional = dbt.parse_regional_table(write(tmp_path, SYNTHETIC_MEASURE_COLUMN))
    for m in {*partial.measure, *regional.measure}:
        assert m in registry and registry[m].non_negative


def test_partial_renamed_column(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / PARTIAL).read_text(encoding="utf-8")
    bad = edited(tmp_path, text, lambda ls: [ls[0].replace("source_type", "source"), *ls[1:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, 1, "source_type")


def test_partial_bad_year_and_value(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / PARTIAL).read_text(encoding="utf-8")
    bad = edited(tmp_path, text, lambda ls: [*ls[:4], ls[4].replace("2019-20,", "2019-21,", 1), *ls[5:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, 5, "financial_year")
    bad = edited(tmp_path, text, lambda ls: [*ls[:4], ls[4].replace(",1852,", ",1852?,", 1), *ls[5:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, 5, "value")


def test_partial_duplicate_and_negative(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / PARTIAL).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    bad = edited(tmp_path, text, lambda ls: [*ls, ls[1]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, len(lines) + 1, "geography")
    bad = edited(tmp_path, text, lambda ls: [*ls[:1], ls[1].replace(",1782,", ",-1782,", 1), *ls[2:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, 2, "value")


def test_partial_truncated(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / PARTIAL).read_text(encoding="utf-8")
    bad = edited(tmp_path, text, lambda ls: [*ls[:-1], ls[-1][:30]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_transcribed_partial(bad)
    assert_ingest_error(exc, bad, len(text.splitlines()), "measure")


# --- the regional table layout (SYNTHETIC files) -------------------------------------------------


def test_regional_table_synthetic(tmp_path: Path) -> None:
    df = dbt.parse_regional_table(write(tmp_path, SYNTHETIC_TABLE))
    assert set(df.measure) == {"dbt_fdi_projects"}
    assert value(df, "dbt_fdi_projects", "East Midlands", 2022) == 84  # "[note 3]" stripped, 2022-23 -> 2022
    assert value(df, "dbt_fdi_projects", "London", 2020) == 1040  # thousands separator
    assert value(df, "dbt_fdi_projects", "United Kingdom", 2024) == 1375  # "Total" row
    assert df[(df.geography == "Scotland")].period.dt.year.tolist() == [2021, 2022, 2023, 2024]  # [c] dropped
    assert "Multi-region" not in set(df.geography)
    assert sorted(df.geography.unique()) == [
        "East Midlands",
        "London",
        "Scotland",
        "United Kingdom",
        "West Midlands",
    ]
    assert df.loc[df.geography == "East Midlands", "line"].unique().tolist() == [5]
    assert set(df.geo_system) == {"name"} and set(df.frequency) == {"A"}


def test_regional_table_measure_column(tmp_path: Path) -> None:
    df = dbt.parse_regional_table(write(tmp_path, SYNTHETIC_MEASURE_COLUMN))
    assert value(df, "dbt_new_jobs", "West Midlands", 2022) == 8252
    assert value(df, "dbt_safeguarded_jobs", "West Midlands", 2022) == 1020
    assert value(df, "dbt_new_jobs", "United Kingdom", 2021) == 84759
    assert len(df[df.measure == "dbt_safeguarded_jobs"]) == 1


def test_regional_truncated(tmp_path: Path) -> None:
    bad = edited(tmp_path, SYNTHETIC_TABLE, lambda ls: [*ls[:7], ls[7][:18]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 8, "2023-24")  # first column the cut-off row lacks


def test_regional_no_measure(tmp_path: Path) -> None:
    bad = edited(tmp_path, SYNTHETIC_TABLE, lambda ls: ["Table 4,,,,,,\n", *ls[1:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert "which measure" in str(exc.value) and exc.value.line == 1


def test_regional_unexpected_column(tmp_path: Path) -> None:
    bad = edited(tmp_path, SYNTHETIC_TABLE, lambda ls: [*ls[:3], ls[3].replace("2023-24", "Year 4"), *ls[4:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 4, "Year 4")


def test_regional_non_numeric(tmp_path: Path) -> None:
    bad = edited(
        tmp_path, SYNTHETIC_TABLE, lambda ls: [*ls[:5], ls[5].replace(",143,", ",about 143,"), *ls[6:]]
    )
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 6, "2021-22")


def test_regional_duplicate_region(tmp_path: Path) -> None:
    bad = edited(tmp_path, SYNTHETIC_TABLE, lambda ls: [*ls[:6], ls[5], *ls[6:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 7, "UK region")


def test_regional_years_out_of_order(tmp_path: Path) -> None:
    bad = edited(
        tmp_path,
        SYNTHETIC_TABLE,
        lambda ls: [*ls[:3], ls[3].replace("2020-21,2021-22", "2021-22,2020-21"), *ls[4:]],
    )
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 4, "2020-21")


def test_regional_negative_count(tmp_path: Path) -> None:
    bad = edited(tmp_path, SYNTHETIC_TABLE, lambda ls: [*ls[:5], ls[5].replace(",181,", ",-181,"), *ls[6:]])
    with pytest.raises(IngestError) as exc:
        dbt.parse_regional_table(bad)
    assert_ingest_error(exc, bad, 6, "2022-23 [note 2]")


# --- the DIT supplement (same columns, parsed by the same function) --------------------------------

SUPPLEMENT = "dbt_fdi_projects/dit_inward_investment_results_transcribed_supplement.csv"


@pytest.fixture(scope="module")
def supplement(shared_data: Path) -> pd.DataFrame:
    return dbt.parse_transcribed_partial(shared_data / SUPPLEMENT)


def test_supplement_2017_18_regional_table(supplement: pd.DataFrame) -> None:
    """SOURCES.md: regions sum to 2,011 projects / 60,939 jobs; + 61 multi-location projects = UK 2,072."""
    fy17 = supplement[supplement.period == pd.Timestamp(2017, 1, 1)]
    regions = fy17[fy17.geography != "United Kingdom"]
    assert regions.geography.nunique() == 12
    assert regions.loc[regions.measure == "dbt_fdi_projects", "value"].sum() == 2011
    assert regions.loc[regions.measure == "dbt_new_jobs", "value"].sum() == 60939
    assert value(supplement, "dbt_fdi_projects", "United Kingdom", 2017) == 2072 == 2011 + 61
    assert value(supplement, "dbt_new_jobs", "United Kingdom", 2017) == 75968
    assert value(supplement, "dbt_fdi_projects", "West Midlands", 2017) == 171
    assert value(supplement, "dbt_fdi_projects", "West Midlands", 2019) == 157
    assert value(supplement, "dbt_safeguarded_jobs", "United Kingdom", 2021) == 7765
    assert len(supplement) == 44  # no DERIVED, cumulative or combined-area rows in this file


def test_supplement_agrees_with_the_partial_file_where_they_overlap(
    supplement: pd.DataFrame, partial: pd.DataFrame
) -> None:
    """East Midlands 2017-18 is in both (parliamentary answer and the DIT table): same numbers."""
    both = supplement.merge(partial, on=["measure", "geography", "period"])
    assert len(both) == 2 and (both.value_x == both.value_y).all()


def test_supplement_derived_row_is_excluded(shared_data: Path, tmp_path: Path) -> None:
    path = copy_source(shared_data / "dbt_fdi_projects", tmp_path, Path(SUPPLEMENT).name)
    edit_line(path, 10, lambda s: s.replace('"gov.uk', '"DERIVED from gov.uk', 1))
    df = dbt.parse_transcribed_partial(path)
    assert len(df) == 43 and 10 not in set(df.line)
