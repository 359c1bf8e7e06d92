"""ONS "Regional gross domestic product: local authorities" workbook (xlsx, verbatim ONS release).

Layout (SOURCES.md section 10): sheets ``Table 1`` ... ``Table 13``; in each, row 1 is the table title
(which says what the numbers are and in which unit), row 2 the header ``ITL1 Region | LA code | LA name |
1998 ... 2023`` and rows 3+ one local authority each (GSS codes, 361 LAs). Read tables:

=========  ==============================================================  ===================
sheet      title says                                                      measure
=========  ==============================================================  ===================
Table 1    Gross value added (balanced) at current basic prices, £ million  ``gva_cp``
Table 5    GDP at current market prices, pounds million                     ``gdp_cp``
Table 6    Total resident population numbers, persons                       ``population``
Table 7    GDP per head at current market prices, pounds                    ``gdp_per_head_cp``
Table 8    Whole economy GDP implied deflators, 2022 equals 100             ``gdp_deflator_2022``
Table 10   GDP chained volume measures (CVM) in 2022 money value, £ million ``gdp_cvm_2022``
=========  ==============================================================  ===================

Tables 2-4 (taxes and subsidies), 9 (CVM index), 11 (CVM per head) and 12-13 (growth rates) follow from
these and are not stored. The title is checked, not only the sheet name, so a re-ordered workbook cannot
put population into GDP. ``line`` is the Excel row number of the sheet; errors name the sheet.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import finish_frame
from forecasting.sources.errors import IngestError

# sheet -> (measure, words its title must contain)
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Table 1": ("gva_cp", ("gross value added", "current basic prices", "pounds million")),
    "Table 5": ("gdp_cp", ("gross domestic product", "current market prices", "pounds million")),
    "Table 6": ("population", ("total resident population", "persons")),
    "Table 7": ("gdp_per_head_cp", ("per head", "current market prices", "pounds")),
    "Table 8": ("gdp_deflator_2022", ("implied deflators", "2022 equals 100")),
    "Table 10": ("gdp_cvm_2022", ("chained volume", "2022 money value", "pounds million")),
}
ID_HEADER = ["ITL1 Region", "LA code", "LA name"]
_LA_CODE = re.compile(r"^(E0[6-9]|W06|S12|N09)\d{6}$")
BLANKS = {"", "..", ":", "x", "c", "[c]", "[x]", "[u]", "-"}


def _open(path: Path) -> object:
    """Load the workbook read-only; a truncated or non-xlsx file is an IngestError, not a zipfile trace."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise IngestError(
            path,
            f"cannot read the workbook ({type(exc).__name__}: {exc}); the file is truncated or not an xlsx",
            expected="the ONS 'Regional GDP: local authorities' xlsx workbook",
        ) from exc


def _table(path: Path, sheet: str, rows: list[tuple], measure: str, words: tuple[str, ...]) -> pd.DataFrame:
    """One sheet -> long rows of ``measure``; checks the title, the header and every cell."""
    where = f"sheet {sheet!r}"
    title = str(rows[0][0] if rows and rows[0] else "").lower()
    missing = [w for w in words if w not in title]
    if missing:
        raise IngestError(
            path,
            f"{where}: title {title[:120]!r} does not describe {measure}",
            line=1,
            expected=f"a title containing {list(words)}",
        )
    if len(rows) < 3:
        raise IngestError(path, f"{where}: no data rows", line=2, expected="one row per local authority")
    header = [("" if h is None else str(h).strip()) for h in rows[1]]
    while header and header[-1] == "":
        header.pop()
    if header[:3] != ID_HEADER:
        raise IngestError(
            path,
            f"{where}: unknown layout, header {header[:3]}",
            line=2,
            expected=f"columns {ID_HEADER} then one column per year",
        )
    years = header[3:]
    bad = next((h for h in years if not re.fullmatch(r"\d{4}", h)), None)
    if not years or bad is not None:
        raise IngestError(
            path, f"{where}: unparseable year header", line=2, column=bad, expected="years like 1998"
        )
    if [int(y) for y in years] != list(range(int(years[0]), int(years[0]) + len(years))):
        raise IngestError(
            path, f"{where}: year columns are not consecutive", line=2, expected="1998, 1999, ..."
        )
    width = 3 + len(years)
    parts = []
    for r, row in enumerate(rows[2:], start=3):
        cells = list(row[:width]) + [None] * max(0, width - len(row))
        if all(c is None or str(c).strip() == "" for c in cells):
            continue  # trailing blank rows of the sheet
        code = "" if cells[1] is None else str(cells[1]).strip()
        if not _LA_CODE.match(code):
            raise IngestError(
                path,
                f"{where}: not a local authority GSS code",
                line=r,
                column="LA code",
                expected="a code like E08000025",
                got=code,
            )
        values = []
        for year, cell in zip(years, cells[3:], strict=True):
            if cell is None or (isinstance(cell, str) and cell.strip() in BLANKS):
                values.append(np.nan)
            elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
                values.append(float(cell))
            else:
                raise IngestError(
                    path, f"{where}: non-numeric value", line=r, column=year, expected="a number", got=cell
                )
        parts.append((code, r, values))
    if not parts:
        raise IngestError(path, f"{where}: no data rows", line=3, expected="one row per local authority")
    n = len(years)
    codes = np.repeat([p[0] for p in parts], n)
    lines = np.repeat([p[1] for p in parts], n)
    return pd.DataFrame(
        {
            "measure": measure,
            "geography": codes,
            "geo_system": "gss",
            "cluster": "all",
            "frequency": "A",
            "period": pd.to_datetime([f"{y}-01-01" for y in years] * len(parts)),
            "value": np.concatenate([p[2] for p in parts]),
            "line": lines,
            "value_column": np.tile(np.asarray(years, dtype=object), len(parts)),
        }
    )


def parse_la_gdp(path: Path) -> pd.DataFrame:
    """GVA, GDP, population, GDP per head, deflators and GDP volumes for every local authority."""
    path = Path(path)
    wb = _open(path)
    try:
        names = list(wb.sheetnames)  # type: ignore[attr-defined]
        absent = [s for s in TABLES if s not in names]
        if absent:
            raise IngestError(
                path,
                f"unknown layout: sheets {absent} missing (workbook has {names})",
                expected=f"sheets {list(TABLES)}",
            )
        frames = []
        for sheet, (measure, words) in TABLES.items():
            try:
                rows = list(wb[sheet].iter_rows(values_only=True))  # type: ignore[index]
            except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
                raise IngestError(path, f"sheet {sheet!r} cannot be read ({exc}); file truncated?") from exc
            frames.append(_table(path, sheet, rows, measure, words))
    finally:
        wb.close()  # type: ignore[attr-defined]
    # One row per (table, LA): the line alone does not identify a row across sheets, so duplicates are
    # checked per measure by finish_frame's key check.
    return finish_frame(pd.concat(frames, ignore_index=True), path, key_column="LA code")
