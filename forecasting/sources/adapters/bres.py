"""BRES (Business Register and Employment Survey) by ITL2 and UK Business Counts (Nomis extracts).

Long layout ``DATE, GEOGRAPHY_NAME, GEOGRAPHY_CODE, INDUSTRY_NAME, INDUSTRY_CODE, COUNT`` (codes read as
strings so SIC leading zeros survive), geography = NUTS 2016 ITL2 codes (``UKG3`` = ``TLG3``).

* ``parse_bres``: which BRES measure a file holds is not in its columns, so it is read from the name:
  ``*employment*`` -> ``bres_employment``, ``*fulltime_employees*`` -> ``bres_ft_employees``; SIC 2-digit
  and 5-digit codes -> cluster ``sic-<code>``. The sections file (``DATE, GEOGRAPHY_NAME, SIC_SECTION_NAME,
  COUNT, SIC_SECTION_CODE``, no geography code) is detected by its columns. Its sections add up exactly to
  ``itl2_totalFTjobcounts.csv`` (full-time jobs), not to BRES employment, so it is emitted as ``ft_jobs``
  by section (``sic-<letter>``).
* ``parse_business_counts``: enterprises by SIC 5-digit x employment size band, Great Britain
  (``K03000001`` -> ``GB``). Bands are summed per SIC subclass -> ``business_count_enterprises``, and the
  250+ bands (250-499, 500-999, 1000+) -> ``business_count_enterprises_250plus``.

Files without geography codes are mapped name -> NUTS 2016 code with ``ITL2_NAME_TO_NUTS2016``, the
(name, code) pairs of the BRES 2-digit extract itself (same Nomis names; "West Midlands" here is the ITL2
metropolitan county UKG3, not the ITL1 region, which is why names are not passed on as geographies).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import check_unique, read_csv, require_columns, to_number
from forecasting.sources.errors import IngestError

OUT_COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]
KEYS = ["measure", "geography", "cluster", "frequency", "period"]

ITL2_NAME_TO_NUTS2016: dict[str, str] = {
    "Tees Valley and Durham": "UKC1", "Northumberland and Tyne and Wear": "UKC2", "Cumbria": "UKD1",
    "Greater Manchester": "UKD3", "Lancashire": "UKD4", "Cheshire": "UKD6", "Merseyside": "UKD7",
    "East Yorkshire and Northern Lincolnshire": "UKE1", "North Yorkshire": "UKE2", "South Yorkshire": "UKE3",
    "West Yorkshire": "UKE4", "Derbyshire and Nottinghamshire": "UKF1",
    "Leicestershire, Rutland and Northamptonshire": "UKF2", "Lincolnshire": "UKF3",
    "Herefordshire, Worcestershire and Warwickshire": "UKG1", "Shropshire and Staffordshire": "UKG2",
    "West Midlands": "UKG3", "East Anglia": "UKH1", "Bedfordshire and Hertfordshire": "UKH2", "Essex": "UKH3",
    "Inner London - West": "UKI3", "Inner London - East": "UKI4", "Outer London - East and North East": "UKI5",
    "Outer London - South": "UKI6", "Outer London - West and North West": "UKI7",
    "Berkshire, Buckinghamshire and Oxfordshire": "UKJ1", "Surrey, East and West Sussex": "UKJ2",
    "Hampshire and Isle of Wight": "UKJ3", "Kent": "UKJ4", "Gloucestershire, Wiltshire and Bath/Bristol area": "UKK1",
    "Dorset and Somerset": "UKK2", "Cornwall and Isles of Scilly": "UKK3", "Devon": "UKK4", "West Wales": "UKL1",
    "East Wales": "UKL2", "North Eastern Scotland": "UKM5", "Highlands and Islands": "UKM6",
    "Eastern Scotland": "UKM7", "West Central Scotland": "UKM8", "Southern Scotland": "UKM9",
}  # fmt: skip

SIZE_BANDS = (
    "0 to 4",
    "5 to 9",
    "10 to 19",
    "20 to 49",
    "50 to 99",
    "100 to 249",
    "250 to 499",
    "500 to 999",
    "1000+",
)
LARGE_BANDS = ("250 to 499", "500 to 999", "1000+")
GB_CODE = "K03000001"


def check_field_counts(df: pd.DataFrame, path: Path, *, encoding: str = "utf-8-sig") -> None:
    """A truncated row reads as blanks (``keep_default_na=False``), so count its fields in the file.

    Only rows whose last field is blank can be short, so the file is scanned only when there are some.
    """
    suspects = set(np.flatnonzero((df.iloc[:, -1] == "").to_numpy()).tolist()) if len(df.columns) else set()
    if not suspects:
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding=encoding, newline="") as fh:
        records = (r for r in csv.reader(fh) if r)
        next(records, None)
        last = max(suspects)
        for i, rec in enumerate(records):
            if i > last:
                break
            if i in suspects and len(rec) < len(df.columns):
                raise IngestError(
                    path,
                    f"row has {len(rec)} fields, fewer than the header (truncated file?)",
                    line=i + 2,
                    column=str(df.columns[len(rec)]),
                    expected=f"{len(df.columns)} fields",
                )


def _mismatch(values: pd.Series, pattern: str) -> pd.Series:
    """Rows not fully matching ``pattern``, testing each distinct value once (204k rows, ~700 codes)."""
    codes, uniques = pd.factorize(values)
    ok = pd.Series(uniques, dtype=object).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return pd.Series(~ok[codes], index=values.index)


def _lines(df: pd.DataFrame) -> pd.Series:
    return pd.Series(np.arange(2, len(df) + 2), index=df.index)


def _fail_first(
    mask: pd.Series, df: pd.DataFrame, path: Path, column: str, problem: str, expected: str
) -> None:
    """Raise for the first True row of ``mask``, naming its line, column and value."""
    if mask.any():
        i = int(mask.to_numpy().argmax())
        got = df[column].iloc[i] if column in df.columns else None
        raise IngestError(path, problem, line=i + 2, column=column, expected=expected, got=got)


def _common(df: pd.DataFrame, path: Path, columns: list[str]) -> pd.Series:
    """Shared checks: columns present, no short rows, DATE a year, COUNT >= 0. Returns the counts."""
    require_columns(df, columns, path)
    check_field_counts(df, path)
    _fail_first(_mismatch(df["DATE"], r"\d{4}"), df, path, "DATE", "unparseable year", "a year like 2019")
    count = to_number(df["COUNT"], path, "COUNT", lines=_lines(df), thousands=True)
    _fail_first(count < 0, df, path, "COUNT", "negative count", "a value >= 0")
    return count


def itl2_codes_from_names(names: pd.Series, lines: pd.Series, path: Path) -> pd.Series:
    """ITL2 names as written by Nomis -> NUTS 2016 codes; an unknown name is an error naming its line."""
    codes = names.map(ITL2_NAME_TO_NUTS2016)
    if codes.isna().any():
        i = int(codes.isna().to_numpy().argmax())
        raise IngestError(
            path,
            "unknown ITL2 area name",
            line=int(lines.iloc[i]),
            column="GEOGRAPHY_NAME",
            expected="one of the 40 Nomis ITL2 (NUTS 2016) area names",
            got=names.iloc[i],
        )
    return codes


def _bres_measure(path: Path) -> str:
    name = path.name.lower()
    if "fulltime_employees" in name or "full_time_employees" in name or "fulltime employees" in name:
        return "bres_ft_employees"
    if "employment" in name:
        return "bres_employment"
    raise IngestError(
        path,
        "cannot tell which BRES measure this file holds",
        line=1,
        expected="a file name containing 'employment' or 'fulltime_employees'",
    )


def _frame(measure: str, geography, geo_system, cluster, date: pd.Series, value, lines) -> pd.DataFrame:
    """Canonical columns from per-row series (or scalars); the period is 1 January of DATE."""
    out = pd.DataFrame(
        {
            "measure": measure,
            "geography": geography,
            "geo_system": geo_system,
            "cluster": cluster,
            "frequency": "A",
            "period": pd.to_datetime(date + "-01-01"),
            "value": value,
            "line": lines,
        }
    )
    return out.loc[:, OUT_COLUMNS]


def _finish(out: pd.DataFrame, path: Path) -> pd.DataFrame:
    out = out.dropna(subset=["value"])
    check_unique(out, KEYS, path)
    out = out.reset_index(drop=True)
    out["value"] = out["value"].astype(float)
    out["line"] = out["line"].astype(int)
    return out


def _parse_sections(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    count = _common(df, path, ["DATE", "GEOGRAPHY_NAME", "SIC_SECTION_CODE", "COUNT"])
    lines = _lines(df)
    letter = df["SIC_SECTION_CODE"].str.extract(r"^([A-U]) \(\d{1,2}(?:-\d{1,2})?\)$", expand=False)
    _fail_first(
        letter.isna(), df, path, "SIC_SECTION_CODE", "unrecognised SIC section", "a section like 'C (10-33)'"
    )
    geo = itl2_codes_from_names(df["GEOGRAPHY_NAME"], lines, path)
    return _finish(_frame("ft_jobs", geo, "nuts2016", "sic-" + letter, df["DATE"], count, lines), path)


def parse_bres(path: Path) -> pd.DataFrame:
    """The four BRES ITL2 files (2-digit, 5-digit (gzip), full-time employees, sections) -> canonical rows."""
    df = read_csv(path)  # .csv.gz is decompressed by pandas (compression inferred from the name)
    if "SIC_SECTION_CODE" in df.columns and "INDUSTRY_CODE" not in df.columns:
        return _parse_sections(df, path)
    measure = _bres_measure(path)
    count = _common(
        df, path, ["DATE", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "INDUSTRY_NAME", "INDUSTRY_CODE", "COUNT"]
    )
    code = df["INDUSTRY_CODE"]
    _fail_first(
        _mismatch(code, r"\d{2}|\d{5}"),
        df,
        path,
        "INDUSTRY_CODE",
        "bad SIC code",
        "a 2- or 5-digit SIC 2007 code with leading zeros (e.g. '01', '01110')",
    )
    geo = df["GEOGRAPHY_CODE"]
    _fail_first(
        _mismatch(geo, r"UK[A-Z0-9]{1,3}"),
        df,
        path,
        "GEOGRAPHY_CODE",
        "unknown geography code",
        "a NUTS 2016 code like 'UKG3'",
    )
    return _finish(_frame(measure, geo, "nuts2016", "sic-" + code, df["DATE"], count, _lines(df)), path)


def parse_business_counts(path: Path) -> pd.DataFrame:
    """GB enterprises by SIC 5-digit: all size bands summed, and the 250+ bands summed (see module doc)."""
    df = read_csv(path)
    count = _common(
        df,
        path,
        ["DATE", "GEOGRAPHY_CODE", "INDUSTRY_CODE", "EMPLOYMENT_SIZEBAND_NAME", "COUNT"],
    )
    code = df["INDUSTRY_CODE"]
    _fail_first(
        _mismatch(code, r"\d{5}"),
        df,
        path,
        "INDUSTRY_CODE",
        "bad SIC code",
        "a 5-digit SIC 2007 code with leading zeros (e.g. '01110')",
    )
    band = df["EMPLOYMENT_SIZEBAND_NAME"]
    _fail_first(
        ~band.isin(SIZE_BANDS),
        df,
        path,
        "EMPLOYMENT_SIZEBAND_NAME",
        "unknown size band",
        f"one of {list(SIZE_BANDS)}",
    )
    geo_code = df["GEOGRAPHY_CODE"]
    _fail_first(
        _mismatch(geo_code, r"[EKNSW]\d{8}"),
        df,
        path,
        "GEOGRAPHY_CODE",
        "unknown geography code",
        "a GSS code like K03000001",
    )
    raw = pd.DataFrame(
        {"date": df["DATE"], "geo": geo_code, "code": code, "band": band, "value": count, "line": _lines(df)}
    )
    dup = raw.duplicated(["date", "geo", "code", "band"], keep="first")
    if dup.any():
        twin = raw[dup].iloc[0]
        first = raw[
            (raw[["date", "geo", "code", "band"]] == twin[["date", "geo", "code", "band"]]).all(axis=1)
        ]
        raise IngestError(
            path,
            f"duplicate key (DATE={twin['date']}, INDUSTRY_CODE={twin['code']}, size band={twin['band']}) "
            f"also on line {int(first['line'].iloc[0])}",
            line=int(twin["line"]),
            column="INDUSTRY_CODE",
            expected="one row per date, geography, SIC code and size band",
        )
    raw["large"] = raw["value"].where(raw["band"].isin(LARGE_BANDS))
    grouped = raw.groupby(["date", "geo", "code"], sort=False)
    agg = grouped[["value", "large"]].sum(min_count=1).rename(columns={"value": "all"})
    agg = agg.join(grouped["line"].min()).reset_index()
    is_gb = agg["geo"] == GB_CODE
    geography = agg["geo"].where(~is_gb, "GB")
    system = pd.Series(np.where(is_gb, "canonical", "gss"), index=agg.index)
    parts = [
        _frame(m, geography, system, "sic-" + agg["code"], agg["date"], agg[col], agg["line"])
        for m, col in (("business_count_enterprises", "all"), ("business_count_enterprises_250plus", "large"))
    ]
    return _finish(pd.concat(parts, ignore_index=True), path)
