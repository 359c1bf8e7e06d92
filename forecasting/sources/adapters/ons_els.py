"""ONS "Explore Local Statistics" (ELS) indicator files: one tidy long layout, six published files.

Columns: ``areacd, areanm, geography, indicator, period, observation, measure, unit, lci_95, uci_95,
status, notes``; ``period`` is ISO 8601 (``2015-01-01/P1Y``). Each parser checks that every row's
``indicator`` (and its ``unit``) is one it knows, so a file swapped for another indicator fails loudly.

Code systems (``geo_system``), decided per row from the code and the ``geography`` column:

* GSS codes (``E06…``, ``E47…``, ``K02000001``, ``N34…`` …) -> ``gss``;
* ``ITL Level 1`` ``TL?`` codes -> ``itl2021`` (ITL1 codes did not change in 2025);
* ``ITL Level 2``/``ITL Level 3`` ``TL…`` codes -> ``itl2025`` (ELS publishes ITL 2025 areas, e.g. FDI
  ``TLF1`` = the East Midlands combined-authority area), except codes whose ``notes`` say "Obsolete code
  since 2025" (older exports rows), which are ITL 2021 codes -> ``itl2021``.

Rows with ``areacd`` ``na`` (the FDI file's Scottish city regions, which have no GSS code) are skipped:
without a code they cannot be placed in the geography hierarchy. Suppressed cells (``status`` c/x,
blank ``observation``) are dropped.

``finish_frame`` (used by every adapter in this package) types the canonical columns, keeps
``geo_system`` (``canonical.canonical_frame`` drops it), rejects duplicate keys and negative values of
measures registered as non-negative.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import (
    check_row_count,
    finish_frame,
    parse_iso_period,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

_GSS = re.compile(r"^[EKNSW]\d{8}$")
_ITL = re.compile(r"^TL[B-N][0-9A-Z]{0,3}$")

ELS_COLUMNS = ("areacd", "areanm", "geography", "indicator", "period", "observation", "unit")


def _geo_system(df: pd.DataFrame, path: Path, lines: np.ndarray) -> pd.Series:
    code, level = df["areacd"], df["geography"]
    notes = df["notes"] if "notes" in df.columns else pd.Series("", index=df.index)
    gss = code.str.match(_GSS)
    itl = code.str.match(_ITL)
    bad = ~(gss | itl)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            path,
            "unrecognised area code",
            line=int(lines[i]),
            column="areacd",
            expected="a GSS code (E06000001) or an ITL code (TLF1)",
            got=code.iloc[i],
        )
    itl1 = itl & (level == "ITL Level 1")
    obsolete = notes.str.contains("Obsolete code since 2025", regex=False)
    system = np.where(gss, "gss", np.where(itl1 | obsolete, "itl2021", "itl2025"))
    return pd.Series(system, index=df.index)


def _periods(values: pd.Series, path: Path, lines: np.ndarray, *, financial_year: bool) -> pd.Series:
    """Parse each distinct period once; annual only. Financial years (April start) map to the start year."""
    out: dict[str, pd.Timestamp] = {}
    for text, line in zip(values, lines, strict=True):
        if text in out:
            continue
        ts, freq = parse_iso_period(text, path, line=int(line), column="period")
        want_month = 4 if financial_year else 1
        if freq != "A" or ts.month != want_month or ts.day != 1:
            raise IngestError(
                path,
                "unexpected period",
                line=int(line),
                column="period",
                expected=f"an annual period starting {want_month:02d}-01 (like 2020-{want_month:02d}-01/P1Y)",
                got=text,
            )
        out[text] = pd.Timestamp(ts.year, 1, 1)
    return values.map(out)


def _parse_els(
    path: Path, indicators: dict[str, tuple[str, str]], *, financial_year: bool = False
) -> pd.DataFrame:
    """``indicators`` maps the file's indicator text to (measure, unit as written in the file)."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, ELS_COLUMNS, path)
    check_row_count(df, lines, path)
    df = df.apply(lambda s: s.str.strip())
    if df.empty:
        raise IngestError(path, "no data rows", line=1, expected="at least one observation")
    reject_first(
        ~df["indicator"].isin(list(indicators)), path, "unexpected indicator", lines=lines,
        column="indicator", expected=f"one of {sorted(indicators)}", got=df["indicator"],
    )  # fmt: skip
    unit_ok = df["unit"] == df["indicator"].map(lambda s: indicators[s][1])
    if not unit_ok.all():
        i = int(np.flatnonzero(~unit_ok.to_numpy())[0])
        raise IngestError(
            path,
            "unexpected unit",
            line=int(lines[i]),
            column="unit",
            expected=repr(indicators[df["indicator"].iloc[i]][1]),
            got=df["unit"].iloc[i],
        )
    keep = (df["areacd"] != "na").to_numpy()
    df, lines = df.loc[keep], lines[keep]
    rows = pd.DataFrame(
        {
            "measure": df["indicator"].map(lambda s: indicators[s][0]),
            "geography": df["areacd"],
            "geo_system": _geo_system(df, path, lines),
            "cluster": "all",
            "frequency": "A",
            "period": _periods(df["period"], path, lines, financial_year=financial_year),
            "value": to_number(df["observation"], path, "observation", lines=lines),
            "line": lines,
        }
    )
    return finish_frame(rows, path, key_column="areacd", value_column="observation")


def parse_fdi(path: Path) -> pd.DataFrame:
    """Subnational inward/outward FDI positions (£m, end of year), ITL1/ITL2 2025/combined authorities."""
    return _parse_els(
        path,
        {
            "Inward foreign direct investment": ("fdi_inward_position", "£ million"),
            "Outward foreign direct investment": ("fdi_outward_position", "£ million"),
        },
    )


def parse_business_demography(path: Path) -> pd.DataFrame:
    """Active businesses (count) and births/deaths/high-growth/survival rates (%) by LAD, county, region."""
    pct = "%"
    return _parse_els(
        path,
        {
            "Active businesses": ("active_businesses", "Number of enterprises"),
            "Business births": ("business_birth_rate", pct),
            "Business deaths": ("business_death_rate", pct),
            "High growth businesses": ("high_growth_rate", pct),
            "One-year survival rate": ("survival_rate_1y", pct),
            "Two-year survival rate": ("survival_rate_2y", pct),
            "Three-year survival rate": ("survival_rate_3y", pct),
            "Four-year survival rate": ("survival_rate_4y", pct),
            "Five-year survival rate": ("survival_rate_5y", pct),
        },
    )


def parse_gva_per_job(path: Path) -> pd.DataFrame:
    """Labour productivity (£ GVA per filled job / per hour worked, current prices) by LAD, county, ITL1, CA."""
    return _parse_els(
        path,
        {
            "Gross value added per filled job": ("gva_per_filled_job", "£"),
            "Gross value added per hour worked": ("gva_per_hour_worked", "£"),
        },
    )


def parse_exports(path: Path) -> pd.DataFrame:
    """Value of UK exports of goods and services (£m) by ITL1/2/3 and combined authority."""
    return _parse_els(path, {"Value of UK exports": ("exports_value", "£ million")})


def parse_berd(path: Path) -> pd.DataFrame:
    """Business enterprise R&D expenditure (£m) by region and nation."""
    return _parse_els(path, {"Business expenditure on research and development": ("berd", "£ million")})


def parse_public_rd(path: Path) -> pd.DataFrame:
    """Public-funded R&D expenditure (£m); periods are April-March financial years, labelled by start year."""
    return _parse_els(
        path,
        {"Public-funded expenditure on research and development": ("public_rd", "£ million")},
        financial_year=True,
    )
