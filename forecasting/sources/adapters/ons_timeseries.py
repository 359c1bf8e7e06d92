"""ONS time-series downloads: the CXNV business-investment/GFCF wide file and a single-CDID series (YBHA).

All series are UK-wide: ``geography`` "UK", ``geo_system`` "canonical", ``cluster`` "all".

``parse_cxnv`` reads the quarterly wide file (``date`` = "1955 Q1", one column per series) and keeps
these headline series, matched by exact header (anything else in the file is ignored):

==========================================================================  ==========================================
header                                                                      measure
==========================================================================  ==========================================
Gross Fixed Capital Formation: Business Investment: CVM SA: £m              business_investment_cvm_sa
Gross Fixed Capital Formation: Business Investment: CP SA: £m               business_investment_cp_sa
Bus Inv exc. exceptional transfer: CVM SA                                   business_investment_exc_transfer_cvm_sa
Bus Inv exc. exceptional transfer: CP SA                                    business_investment_exc_transfer_cp_sa
Total Gross Fixed Capital Formation CVM SA £m                               gfcf_total_cvm_sa
Total Gross Fixed Capital Formation CP SA £m                                gfcf_total_cp_sa
Gross Fixed Capital Formation:Total General Government P51:CVM SA: £m       gfcf_general_government_cvm_sa
GFCF:Private sector: TOTAL: Dwellings, excluding land: £m: CVM: SA          gfcf_private_dwellings_cvm_sa
Priv Sect & Pub Corps: Total Manufacturing: Total asset: £m: CVM: SA        gfcf_manufacturing_cvm_sa
Priv Sect & Pub Corps: Total Manufacturing: Total asset: £m: CP: SA         gfcf_manufacturing_cp_sa
==========================================================================  ==========================================

All ten headers must be present (a renamed header is an error, not a silently missing series). Blank
cells (most series start in 1997 Q1) are dropped. Quarters must increase down the file.

``parse_ybha`` reads a raw ONS single-series download: metadata rows (``"Title"``, ``"CDID"`` …) then
``period,value`` rows, annual ("1948") then quarterly ("1955 Q1"). The CDID must be YBHA. Annual rows ->
``uk_gdp_cp_annual`` (A), quarterly rows -> ``uk_gdp_cp_sa`` (Q).

``parse_ihys`` reads the same layout for IHYS (GDP deflator, % change on a year earlier; annual rows
only) -> ``gdp_deflator_growth`` (A). The pinned copy was rebuilt from a text copy (lower trust).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import (
    check_row_count,
    check_series_order,
    finish_frame,
    parse_quarter,
    parse_year,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
    with_column,
)
from forecasting.sources.errors import IngestError

CXNV_SERIES: dict[str, str] = {
    "Gross Fixed Capital Formation: Business Investment: CVM SA: £m": "business_investment_cvm_sa",
    "Gross Fixed Capital Formation: Business Investment: CP SA: £m": "business_investment_cp_sa",
    "Bus Inv exc. exceptional transfer: CVM SA": "business_investment_exc_transfer_cvm_sa",
    "Bus Inv exc. exceptional transfer: CP SA": "business_investment_exc_transfer_cp_sa",
    "Total Gross Fixed Capital Formation CVM SA £m": "gfcf_total_cvm_sa",
    "Total Gross Fixed Capital Formation CP SA £m": "gfcf_total_cp_sa",
    "Gross Fixed Capital Formation:Total General Government P51:CVM SA: £m": "gfcf_general_government_cvm_sa",
    "GFCF:Private sector: TOTAL: Dwellings, excluding land: £m: CVM: SA": "gfcf_private_dwellings_cvm_sa",
    "Priv Sect & Pub Corps: Total Manufacturing: Total asset: £m: CVM: SA": "gfcf_manufacturing_cvm_sa",
    "Priv Sect & Pub Corps: Total Manufacturing: Total asset: £m: CP: SA": "gfcf_manufacturing_cp_sa",
}
YBHA_CDID = "YBHA"
YBHA_MEASURES = {"A": "uk_gdp_cp_annual", "Q": "uk_gdp_cp_sa"}
IHYS_CDID = "IHYS"
IHYS_MEASURES = {"A": "gdp_deflator_growth"}
_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^\d{4}\s*Q[1-4]$")


def _uk(measure: str | pd.Series, frequency: str | pd.Series, period, value, lines) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": measure,
            "geography": "UK",
            "geo_system": "canonical",
            "cluster": "all",
            "frequency": frequency,
            "period": period,
            "value": value,
            "line": lines,
        }
    )


def parse_cxnv(path: Path) -> pd.DataFrame:
    """Headline UK business investment and GFCF series (quarterly, £m)."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, ("date", *CXNV_SERIES), path)
    check_row_count(df, lines, path)
    periods = pd.Series(
        [parse_quarter(t, path, line=int(n), column="date") for t, n in zip(df["date"], lines, strict=True)]
    )
    parts = [
        _uk(
            measure, "Q", periods.to_numpy(), to_number(df[col], path, col, lines=lines).to_numpy(), lines
        ).assign(value_column=col)
        for col, measure in CXNV_SERIES.items()
    ]
    rows = pd.concat(parts, ignore_index=True)
    try:
        check_series_order(rows, path)
    except IngestError as exc:
        raise with_column(exc, "date") from exc
    rows["reference_year"] = _cxnv_reference_year(rows, path)
    return finish_frame(rows, path, key_column="date")


