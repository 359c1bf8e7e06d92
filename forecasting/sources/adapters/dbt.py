"""DBT (formerly DIT/UKTI) inward investment results: FDI projects, new jobs and safeguarded jobs.

Years are April-March financial years: "2022-23" is stored as the annual period labelled 2022 (period
start 2022-01-01, frequency A); the measure descriptions say the year is the financial year starting
then. Geographies are names as published (``geo_system`` "name", e.g. "United Kingdom", "West Midlands",
"Midlands").

``parse_transcribed_partial`` reads ``dbt_inward_investment_results_transcribed_partial.csv``
(``financial_year, geography, geography_level, measure, value, source_url, source_type, note``), a
hand transcription of published figures. It excludes:

* rows whose ``source_type`` says DERIVED (e.g. East Midlands 2022-23 = Midlands total minus West
  Midlands): they are not published numbers;
* multi-year cumulative rows ("2020-21 to 2022-23 (3 years)"): not an annual observation;
* combined areas outside the geography hierarchy ("North West + North East"). The published
  "Midlands (East Midlands + West Midlands)" is stored as "Midlands".

``parse_regional_table`` reads a CSV export of DBT's regional results table as published on gov.uk:
optional title/notes lines, then a header row whose first column holds the region ("UK region",
"Region" …) and whose other columns are financial years ("2003-04" or "2003 to 2004", note markers like
"[note 2]" allowed) in increasing order; optionally a "Measure" column. Which measure the table holds
comes from the Measure column or else from the title lines ("FDI projects" / "new jobs" / "safeguarded
jobs"). Values may use thousands separators; "[c]", "[x]", "[z]", "..", "-" are suppressed/blank and
dropped. "Total"/"UK total" rows are stored as "United Kingdom"; rows for projects without a single
region ("Multi-region", "Multiple regions", "Unknown", "Not specified") are skipped; columns such as
"% change" are ignored.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from forecasting.sources.canonical import (
    check_order,
    check_row_count,
    finish_frame,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

PARTIAL_COLUMNS = ("financial_year", "geography", "geography_level", "measure", "value", "source_type")
PARTIAL_MEASURES: dict[str, str] = {
    "fdi_projects": "dbt_fdi_projects",
    "fdi_projects_dbt_supported": "dbt_fdi_projects_dbt_supported",
    "fdi_projects_without_dbt_support": "dbt_fdi_projects_without_dbt_support",
    "new_jobs": "dbt_new_jobs",
    "safeguarded_jobs": "dbt_safeguarded_jobs",
}
NAME_ALIASES = {"Midlands (East Midlands + West Midlands)": "Midlands"}
TOTAL_NAMES = {"total", "uk total", "united kingdom", "uk", "total uk"}
NOT_A_REGION = {
    "multi-region",
    "multi region",
    "multi-regional",
    "multiple regions",
    "multi-sited",
    "unknown",
    "unknown region",
    "not known",
    "not specified",
}
BLANKS = ("", "..", ":", "x", "c", "[c]", "[x]", "[z]", "[low]", "-", "NA", "na", "n/a")

_FY = re.compile(r"^(\d{4})\s*(?:-|/|to)\s*(\d{2}|\d{4})$")
_CUMULATIVE = re.compile(r"^\d{4}-\d{2} to \d{4}-\d{2}\b")
_NOTE = re.compile(r"\s*\[(?:note\s*\d+|[a-z]{1,3})\]\s*$", re.IGNORECASE)


def financial_year(text: str) -> pd.Timestamp | None:
    """'2022-23', '2022/23' or '2022 to 2023' -> 2022-01-01; None if not a single financial year."""
    m = _FY.match(_NOTE.sub("", str(text)).strip())
    if not m:
        return None
    start, end = int(m.group(1)), m.group(2)
    if int(end) != (start + 1 if len(end) == 4 else (start + 1) % 100):
        return None
    return pd.Timestamp(start, 1, 1)


def _fy_or_error(text: str, path: Path, line: int, column: str) -> pd.Timestamp:
    ts = financial_year(text)
    if ts is None:
        raise IngestError(
            path,
            "unparseable financial year",
            line=line,
            column=column,
            expected="a financial year like 2022-23",
            got=text,
        )
    return ts


def parse_transcribed_partial(path: Path) -> pd.DataFrame:
    """Hand-transcribed published DBT figures (UK totals and some regions); DERIVED rows excluded."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, PARTIAL_COLUMNS, path)
    check_row_count(df, lines, path)
    df = df.apply(lambda s: s.str.strip())

    keep = ~df["source_type"].str.upper().str.contains("DERIVED", regex=False)
    keep &= ~df["financial_year"].str.match(_CUMULATIVE)
    geography = df["geography"].replace(NAME_ALIASES)
    keep &= ~geography.str.contains(" + ", regex=False)
    keep = keep.to_numpy()
    df, lines, geography = df.loc[keep], lines[keep], geography[keep]

    reject_first(
        ~df["measure"].isin(list(PARTIAL_MEASURES)), path, "unknown measure", lines=lines, column="measure",
        expected=f"one of {sorted(PARTIAL_MEASURES)}", got=df["measure"],
    )  # fmt: skip
    reject_first(
        geography == "", path, "blank geography", lines=lines, column="geography", expected="a place name"
    )
    rows = pd.DataFrame(
        {
            "measure": df["measure"].map(PARTIAL_MEASURES).to_numpy(),
            "geography": geography.to_numpy(),
            "geo_system": "name",
            "cluster": "all",
            "frequency": "A",
            "period": [
                _fy_or_error(t, path, int(n), "financial_year")
                for t, n in zip(df["financial_year"], lines, strict=True)
            ],
            "value": to_number(df["value"], path, "value", lines=lines, thousands=True).to_numpy(),
            "line": lines,
        }
    )
    return finish_frame(rows, path, key_column="geography", value_column="value")


