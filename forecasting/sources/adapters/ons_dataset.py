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

``parse_qna``: the QNA full dataset (releases 2023-03-31, 2023-12-22, 2024-03-28).

``parse_cxnv``: the ONS Business investment dataset (``cxnv.csv``, verbatim, 10 releases Mar 2023 -
Mar 2024) by CDID (``CXNV_SERIES``: NPEL, NPEK required; GAN8/GAO4 exc. exceptional transfer; NPQT/NPQS
total GFCF; DLWF general government, L636 private dwellings, DSI3/DSI5 manufacturing). The same table
maps the long-layout releases (``ons_long.py``).

Reference year: a chained-volume series equals its current-price pair (``CdidSeries.cp_pair``) in its
reference year only, so each file's reference year is read off the numbers
(``forecasting.units.chain_reference_years``); an index's is the year it averages 100. The canonical
rows carry it in ``reference_year`` (the warehouse never serves a series mixing reference years). Two
years named by a file's pairs means a rebased series spliced onto an old one: refused.

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

from forecasting.reference.measures import get_measure
from forecasting.sources.canonical import (
    check_row_count,
    check_series_order,
    finish_frame,
    read_csv,
    record_lines,
    to_number,
)
from forecasting.sources.errors import IngestError
from forecasting.units import chain_reference_years, index_reference_year

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
    # chained-volume series: the CDID of its current-price counterpart (the file's reference year is the
    # year in which the two agree, see ``forecasting.units.chain_reference_years``)
    cp_pair: str = ""


