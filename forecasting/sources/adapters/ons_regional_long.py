"""ONS regional accounts reshaped to one row per (series, period): the "long" parquets of SOURCES.md §10.

The numbers are the publisher's; the layout is the economic-analytics/edd repository's (header rows kept
as columns, empty cells dropped). Three files, one parser each:

* ``parse_rgva_itl``: "Regional GVA (balanced) by industry: all ITL regions" (April 2025, ITL 2025
  boundaries: 46 ITL2, 182 ITL3). Columns ``dataset (RGVA), dates.date, dates.freq (a), geography.type,
  geography.code, industry.code, variable.code (current | constant | cvm | deflators), value``. Current
  prices -> ``gva_cp`` for every industry (``industry.code`` -> cluster slice as in the 2024 CSV tables,
  ``Total`` -> ``all``). Codes are ITL 2025 (``geo_system = itl2025``: the geography lookup maps a code
  whose area is unchanged to the ITL 2021 code, a new or changed area to ``<code>-2025``); ``UK`` is
  canonical; ``TLZ`` (Extra-Regio) and ``UKX`` are dropped as in the 2024 tables. Volumes and deflators
  are not stored: the ITL3 volumes predate the ONS correction of 10 Oct 2025 (the local-authority
  workbook, ``ons_la_gdp``, has the corrected GDP volumes).
* ``parse_rgva_lad``: the same for the 361 local authorities (``dataset RGVA_LAD``; ``variable.name``
  instead of a code; no geography type). ``GVA Current Prices £m`` -> ``gva_cp`` by industry.
* ``parse_regional_gfcf``: experimental regional GFCF (Dec 2023; ITL 2021 boundaries). Asset totals
  (``asset_detail.code = total``) -> ``gfcf_dwellings_cp`` and ``gfcf_other_buildings_cp`` for ITL1/2/3
  and local authorities; the asset details are not stored. Northern Ireland's ITL3 areas are written
  ``TLN10``-``TLN16`` in this file for ITL 2021's ``TLN0A``-``TLN0G``: mapped, and the name checked.

``line`` is the parquet row number + 1 (as if the first row were line 2 under a header), so an error
names the row to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.adapters.ons_regional_gva import sic07_cluster
from forecasting.sources.canonical import finish_frame, reject_first, unreadable_parquet
from forecasting.sources.errors import IngestError

ITL_COLUMNS = ["dataset", "dates.date", "dates.freq", "geography.type", "geography.code", "industry.code",
               "variable.code", "value"]  # fmt: skip
ITL_VARIABLES = {"current": "gva_cp", "constant": None, "cvm": None, "deflators": None}
LAD_COLUMNS = ["dataset", "dates.date", "dates.freq", "variable.name", "geography.code", "industry.code",
               "value"]  # fmt: skip
LAD_VARIABLES = {
    "GVA Current Prices £m": "gva_cp",
    "GVA Constant Prices £m": None,
    "CVM Index": None,
    "Implied deflator": None,
}
GFCF_COLUMNS = ["dataset", "dates.date", "dates.freq", "geography.code", "geography.name", "geography.type",
                "asset_type.name", "asset_detail.code", "variable.name", "value"]  # fmt: skip
GFCF_ASSETS = {"Dwellings": "gfcf_dwellings_cp", "Other buildings and structures": "gfcf_other_buildings_cp"}
GFCF_VARIABLE = "GFCF £m NSA Current Prices"
# ONS wrote Northern Ireland's ITL 2021 ITL3 codes TLN0A..TLN0G with decimal digits in this file.
NI_ITL3 = {f"TLN1{i}": f"TLN0{c}" for i, c in enumerate("ABCDEFG")}
EXTRA_REGIO = {"TLZ", "UKX"}  # Extra-Regio (offshore, embassies: not a place) and the UK without it
LA_CODE = re.compile(r"(E0[6-9]|W06|S12|N09)\d{6}")


def read_long(
    path: Path, columns: list[str], dataset: str, variable: str, known: dict[str, str | None]
) -> pd.DataFrame:
    """Rows of the variables this project stores, with their ``line``; the layout is checked first.

    A truncated file, a missing column, another dataset, a non-annual row or a variable outside ``known``
    (a changed layout) is an IngestError naming the file and the first offending row. The checks run on
    the Arrow table and the rows of variables not stored are dropped before pandas sees them (these
    files hold 1.8 million rows, a quarter of them stored).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable_parquet(path, exc) from exc
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise IngestError(
            path,
            f"unknown layout: missing column {missing[0]!r} (file has {schema.names})",
            line=1,
            column=missing[0],
            expected=f"columns {columns}",
        )
    try:
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(path, f"cannot read the parquet data ({exc}); file truncated?") from exc
    if table.num_rows == 0:
        raise IngestError(path, "file has no rows", expected="one row per series and period")
    table = table.append_column("line", pa.array(np.arange(2, table.num_rows + 2)))

    def first_bad(mask: pa.ChunkedArray, column: str, problem: str, expected: str) -> None:
        bad = pc.fill_null(mask, True)
        if pc.any(bad).as_py():
            i = pc.index(bad, True).as_py()
            raise IngestError(path, problem, line=i + 2, column=column, expected=expected,
                              got=table[column][i].as_py())  # fmt: skip

    for column in ("dataset", "dates.freq", variable):
        if not pa.types.is_string(table.schema.field(column).type):
            raise IngestError(path, f"unknown layout: column {column!r} holds {table.schema.field(column).type}",
                              line=1, column=column, expected="text")  # fmt: skip
    if not pa.types.is_floating(table.schema.field("value").type) and not pa.types.is_integer(
        table.schema.field("value").type
    ):
        raise IngestError(path, f"unknown layout: column 'value' holds {table.schema.field('value').type}",
                          line=1, column="value", expected="numbers")  # fmt: skip
    first_bad(pc.not_equal(table["dataset"], dataset), "dataset", f"not the {dataset} dataset", repr(dataset))
    first_bad(pc.not_equal(table["dates.freq"], "a"), "dates.freq", "not an annual observation",
              "'a' (annual)")  # fmt: skip
    first_bad(pc.invert(pc.is_in(table[variable], pa.array(list(known)))), variable,
              "unknown variable (layout changed?)", f"one of {list(known)}")  # fmt: skip
    stored = [k for k, v in known.items() if v is not None]
    table = table.filter(pc.is_in(table[variable], pa.array(stored)))
    df = table.to_pandas()
    df.index = pd.Index(df["line"].to_numpy())
    df["measure"] = df[variable].map(known)
    return df


