"""ONS regional accounts and subregional productivity tables (CSV exports of the ONS xlsx, wide by year).

Layouts (see /work/shared/data/SOURCES.md section 6): ``ITL | ITL code | Region name | 1998 ...`` for
totals (Tables 1, 5, 6, 10), ``ITL level | ITL code | Region name | 2004 ...`` for productivity
(A4, B4, A5, hours), and ``ITL (region) code | (ITL region) name | SIC07 code | SIC07 description | 1998 ...``
for the industry tables (1b/1c ITL1, 2b/2c ITL2, 3b/3c ITL3). Numbers carry thousands separators.

Geographies: ``UK`` -> geo_system ``canonical``; ``TL*`` (incl. England ``TLB``) -> ``itl2021``.
``UKX`` (UK less Extra-Regio) and ``TLZ`` (Extra-Regio: offshore activity, embassies - not a place) are
dropped where the file also has ``UK``; in the productivity tables ``UKX`` is the only UK row and is the
ONS UK productivity benchmark, so it is emitted as ``UK``.

Industry slices (``sic07_cluster``) keep the published hierarchy: ``Total`` -> ``all``;
sections ``A (1-3)`` -> ``sic-A``; cross-section aggregates ``A-E``/``G-T`` as written and ``AB (1-9)``
-> ``sic-A-B``; sub-sections spanning several divisions ``CA (10-12)`` -> ``sic-C10-12``; single
divisions (``29``, ``CF (21)``) -> ``sic-29``/``sic-21``; division ranges ``5-8`` -> ``sic-05-08``;
``68IMP`` (imputed rent, part of 68) as written. ``sic_slice_divisions`` gives each slice's range of SIC
divisions, which is the parent/child relation (a slice is a child of every wider slice containing it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from forecasting.sources.adapters.bres import check_field_counts, itl2_codes_from_names
from forecasting.sources.canonical import (
    check_period_order,
    check_unique,
    read_csv,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

OUT_COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]
BLANKS = ("", "..", ":", "x", "c", "[c]", "[x]", "[u]", "-", "NA", "na", "n/a")
EXTRA_REGIO = {"UKX", "TLZ"}
# GVA can be negative for small industries; these cannot (kept in step with measures/public_b.toml, tested).
NON_NEGATIVE = (
    "gdp_cp", "gdp_cvm", "population", "itl_gva_per_hour_worked", "itl_gva_per_filled_job",
    "itl_productivity_index", "hours_worked_per_week", "ft_jobs",
)  # fmt: skip
A5_YEARS = list(range(2004, 2022))  # A5's year labels were lost in the export: 18 columns = 2004-2021

# SIC 2007 sections -> (first, last) division.
SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (45, 47),
    "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68), "M": (69, 75), "N": (77, 82),
    "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93), "S": (94, 96), "T": (97, 98), "U": (99, 99),
}  # fmt: skip


def _section_of(division: int) -> str | None:
    return next((s for s, (lo, hi) in SECTIONS.items() if lo <= division <= hi), None)


_DIGITS = re.compile(r"^(\d{1,2})(?:-(\d{1,2}))?$")
_LETTERED = re.compile(r"^([A-Z]{1,2})(?:-([A-Z]{1,2}))? \((\d{1,2})(?:-(\d{1,2}))?\)$")
_SECTION_SPAN = re.compile(r"^([A-Z])-([A-Z])$")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EXCEL_DATE = re.compile(r"^(\d{1,2})-(" + "|".join(_MONTHS) + r")$")


def sic07_cluster(code: str) -> str | None:
    """Normalise an ONS 'SIC07 code' to a cluster slice; None if the code is not a known form.

    The 2024 CSV exports (2c, 3c) went through Excel, which turned the division ranges ``2-3`` and
    ``11-12`` into dates (``02-Mar``, ``11-Dec``); those are turned back into ranges.
    """
    code = code.strip()
    if m := _EXCEL_DATE.match(code):
        code = f"{int(m.group(1))}-{_MONTHS.index(m.group(2)) + 1}"
    if code == "Total":
        return "all"
    if re.fullmatch(r"\d{2}IMP", code):
        return f"sic-{code}"
    if _SECTION_SPAN.match(code):
        return f"sic-{code}"
    if m := _DIGITS.match(code):
        lo, hi = m.group(1), m.group(2)
        return f"sic-{int(lo):02d}" + (f"-{int(hi):02d}" if hi else "")
    if m := _LETTERED.match(code):
        lo = int(m.group(3))
        hi = int(m.group(4) or lo)
        first, last = _section_of(lo), _section_of(hi)
        if first is None or last is None or m.group(1)[0] != first:
            return None
        if first != last:
            return f"sic-{first}-{last}"
        if SECTIONS[first] == (lo, hi):
            return f"sic-{first}"
        return f"sic-{lo:02d}" if lo == hi else f"sic-{first}{lo:02d}-{hi:02d}"
    return None


def sic_slice_divisions(cluster: str) -> tuple[int, int] | None:
    """SIC divisions (first, last) covered by a slice from ``sic07_cluster``; None for ``all``."""
    if not cluster.startswith("sic-"):
        return None
    s = cluster[4:]
    if m := re.fullmatch(r"(\d{2})(?:IMP)?(?:-(\d{2}))?", s):
        return int(m.group(1)), int(m.group(2) or m.group(1))
    if m := re.fullmatch(r"([A-Z])(?:-([A-Z]))?", s):
        return SECTIONS[m.group(1)][0], SECTIONS[m.group(2) or m.group(1)][1]
    if m := re.fullmatch(r"[A-Z](\d{2})-(\d{2})", s):
        return int(m.group(1)), int(m.group(2))
    raise ValueError(f"not a SIC slice: {cluster!r}")


def _year_columns(df: pd.DataFrame, n_id: int, path: Path) -> list[str]:
    """Year headers after the id columns: each a 4-digit year, strictly increasing."""
    cols = [str(c) for c in df.columns[n_id:]]
    if not cols:
        raise IngestError(
            path, "no year columns", line=1, expected="one column per year after the id columns"
        )
    for c in cols:
        if not re.fullmatch(r"\d{4}", c.strip()):
            raise IngestError(
                path, "unparseable year header", line=1, column=c, expected="a year like 2019", got=c
            )
    try:
        check_period_order(cols, path, what="year columns")
    except IngestError as exc:  # add the offending header so the user can find it
        bad = next(b for a, b in zip(cols, cols[1:], strict=False) if b <= a)
        raise IngestError(path, exc.problem, line=1, column=bad, expected=exc.expected) from exc
    return cols


def _geo(codes: pd.Series, lines: pd.Series, path: Path, column: str) -> pd.Series:
    """geo_system per code; unknown code shapes are an error (the lookup itself is the warehouse's job)."""
    system = pd.Series("itl2021", index=codes.index)
    system[codes == "UK"] = "canonical"
    bad = ~(codes.str.fullmatch(r"TL[A-Z0-9]{1,3}") | (codes == "UK") | codes.isin(list(EXTRA_REGIO)))
    if bad.any():
        i = bad.to_numpy().argmax()
        raise IngestError(
            path,
            "unknown geography code",
            line=int(lines.iloc[i]),
            column=column,
            expected="UK, UKX or an ITL 2021 code (TL...)",
            got=codes.iloc[i],
        )
    return system


def _melt(
    df: pd.DataFrame, year_cols: list[str], years: list[int], path: Path, id_cols: list[str]
) -> pd.DataFrame:
    """Wide -> long with line numbers, parsing each year column strictly (so errors name the column)."""
    lines = pd.Series(range(2, len(df) + 2), index=df.index)
    parts = []
    for col, year in zip(year_cols, years, strict=True):
        part = df[id_cols].copy()
        part["value"] = to_number(df[col], path, col, lines=lines, thousands=True, blank_tokens=BLANKS)
        part["period"] = pd.Timestamp(year, 1, 1)
        part["line"] = lines
        part["column"] = col
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _finish(long: pd.DataFrame, path: Path) -> pd.DataFrame:
    long = long.dropna(subset=["value"]).assign(frequency="A")
    negative = long["measure"].isin(list(NON_NEGATIVE)) & (long["value"] < 0)
    if negative.any():
        row = long[negative].iloc[0]
        raise IngestError(
            path,
            f"negative value for {row['measure']}, which cannot be negative",
            line=int(row["line"]),
            column=str(row["column"]),
            expected="a value >= 0",
            got=row["value"],
        )
    check_unique(long, ["measure", "geography", "cluster", "frequency", "period"], path)
    out = long.loc[:, OUT_COLUMNS].sort_values(["line", "period"], kind="stable").reset_index(drop=True)
    out["value"] = out["value"].astype(float)
    out["line"] = out["line"].astype(int)
    return out


def _parse_region_table(path: Path, measure: str, *, keep_ukx_as_uk: bool = False) -> pd.DataFrame:
    """Tables 1, 5, 6, 10 and the productivity tables: one row per area, one column per year."""
    df = read_csv(path)
    require_columns(df, ["ITL code", "Region name"], path)
    check_field_counts(df, path)
    n_id = list(df.columns).index("Region name") + 1
    if measure == "itl_productivity_index":
        year_cols, years = [str(c) for c in df.columns[n_id:]], A5_YEARS
    else:
        year_cols = _year_columns(df, n_id, path)
        years = [int(c) for c in year_cols]
    codes = df["ITL code"].str.strip()
    lines = pd.Series(range(2, len(df) + 2), index=df.index)
    df = df.assign(geography=codes, geo_system=_geo(codes, lines, path, "ITL code"))
    if keep_ukx_as_uk and not (codes == "UK").any():
        df.loc[codes == "UKX", ["geography", "geo_system"]] = ["UK", "canonical"]
    long = _melt(df, year_cols, years, path, ["geography", "geo_system"])
    long = long[~long["geography"].isin(list(EXTRA_REGIO))].assign(measure=measure, cluster="all")
    return _finish(long, path)


def parse_gva_total(path: Path) -> pd.DataFrame:
    """Table 1: GVA (balanced) at current basic prices, UK/ITL1/ITL2/ITL3 -> ``gva_cp``, cluster ``all``."""
    return _parse_region_table(path, "gva_cp")


def parse_gdp(path: Path) -> pd.DataFrame:
    """Table 5 (current market prices) -> ``gdp_cp``; Table 10 (chained volume) -> ``gdp_cvm``."""
    name = path.name.lower()
    if "chained_volume" in name or "chained volume" in name:
        return _parse_region_table(path, "gdp_cvm")
    if "current_market_prices" in name or "current market prices" in name:
        return _parse_region_table(path, "gdp_cp")
    raise IngestError(
        path,
        "cannot tell current-price from chained-volume GDP",
        line=1,
        expected="a file name saying 'current market prices' or 'chained volume'",
    )


def parse_population(path: Path) -> pd.DataFrame:
    """Table 6: total resident population -> ``population`` ('[u]' = unavailable, dropped)."""
    return _parse_region_table(path, "population")


def _productivity_measure(path: Path, headers: list[str]) -> str:
    """Which productivity table this is: A5 by its lost ('index') year labels, the others by name."""
    years = headers[3:]
    if years and all(h.strip().lower().startswith("index") for h in years):
        if len(years) != len(A5_YEARS):
            raise IngestError(
                path,
                f"A5 index table has {len(years)} year columns",
                line=1,
                expected=f"{len(A5_YEARS)} columns (2004-2021)",
            )
        return "itl_productivity_index"
    name = path.name.lower()
    if "per_filled_job" in name or "per filled job" in name:
        return "itl_gva_per_filled_job"
    if "gva" in name and ("per_hour" in name or "per hour" in name):
        return "itl_gva_per_hour_worked"
    if "hours_worked_per_week" in name or "hours worked per week" in name:
        return "hours_worked_per_week"
    raise IngestError(
        path,
        "unrecognised productivity table",
        line=1,
        expected="Table A4 (GVA per hour), B4 (GVA per filled job), A5 (index) or hours worked per week",
    )


def parse_productivity(path: Path) -> pd.DataFrame:
    """ONS subregional productivity (A4, B4, A5, hours worked per week), ITL1-3; ``UKX`` emitted as ``UK``."""
    df = read_csv(path, nrows=0)
    headers = [str(c) for c in df.columns]
    if headers[:3] != ["ITL level", "ITL code", "Region name"]:
        raise IngestError(
            path,
            f"unrecognised productivity header {headers[:3]}",
            line=1,
            expected="columns 'ITL level', 'ITL code', 'Region name', then years",
        )
    return _parse_region_table(path, _productivity_measure(path, headers), keep_ukx_as_uk=True)


def parse_gva_industry(path: Path) -> pd.DataFrame:
    """Tables 1b/1c/2b/2c/3b/3c: GVA by SIC07 industry -> ``gva_cvm`` (chained volume) or ``gva_cp``."""
    name = path.name.lower()
    cvm, cp = (
        "chained_volume" in name or "chained volume" in name,
        "current_price" in name or "current price" in name,
    )
    if cvm == cp:
        raise IngestError(
            path,
            "cannot tell current-price from chained-volume GVA",
            line=1,
            expected="a file name saying 'current price' or 'chained volume'",
        )
    measure = "gva_cvm" if cvm else "gva_cp"
    df = read_csv(path)
    code_col = "ITL region code" if "ITL region code" in df.columns else "ITL code"
    require_columns(df, [code_col, "SIC07 code", "SIC07 description"], path)
    check_field_counts(df, path)
    year_cols = _year_columns(df, list(df.columns).index("SIC07 description") + 1, path)
    lines = pd.Series(range(2, len(df) + 2), index=df.index)
    codes = df[code_col].str.strip()
    cluster = df["SIC07 code"].map(sic07_cluster)
    if cluster.isna().any():
        i = cluster.isna().to_numpy().argmax()
        raise IngestError(
            path,
            "unrecognised SIC07 code",
            line=int(lines.iloc[i]),
            column="SIC07 code",
            expected="Total, a section like 'C (10-33)', a division like '29' or a range like '11-12'",
            got=df["SIC07 code"].iloc[i],
        )
    df = df.assign(geography=codes, geo_system=_geo(codes, lines, path, code_col), cluster=cluster)
    long = _melt(df, year_cols, [int(c) for c in year_cols], path, ["geography", "geo_system", "cluster"])
    long = long[~long["geography"].isin(list(EXTRA_REGIO))].assign(measure=measure)
    return _finish(long, path)


def parse_itl2_ft_jobs(path: Path) -> pd.DataFrame:
    """BRES full-time job totals by ITL2 (Nomis; names only) -> ``ft_jobs``, geography as NUTS 2016 code."""
    df = read_csv(path)
    require_columns(df, ["DATE", "GEOGRAPHY_NAME", "COUNT"], path)
    check_field_counts(df, path)
    lines = pd.Series(range(2, len(df) + 2), index=df.index)
    bad_year = ~df["DATE"].str.fullmatch(r"\d{4}")
    if bad_year.any():
        i = bad_year.to_numpy().argmax()
        raise IngestError(
            path,
            "unparseable year",
            line=int(lines.iloc[i]),
            column="DATE",
            expected="a year like 2019",
            got=df["DATE"].iloc[i],
        )
    out = pd.DataFrame(
        {
            "measure": "ft_jobs",
            "geography": itl2_codes_from_names(df["GEOGRAPHY_NAME"], lines, path),
            "geo_system": "nuts2016",
            "cluster": "all",
            "period": pd.to_datetime(df["DATE"] + "-01-01"),
            "value": to_number(df["COUNT"], path, "COUNT", lines=lines, thousands=True),
            "line": lines,
            "column": "COUNT",
        }
    )
    return _finish(out, path)