# chained-volume measure -> its current-price pair in the CXNV file (for the reference year)
_CXNV_PAIRS = {
    "business_investment_cvm_sa": "business_investment_cp_sa",
    "business_investment_exc_transfer_cvm_sa": "business_investment_exc_transfer_cp_sa",
    "gfcf_total_cvm_sa": "gfcf_total_cp_sa",
    "gfcf_manufacturing_cvm_sa": "gfcf_manufacturing_cp_sa",
}


def _cxnv_reference_year(rows: pd.DataFrame, path: Path) -> pd.Series:
    """The file's reference year on its chained-volume rows (read off the CVM/CP pairs), NA elsewhere."""
    from forecasting.reference.measures import get_measure
    from forecasting.sources.adapters.ons_dataset import CdidSeries, chain_reference_year

    series = {
        cvm: CdidSeries({"Q": cvm}, True, "gbp_million", cp_pair=cp) for cvm, cp in _CXNV_PAIRS.items()
    } | {cp: CdidSeries({"Q": cp}, True, "gbp_million") for cp in _CXNV_PAIRS.values()}
    raw = rows.rename(columns={"measure": "code"})
    year = chain_reference_year(raw, path, series, list(series))
    chained = rows["measure"].map(lambda m: get_measure(m).price_basis == "chained_volume")
    return pd.Series(pd.array([year if c else pd.NA for c in chained], dtype="Int64"), index=rows.index)


def parse_ybha(path: Path) -> pd.DataFrame:
    """UK GDP at current market prices (YBHA): annual and quarterly rows of one download."""
    return _parse_single_series(path, YBHA_CDID, YBHA_MEASURES)


def parse_ihys(path: Path) -> pd.DataFrame:
    """UK GDP deflator growth on a year earlier (IHYS), annual percent."""
    return _parse_single_series(path, IHYS_CDID, IHYS_MEASURES)


def _parse_single_series(path: Path, cdid: str, measures: dict[str, str]) -> pd.DataFrame:
    """A single-CDID ONS download; rows of a frequency ``measures`` does not map are an error."""
    path = Path(path)
    # record_lines treats line 1 as a header; here line 1 is the first metadata row.
    lines = np.concatenate([[1], record_lines(path)])
    df = read_csv(path, header=None, names=["label", "value"])
    check_row_count(df, lines, path)
    label = df["label"].str.strip()
    is_data = label.str.match(_YEAR) | label.str.match(_QUARTER)
    if not is_data.any():
        raise IngestError(path, "no data rows", expected="rows like '1948',value or '1955 Q1',value")
    first = int(np.flatnonzero(is_data.to_numpy())[0])
    meta = dict(zip(label.iloc[:first], df["value"].iloc[:first].str.strip(), strict=True))
    if meta.get("CDID") != cdid:
        raise IngestError(
            path,
            "unexpected series",
            line=1 + next((i for i, k in enumerate(label.iloc[:first]) if k == "CDID"), 0),
            column="CDID",
            expected=cdid,
            got=meta.get("CDID"),
        )
    data, data_lines = df.iloc[first:], lines[first:]
    annual = data["label"].str.strip().str.match(_YEAR).to_numpy()
    periods, freqs = [], []
    for text, n, is_year in zip(data["label"], data_lines, annual, strict=True):
        if is_year:
            periods.append(parse_year(text, path, line=int(n), column="period"))
            freqs.append("A")
        else:
            periods.append(parse_quarter(text, path, line=int(n), column="period"))
            freqs.append("Q")
    freq = pd.Series(freqs)
    reject_first(
        ~freq.isin(list(measures)), path, f"{cdid} is published here as {sorted(measures)} only",
        lines=data_lines, column="period", expected="a year like 1949" if list(measures) == ["A"] else None,
        got=data["label"],
    )  # fmt: skip
    rows = _uk(
        freq.map(measures).to_numpy(),
        freq.to_numpy(),
        periods,
        to_number(data["value"], path, "value", lines=data_lines).to_numpy(),
        data_lines,
    )
    check_series_order(rows, path)
    return finish_frame(rows, path, key_column="period", value_column="value")