def _lookup(values: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """``fn`` applied once per distinct value (these columns repeat a few hundred values 450,000 times)."""
    uniques = values.unique()
    return values.map(dict(zip(uniques, map(fn, uniques), strict=True)))


def _periods(df: pd.DataFrame, path: Path) -> pd.Series:
    """``dates.date`` -> Timestamp of 1 January (annual data); anything else names its row."""
    period = pd.to_datetime(_lookup(df["dates.date"], lambda d: pd.to_datetime(d, errors="coerce")))
    bad = period.isna() | (period.dt.month != 1) | (period.dt.day != 1)
    reject_first(bad, path, "not the start of a year", lines=df.index.to_numpy(), column="dates.date",
                 expected="a date like 2023-01-01", got=df["dates.date"])  # fmt: skip
    return period


def _clusters(df: pd.DataFrame, path: Path) -> pd.Series:
    cluster = _lookup(df["industry.code"], sic07_cluster)
    reject_first(cluster.isna(), path, "unrecognised SIC07 industry code", lines=df.index.to_numpy(),
                 column="industry.code", got=df["industry.code"],
                 expected="Total, a section like 'C (10-33)', a division like '29' or a range like '49-51'")  # fmt: skip
    return cluster


def _out(df: pd.DataFrame, geography: pd.Series, system: pd.Series | str, cluster: pd.Series | str,
         period: pd.Series, path: Path, key: str) -> pd.DataFrame:  # fmt: skip
    rows = pd.DataFrame(
        {
            "measure": df["measure"],
            "geography": geography,
            "geo_system": system,
            "cluster": cluster,
            "frequency": "A",
            "period": period,
            "value": df["value"].astype(float),
            "line": df.index.to_numpy(),
        },
        index=df.index,
    )
    reject_first(~np.isfinite(rows["value"].fillna(0.0)), path, "infinite value", lines=rows["line"],
                 column="value", expected="a finite number")  # fmt: skip
    return finish_frame(rows.dropna(subset=["value"]), path, key_column=key, value_column="value")


def parse_rgva_itl(path: Path) -> pd.DataFrame:
    """GVA at current prices by industry for the UK, ITL1, ITL2 and ITL3 (ITL 2025 codes)."""
    path = Path(path)
    df = read_long(path, ITL_COLUMNS, "RGVA", "variable.code", ITL_VARIABLES)
    codes = _lookup(df["geography.code"], lambda c: str(c).strip())
    ok = _lookup(codes, lambda c: bool(re.fullmatch(r"TL[A-Z0-9]{1,3}", c)) or c in ("UK", *EXTRA_REGIO))
    reject_first(~ok, path, "unknown geography code", lines=df.index.to_numpy(), column="geography.code",
                 expected="UK or an ITL 2025 code (TL...)", got=codes)  # fmt: skip
    keep = ~codes.isin(list(EXTRA_REGIO))
    df, codes = df[keep], codes[keep]
    system = pd.Series(np.where(codes == "UK", "canonical", "itl2025"), index=df.index)
    return _out(df, codes, system, _clusters(df, path), _periods(df, path), path, "geography.code")


def parse_rgva_lad(path: Path) -> pd.DataFrame:
    """GVA at current prices by industry for every local authority (GSS codes)."""
    path = Path(path)
    df = read_long(path, LAD_COLUMNS, "RGVA_LAD", "variable.name", LAD_VARIABLES)
    codes = _lookup(df["geography.code"], lambda c: str(c).strip())
    reject_first(~_lookup(codes, lambda c: bool(LA_CODE.fullmatch(c))), path, "not a local authority code",
                 lines=df.index.to_numpy(), column="geography.code", expected="a GSS code like E08000025",
                 got=codes)  # fmt: skip
    return _out(df, codes, "gss", _clusters(df, path), _periods(df, path), path, "geography.code")


def parse_regional_gfcf(path: Path) -> pd.DataFrame:
    """GFCF in dwellings and in other buildings and structures, ITL1/2/3 (ITL 2021) and local authorities."""
    from forecasting.reference.geography import load_geography

    path = Path(path)
    df = read_long(path, GFCF_COLUMNS, "RGFCF", "asset_type.name", dict(GFCF_ASSETS))
    lines = df.index.to_numpy()
    reject_first(df["variable.name"] != GFCF_VARIABLE, path, "unknown variable (layout changed?)",
                 lines=lines, column="variable.name", expected=repr(GFCF_VARIABLE), got=df["variable.name"])  # fmt: skip
    kind = df["geography.type"]
    reject_first(~kind.isin(["ITL1", "ITL2", "ITL3", "LAD"]), path, "unknown geography type", lines=lines,
                 column="geography.type", expected="ITL1, ITL2, ITL3 or LAD", got=kind)  # fmt: skip
    codes = df["geography.code"].astype(str).str.strip()
    keep = (df["asset_detail.code"] == "total") & ~codes.isin(list(EXTRA_REGIO))
    df, kind, codes = df[keep], kind[keep], codes[keep]
    ni = codes.isin(list(NI_ITL3)) & (kind == "ITL3")
    if ni.any():
        geo = load_geography()
        mapped = codes[ni].map(NI_ITL3)
        names = df.loc[ni, "geography.name"].str.strip().str.lower()
        wrong = mapped.map(lambda c: geo.name(c).lower()) != names
        reject_first(wrong, path, "Northern Ireland ITL3 code does not name the expected area",
                     lines=df.index[ni].to_numpy(), column="geography.name",
                     expected="the ITL 2021 name of TLN0A..TLN0G", got=df.loc[ni, "geography.name"])  # fmt: skip
        codes = codes.where(~ni, codes.map(NI_ITL3))
    system = pd.Series(np.where(kind == "LAD", "gss", "itl2021"), index=df.index)
    return _out(df, codes, system, "all", _periods(df, path), path, "geography.code")