def _measure_from_text(text: str) -> str | None:
    t = text.lower()
    if "safeguarded" in t and "new jobs" in t:
        return None
    if "safeguarded" in t:
        return "dbt_safeguarded_jobs"
    if "new jobs" in t or t.strip() == "jobs":
        return "dbt_new_jobs"
    if "project" in t:
        return "dbt_fdi_projects"
    return None


def _find_header(path: Path) -> tuple[int, list[str]]:
    """0-based index of the header row (first row with financial-year cells) and the title lines above it."""
    preamble: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if sum(financial_year(c) is not None for c in row[1:]) >= 1:
                    return i, preamble
                preamble.append(" ".join(c for c in row if c.strip()))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(path, f"cannot read file ({exc})", expected="a UTF-8 CSV") from exc
    raise IngestError(
        path,
        "no header row with financial-year columns",
        line=1,
        expected="a header like 'UK region,2003-04,2004-05,…'",
    )


def parse_regional_table(path: Path) -> pd.DataFrame:
    """DBT regional table: region rows × financial-year columns, one table per measure (or a Measure column)."""
    path = Path(path)
    skip, preamble = _find_header(path)
    header_line = skip + 1
    lines = record_lines(path, skip=skip)
    df = read_csv(path, skiprows=skip)
    check_row_count(df, lines, path)
    df = df.apply(lambda s: s.str.strip())
    columns = [str(c) for c in df.columns]
    region_col = columns[0]
    measure_col = next((c for c in columns[1:] if c.strip().lower() == "measure"), None)
    years: list[str] = []
    for c in columns[1:]:
        if c == measure_col:
            continue
        if financial_year(c) is not None:
            years.append(c)
        elif "change" in c.lower() or "%" in c or (c.startswith("Unnamed") and (df[c] == "").all()):
            continue
        else:
            raise IngestError(
                path,
                f"unexpected column {c!r}",
                line=header_line,
                column=c,
                expected="financial-year columns like 2003-04 (or a '% change' column)",
            )
    starts = [financial_year(c).strftime("%Y") for c in years]
    check_order(starts, path, what="financial-year columns", line=header_line, columns=years)

    if measure_col is None:
        measure = _measure_from_text(" ".join(preamble))
        if measure is None:
            raise IngestError(
                path,
                "cannot tell which measure the table holds",
                line=1,
                expected="a title naming 'FDI projects', 'new jobs' or 'safeguarded jobs', or a Measure column",
            )
        measures = pd.Series(measure, index=df.index)
    else:
        measures = df[measure_col].map(_measure_from_text)

    names = df[region_col].str.replace(_NOTE, "", regex=True).str.strip()
    has_value = (df[years] != "").any(axis=1)
    keep = (has_value & ~names.str.lower().isin(NOT_A_REGION)).to_numpy()
    df, lines, names, measures = df.loc[keep], lines[keep], names[keep], measures[keep]
    if measure_col is not None:
        reject_first(
            measures.isna(), path, "unknown measure", lines=lines, column=measure_col,
            expected="'FDI projects', 'New jobs' or 'Safeguarded jobs'", got=df[measure_col],
        )  # fmt: skip
    reject_first(
        names == "", path, "value row without a region name", lines=lines, column=region_col,
        expected="a region name",
    )  # fmt: skip
    geography = names.where(~names.str.lower().isin(TOTAL_NAMES), "United Kingdom")

    parts = [
        pd.DataFrame(
            {
                "measure": measures.to_numpy(),
                "geography": geography.to_numpy(),
                "geo_system": "name",
                "cluster": "all",
                "frequency": "A",
                "period": financial_year(col),
                "value": to_number(
                    df[col], path, col, lines=lines, thousands=True, blank_tokens=BLANKS
                ).to_numpy(),
                "line": lines,
                "value_column": col,
            }
        )
        for col in years
    ]
    rows = pd.concat(parts, ignore_index=True).sort_values(["line", "period"], kind="stable")
    return finish_frame(rows, path, key_column=region_col)