QNA_SERIES: dict[str, CdidSeries] = {
    "NPEL": CdidSeries({"Q": "business_investment_cvm_sa"}, True, "gbp_million", cp_pair="NPEK"),
    "NPEK": CdidSeries({"Q": "business_investment_cp_sa"}, False, "gbp_million"),
    "NPQT": CdidSeries({"Q": "gfcf_total_cvm_sa"}, True, "gbp_million", cp_pair="NPQS"),
    "NPQS": CdidSeries({"Q": "gfcf_total_cp_sa"}, False, "gbp_million"),
    "YBHA": CdidSeries({"Q": "uk_gdp_cp_sa", "A": "uk_gdp_cp_annual"}, False, "gbp_million"),
    "ABMI": CdidSeries({"Q": "uk_gdp_cvm_sa"}, False, "gbp_million", cp_pair="YBHA"),
    "YBGB": CdidSeries({"Q": "gdp_deflator", "A": "gdp_deflator_annual"}, False, "index"),
}
# The ONS Business investment dataset (CXNV): the headline series the project models, by CDID. One
# definition for both layouts (the verbatim ``cxnv.csv`` and the long parquet, ``ons_long.py``).
CXNV_SERIES: dict[str, CdidSeries] = {
    "NPEL": CdidSeries({"Q": "business_investment_cvm_sa"}, True, "gbp_million", cp_pair="NPEK"),
    "NPEK": CdidSeries({"Q": "business_investment_cp_sa"}, True, "gbp_million"),
    "GAN8": CdidSeries(
        {"Q": "business_investment_exc_transfer_cvm_sa"}, False, "gbp_million", cp_pair="GAO4"
    ),
    "GAO4": CdidSeries({"Q": "business_investment_exc_transfer_cp_sa"}, False, "gbp_million"),
    "NPQT": CdidSeries({"Q": "gfcf_total_cvm_sa"}, False, "gbp_million", cp_pair="NPQS"),
    "NPQS": CdidSeries({"Q": "gfcf_total_cp_sa"}, False, "gbp_million"),
    "DLWF": CdidSeries({"Q": "gfcf_general_government_cvm_sa"}, False, "gbp_million"),
    "L636": CdidSeries({"Q": "gfcf_private_dwellings_cvm_sa"}, False, "gbp_million"),
    "DSI3": CdidSeries({"Q": "gfcf_manufacturing_cvm_sa"}, False, "gbp_million", cp_pair="DSI5"),
    "DSI5": CdidSeries({"Q": "gfcf_manufacturing_cp_sa"}, False, "gbp_million"),
}
# ONS monthly GDP (MGDP): ECY2, monthly GVA at basic prices, chained-volume index, SA.
MGDP_SERIES: dict[str, CdidSeries] = {
    "ECY2": CdidSeries({"M": "uk_gva_index_m"}, True, "index"),
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
    periods = [p[0] for p in parsed[first:]]
    freqs = np.array([p[1] for p in parsed[first:]])
    data_lines = lines[first:]
    unit_line = int(lines[meta["unit"]]) if "unit" in meta else cdid_line
    parts = []
    units: dict[str, tuple[str, str]] = {}
    for code in present:
        j = column_of[code]
        units[code] = (meta_cell("preunit", j), meta_cell("unit", j))
        values = to_number(df.iloc[first:, j], path, code, lines=data_lines).to_numpy()
        parts.append(
            pd.DataFrame(
                {"code": code, "frequency": freqs, "period": periods, "value": values, "line": data_lines}
            )
        )
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return cdid_frame(
        raw, path, series, units=units, header_line=cdid_line, unit_line=unit_line, key_column=PERIOD_COLUMN
    )


def cdid_frame(
    raw: pd.DataFrame,
    path: Path,
    series: dict[str, CdidSeries],
    *,
    units: dict[str, tuple[str, str]],
    header_line: int,
    unit_line: int,
    key_column: str,
) -> pd.DataFrame:
    """Rows of CDIDs (``code, frequency, period, value, line``) -> canonical UK rows of the mapped series.

    Shared by every ONS layout that names series by CDID (the wide CSV here, the long parquet in
    ``ons_long.py``) so a CDID means one measure everywhere. Checks: required CDIDs present, each
    CDID's unit agrees with its kind, and the file's reference years (chained volumes: the year CVM =
    CP; indices: the year averaging 100) are unambiguous; they travel in the ``reference_year`` column.
    """
    present = [c for c in series if c in units]
    for code, spec in series.items():
        if spec.required and code not in units:
            raise IngestError(
                path,
                f"required series {code} is missing",
                line=header_line,
                column=code,
                expected=f"a series with CDID {code}",
            )
    if not present:
        raise IngestError(
            path,
            "none of the mapped series is present",
            line=header_line,
            column="CDID",
            expected=f"a CDID among {sorted(series)}",
        )
    for code in present:
        pre_unit, unit = units[code]
        if not _unit_ok(series[code].unit, pre_unit, unit):
            raise IngestError(
                path,
                f"series {code} has unit {(pre_unit + ' ' + unit).strip()!r}",
                line=unit_line,
                column=code,
                expected="£ million" if series[code].unit == "gbp_million" else "an index",
            )
    chain_year = chain_reference_year(raw, path, series, present)
    parts = []
    for code in present:
        spec = series[code]
        rows = raw[raw["code"] == code]
        for freq, measure in spec.measures.items():
            keep = rows[rows["frequency"] == freq]
            ref = _reference_year_for(measure, code, keep, freq, chain_year, path)
            parts.append(
                pd.DataFrame(
                    {
                        "measure": measure,
                        "geography": "UK",
                        "geo_system": "canonical",
                        "cluster": "all",
                        "frequency": freq,
                        "period": keep["period"].to_numpy(),
                        "value": keep["value"].to_numpy(dtype=float),
                        "line": keep["line"].to_numpy(dtype=int),
                        "value_column": code,
                        "reference_year": ref,
                    }
                )
            )
    rows = pd.concat(parts, ignore_index=True)
    check_series_order(rows, path, by=("measure",))
    return finish_frame(rows, path, key_column=key_column)


def _quarterly(raw: pd.DataFrame, code: str) -> pd.Series:
    q = raw[(raw["code"] == code) & (raw["frequency"] == "Q")].dropna(subset=["value"])
    return pd.Series(q["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(q["period"]))


def chain_reference_year(
    raw: pd.DataFrame, path: Path, series: dict[str, CdidSeries], present: list[str]
) -> int | None:
    """The one reference year of the file's chained-volume series, read off the CVM/CP pairs it holds.

    Each pair names the years in which volume and value agree; the file's reference year is the one
    year named. A pair may name none (ONS occasionally publishes a CP revision not yet carried into
    the CVM, e.g. NPEL/NPEK in March 2023, £903m apart in 2019) as long as another pair names it; two
    years named means levels of different reference years were spliced together, which is refused.
    """
    found: dict[str, list[int]] = {}
    for code in present:
        pair = series[code].cp_pair
        if pair and pair in present:
            found[code] = chain_reference_years(_quarterly(raw, code), _quarterly(raw, pair), "Q")
    if not found:
        return None
    years = sorted({y for ys in found.values() for y in ys})
    if len(years) == 1:
        return years[0]
    code = next((c for c, ys in found.items() if len(ys) > 1), next(iter(found)))
    line = int(raw.loc[raw["code"] == code, "line"].min())
    if not years:
        raise IngestError(
            path,
            f"no chained-volume series equals its current-price pair in any year ({sorted(found)}): cannot "
            "tell the reference year",
            line=line,
            column=code,
            expected="one year in which a CVM series' total equals its CP total (its reference year)",
        )
    raise IngestError(
        path,
        f"chained-volume series match their current-price pairs in {years} ({found}): levels of different "
        "reference years are spliced together (a rebased series on an old one)",
        line=line,
        column=code,
        expected="one reference year for every chained-volume series of a release",
    )


def _reference_year_for(
    measure: str, code: str, rows: pd.DataFrame, freq: str, chain_year: int | None, path: Path
) -> object:
    """A chained-volume measure gets the file's chain year; an index its own year of 100 (see
    ``forecasting.units.index_reference_year``); others none."""
    m = get_measure(measure)
    if m.price_basis == "chained_volume":
        return chain_year if chain_year is not None else pd.NA
    if m.price_basis == "index" and freq in ("Q", "M", "A") and not rows.empty:
        s = pd.Series(rows["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["period"]))
        year = index_reference_year(s, freq)
        return year if year is not None else pd.NA
    return pd.NA


def parse_qna(path: Path) -> pd.DataFrame:
    """UK business investment, GFCF, GDP (CP and CVM) and the GDP deflator from one QNA release."""
    return _parse_cdid_table(path, QNA_SERIES)


def parse_cxnv(path: Path) -> pd.DataFrame:
    """The headline UK business investment and GFCF series from one verbatim ONS ``cxnv.csv`` release."""
    return _parse_cdid_table(path, CXNV_SERIES)


def parse_cpi(path: Path) -> pd.DataFrame:
    """CPI all items (D7BT) from an ONS multi-series download: annual, quarterly and monthly averages."""
    return _parse_cdid_table(path, CPI_SERIES)
