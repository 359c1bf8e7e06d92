"""Two-column single-series CSVs: an ISO date column (the period start) and one value column.

This is the layout of a FRED download (``observation_date,EXUSUK``) and of ONS series that a third party
pulled from the ONS API and saved as ``date,value``. Dates are ``YYYY-MM-DD`` period starts: the first
day of a month (monthly) or of a quarter's first month (quarterly); dates increase down the file. Blank
cells, and FRED's ``.`` for "no observation", are dropped. All series here are UK-wide
(``geography`` "UK", ``geo_system`` "canonical", ``cluster`` "all").

``parse_ons_npqt``: ONS CDID NPQT (total GFCF, CVM SA, £m), ``date,value``, quarterly ->
``gfcf_total_cvm_sa`` (Q).

``parse_fred_exusuk``: FRED EXUSUK (US$ per £1, monthly average of the Federal Reserve H.10 noon
buying rates), ``observation_date,EXUSUK`` -> ``usd_per_gbp`` (M).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from forecasting.sources.canonical import (
    check_row_count,
    check_series_order,
    finish_frame,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
    with_column,
)
from forecasting.sources.errors import IngestError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIRST_MONTHS = {"Q": (1, 4, 7, 10), "M": tuple(range(1, 13))}
_BLANKS = ("", ".", "NA", "#N/A")


def _parse_dated(
    path: Path, *, date_column: str, value_column: str, measure: str, frequency: str
) -> pd.DataFrame:
    """The shared reader: strict dates at period starts of ``frequency``, strictly increasing."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, (date_column, value_column), path)
    check_row_count(df, lines, path)
    text = df[date_column].str.strip()
    reject_first(
        ~text.str.match(_DATE), path, "unparseable date", lines=lines, column=date_column,
        expected="a date like 2023-10-01", got=df[date_column],
    )  # fmt: skip
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    reject_first(
        dates.isna(), path, "invalid date", lines=lines, column=date_column,
        expected="a calendar date like 2023-10-01", got=df[date_column],
    )  # fmt: skip
    starts = ", ".join(f"{m:02d}" for m in _FIRST_MONTHS[frequency])
    reject_first(
        (dates.dt.day != 1) | ~dates.dt.month.isin(_FIRST_MONTHS[frequency]), path,
        f"date is not the start of a {'quarter' if frequency == 'Q' else 'month'}", lines=lines,
        column=date_column, expected=f"the first day of month {starts}", got=df[date_column],
    )  # fmt: skip
    rows = pd.DataFrame(
        {
            "measure": measure,
            "geography": "UK",
            "geo_system": "canonical",
            "cluster": "all",
            "frequency": frequency,
            "period": dates.to_numpy(),
            "value": to_number(
                df[value_column], path, value_column, lines=lines, blank_tokens=_BLANKS
            ).to_numpy(),
            "line": lines,
        }
    )
    try:
        check_series_order(rows, path)
    except IngestError as exc:
        raise with_column(exc, date_column) from exc
    return finish_frame(rows, path, key_column=date_column, value_column=value_column)


def parse_ons_npqt(path: Path) -> pd.DataFrame:
    """Total GFCF, chained volume, SA (NPQT), quarterly, from a ``date,value`` copy of the ONS series."""
    return _parse_dated(
        path, date_column="date", value_column="value", measure="gfcf_total_cvm_sa", frequency="Q"
    )


def parse_fred_exusuk(path: Path) -> pd.DataFrame:
    """US dollars per pound (FRED EXUSUK), monthly averages."""
    return _parse_dated(
        path, date_column="observation_date", value_column="EXUSUK", measure="usd_per_gbp", frequency="M"
    )
