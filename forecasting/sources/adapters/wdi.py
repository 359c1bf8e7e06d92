"""World Bank WDI wide CSV (``API_<indicator>_DS2_*``): one indicator, every economy and aggregate.

Layout: ``Country Name, Country Code, Indicator Name, Indicator Code, 1960, 1961, …`` and usually a
trailing empty column (``Unnamed: N`` once read). The full API download has 4 metadata lines
(``"Data Source"…``, ``"Last Updated Date"…`` and blank lines) before the header; subset files cut from
it may have none, so the header is found by looking for ``Country Name``. Line numbers are real file
lines (the header is line 5 in the full download).

Every row must carry the parser's indicator; each economy or aggregate in ``Country Code`` becomes a
series (``geo_system`` ``iso3``; World Bank aggregate codes such as ``WLD``, ``EUU`` included). Blank
cells are "no data" and dropped.

* ``parse_wdi``: ``BX.KLT.DINV.CD.WD`` -> ``fdi_net_inflows_usd`` (FDI net inflows, BoP, current US$;
  annual, can be negative).
* ``parse_exchange_rate``: ``PA.NUS.FCRF`` -> ``exchange_rate_lcu_per_usd`` (official exchange rate,
  local currency units per US$, period average; annual, never negative). The GBR row is £ per US$.
  Aggregates publish rates only where they share a currency (e.g. ``EMU`` euro area); others are blank.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from forecasting.sources.canonical import (
    check_order,
    check_row_count,
    finish_frame,
    parse_year,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

INDICATOR = "BX.KLT.DINV.CD.WD"
MEASURE = "fdi_net_inflows_usd"
FX_INDICATOR = "PA.NUS.FCRF"
FX_MEASURE = "exchange_rate_lcu_per_usd"
ID_COLUMNS = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")
_SCAN_LINES = 20


def _header_index(path: Path) -> int:
    """0-based index of the header line (the one starting with Country Name)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if row and row[0].strip() == "Country Name":
                    return i
                if i >= _SCAN_LINES:
                    break
    except (UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(path, f"cannot read file ({exc})", expected="a UTF-8 CSV") from exc
    raise IngestError(
        path,
        "no header row found",
        line=1,
        column="Country Name",
        expected=f"a header row starting with 'Country Name' within the first {_SCAN_LINES} lines",
    )


def parse_wdi(path: Path) -> pd.DataFrame:
    """FDI net inflows (current US$) per economy and year."""
    return _parse_indicator(path, INDICATOR, MEASURE)


def parse_exchange_rate(path: Path) -> pd.DataFrame:
    """Official exchange rate (local currency per US$, annual average) per economy and year."""
    return _parse_indicator(path, FX_INDICATOR, FX_MEASURE)


def _parse_indicator(path: Path, indicator: str, measure: str) -> pd.DataFrame:
    """Turn the wide year columns of one indicator into annual observations per economy."""
    path = Path(path)
    skip = _header_index(path)
    lines = record_lines(path, skip=skip)
    df = read_csv(path, skiprows=skip)
    header_line = skip + 1
    require_columns(df, ID_COLUMNS, path)
    check_row_count(df, lines, path)

    extra = [c for c in df.columns if c not in ID_COLUMNS]
    unnamed = [c for c in extra if str(c).startswith("Unnamed")]
    for c in unnamed:
        reject_first(
            df[c].str.strip() != "", path, "value in a column without a header", lines=lines,
            column=str(c), expected="an empty trailing column", got=df[c],
        )  # fmt: skip
    years = [c for c in extra if c not in unnamed]
    if not years:
        raise IngestError(path, "no year columns", line=header_line, expected="year columns like 1960 … 2022")
    periods = {c: parse_year(c, path, line=header_line, column=c) for c in years}
    check_order(years, path, what="year columns", line=header_line)

    reject_first(
        df["Indicator Code"].str.strip() != indicator, path, "unexpected indicator", lines=lines,
        column="Indicator Code", expected=indicator, got=df["Indicator Code"],
    )  # fmt: skip
    geo = df["Country Code"].str.strip()
    reject_first(
        ~geo.str.fullmatch(r"[A-Z0-9]{3}"), path, "bad country code", lines=lines, column="Country Code",
        expected="a 3-character World Bank code like GBR", got=df["Country Code"],
    )  # fmt: skip

    parts = []
    for col in years:
        parts.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "geography": geo.to_numpy(),
                    "geo_system": "iso3",
                    "cluster": "all",
                    "frequency": "A",
                    "period": periods[col],
                    "value": to_number(df[col], path, col, lines=lines).to_numpy(),
                    "line": lines,
                    "value_column": col,
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True).sort_values(["line", "period"], kind="stable")
    return finish_frame(rows, path, key_column="Country Code")
