"""ONS dataset downloads with a CDID header row: the full QNA dataset and multi-series downloads.

Layout (``qna.csv`` and the ONS "download multiple series" CSV): column 1 holds row labels, every other
column is one ONS series. The first rows are metadata, one per label: ``Title``, ``CDID``, optionally
``Source dataset ID``, ``PreUnit``, ``Unit``, ``Release Date``, ``Next release``, ``Important Notes``
(capitalisation varies between downloads). The ``CDID`` row is the header. Data rows follow, labelled
``1946`` (annual), ``1946 Q1`` (quarterly) or ``1988 JAN`` (monthly); blank cells are "no data".

Only the CDIDs mapped below are read (a QNA release has ~1,000 others). All series are UK-wide
(``geography`` "UK", ``geo_system`` "canonical", ``cluster`` "all"). A mapped CDID's ``Unit`` row must
agree with the measure (e.g. £m series say "m", "£m" or nothing; an index says "Index …"), so a CDID
that changed meaning is an error rather than a silently mislabelled series.

``parse_qna``: the QNA full dataset (two releases pinned: 2023-03-31 and 2023-12-22).

====  =========================================================  =================================
CDID  series                                                     measure (frequency)
====  =========================================================  =================================
NPEL  business investment, CVM SA, £m (required)                 business_investment_cvm_sa (Q)
NPEK  business investment, CP SA, £m                             business_investment_cp_sa (Q)
NPQT  total GFCF, CVM SA, £m (required)                          gfcf_total_cvm_sa (Q)
NPQS  total GFCF, CP SA, £m                                      gfcf_total_cp_sa (Q)
YBHA  GDP at market prices, CP SA, £m                            uk_gdp_cp_sa (Q), uk_gdp_cp_annual (A)
ABMI  GDP, CVM SA, £m                                            uk_gdp_cvm_sa (Q)
YBGB  GDP implied deflator, SA, index                            gdp_deflator (Q), gdp_deflator_annual (A)
====  =========================================================  =================================

Rows of a frequency not listed for a CDID (e.g. NPEL's annual rows) are ignored. A required CDID missing
from a release is an error; an optional one is skipped.

``parse_cpi``: a multi-series download holding D7BT (CPI all items, 2015 = 100; required) ->
``cpi_index`` (A), ``cpi_index_q`` (Q), ``cpi_index_m`` (M); the other CDIDs in the file are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import (
    check_row_count,
    check_series_order,
    finish_frame,
    read_csv,
    record_lines,
    to_number,
)
from forecasting.sources.errors import IngestError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})\s+([A-Za-z]{3})$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
PERIOD_COLUMN = "period"  # how errors name the row-label column (its header cell is "CDID")

# Unit-row texts that agree with a measure kind (lower-cased, stripped)
_GBP_MILLION_UNITS = ("", "m", "£m")
_INDEX_UNIT = re.compile(r"^(index\b.*)?$")


@dataclass(frozen=True)
class CdidSeries:
    """One ONS series to read: its measure per frequency, whether the file must have it, its unit kind."""

    measures: dict[str, str]
    required: bool
    unit: str  # "gbp_million" | "index"


QNA_SERIES: dict[str, CdidSeries] = {
    "NPEL": CdidSeries({"Q": "business_investment_cvm_sa"}, True, "gbp_million"),
    "NPEK": CdidSeries({"Q": "business_investment_cp_sa"}, False, "gbp_million"),
    "NPQT": CdidSeries({"Q": "gfcf_total_cvm_sa"}, True, "gbp_million"),
    "NPQS": CdidSeries({"Q": "gfcf_total_cp_sa"}, False, "gbp_million"),
    "YBHA": CdidSeries({"Q": "uk_gdp_cp_sa", "A": "uk_gdp_cp_annual"}, False, "gbp_million"),
    "ABMI": CdidSeries({"Q": "uk_gdp_cvm_sa"}, False, "gbp_million"),
    "YBGB": CdidSeries({"Q": "gdp_deflator", "A": "gdp_deflator_annual"}, False, "index"),
}
CPI_SERIES: dict[str, CdidSeries] = {
    "D7BT": CdidSeries({"A": "cpi_index", "Q": "cpi_index_q", "M": "cpi_index_m"}, True, "index"),
}


def _period(label: str) -> tuple[pd.Timestamp, str] | None:
    """'1946' -> (1946-01-01, A); '1946 Q2' -> (1946-04-01, Q); '1988 JAN' -> (1988-01-01, M)."""
    t = label.strip()
    if m := _YEAR.match(t):
        return pd.Timestamp(int(m.group(1)), 1, 1), "A"
    if m := _QUARTER.match(t):
        return pd.Timestamp(int(m.group(1)), 3 * int(m.group(2)) - 2, 1), "Q"
    if (m := _MONTH.match(t)) and m.group(2).upper() in _MONTHS:
        return pd.Timestamp(int(m.group(1)), _MONTHS.index(m.group(2).upper()) + 1, 1), "M"
    return None


def _unit_ok(kind: str, pre_unit: str, unit: str) -> bool:
    u = (pre_unit + unit).strip().lower()
    if kind == "gbp_million":
        return u in _GBP_MILLION_UNITS
    return bool(_INDEX_UNIT.match(u)) and not pre_unit.strip()


def _parse_cdid_table(path: Path, series: dict[str, CdidSeries]) -> pd.DataFrame:
    """Metadata rows, the CDID header, then period rows: the mapped series as canonical rows."""
    path = Path(path)
    # record_lines treats line 1 as a header; here line 1 is the Title row (same width as every row).
    lines = np.concatenate([[1], record_lines(path)])
    df = read_csv(path, header=None)
    check_row_count(df, lines, path)
    labels = df[0].str.strip()
    parsed = [_period(t) for t in labels]
    is_data = np.array([p is not None for p in parsed])
    if not is_data.any():
        raise IngestError(
            path,
            "no data rows",
            line=1,
            column=PERIOD_COLUMN,
            expected="rows labelled like 1946, 1946 Q1 or 1988 JAN",
        )
    first = int(np.flatnonzero(is_data)[0])
    meta = {str(k).lower(): i for i, k in enumerate(labels.iloc[:first])}
    if "cdid" not in meta:
        raise IngestError(
            path,
            "no CDID row before the data",
            line=1,
            column=PERIOD_COLUMN,
            expected="a metadata row 'CDID'",
        )
    bad = np.flatnonzero(~is_data[first:])
    if bad.size:
        i = first + int(bad[0])
        raise IngestError(
            path,
            "unparseable period",
            line=int(lines[i]),
            column=PERIOD_COLUMN,
            expected="a period like 1946, 1946 Q1 or 1988 JAN",
            got=df.iloc[i, 0],
        )
    cdid_row = meta["cdid"]
    cdid_line = int(lines[cdid_row])
    cdids = df.iloc[cdid_row].str.strip().tolist()
    column_of: dict[str, int] = {}
    for j, code in enumerate(cdids[1:], start=1):
        if code in column_of and code in series:
            raise IngestError(
                path,
                f"CDID {code} appears twice",
                line=cdid_line,
                column=code,
                expected="one column per CDID",
            )
        column_of.setdefault(code, j)

    def meta_cell(label: str, j: int) -> str:
        return str(df.iloc[meta[label], j]) if label in meta else ""

    present = [c for c in series if c in column_of]
    for code, spec in series.items():
        if spec.required and code not in column_of:
            raise IngestError(
                path,
                f"required series {code} is missing",
                line=cdid_line,
                column=code,
                expected=f"a column with CDID {code}",
            )
    if not present:
        raise IngestError(
            path,
            "none of the mapped series is present",
            line=cdid_line,
            column="CDID",
            expected=f"a CDID among {sorted(series)}",
        )

    periods = [p[0] for p in parsed[first:]]
    freqs = np.array([p[1] for p in parsed[first:]])
    data_lines = lines[first:]
    parts = []
    for code in present:
        spec, j = series[code], column_of[code]
        pre_unit, unit = meta_cell("preunit", j), meta_cell("unit", j)
        if not _unit_ok(spec.unit, pre_unit, unit):
            raise IngestError(
                path,
                f"series {code} has unit {(pre_unit + ' ' + unit).strip()!r}",
                line=int(lines[meta["unit"]]) if "unit" in meta else cdid_line,
                column=code,
                expected="£ million" if spec.unit == "gbp_million" else "an index",
            )
        values = to_number(df.iloc[first:, j], path, code, lines=data_lines).to_numpy()
        for freq, measure in spec.measures.items():
            keep = freqs == freq
            parts.append(
                pd.DataFrame(
                    {
                        "measure": measure,
                        "geography": "UK",
                        "geo_system": "canonical",
                        "cluster": "all",
                        "frequency": freq,
                        "period": [p for p, k in zip(periods, keep, strict=True) if k],
                        "value": values[keep],
                        "line": data_lines[keep],
                        "value_column": code,
                    }
                )
            )
    rows = pd.concat(parts, ignore_index=True)
    check_series_order(rows, path, by=("measure",))
    return finish_frame(rows, path, key_column=PERIOD_COLUMN)


def parse_qna(path: Path) -> pd.DataFrame:
    """UK business investment, GFCF, GDP (CP and CVM) and the GDP deflator from one QNA release."""
    return _parse_cdid_table(path, QNA_SERIES)


def parse_cpi(path: Path) -> pd.DataFrame:
    """CPI all items (D7BT) from an ONS multi-series download: annual, quarterly and monthly averages."""
    return _parse_cdid_table(path, CPI_SERIES)
