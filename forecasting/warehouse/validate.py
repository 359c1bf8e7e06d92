"""Validation of adapter output before anything touches the warehouse.

pandera checks the frame's structure; the domain checks (registered measure, its frequency, known
geography, non-negative counts, plausibility bounds, unique keys) report the file line so the user can find
the bad row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from forecasting.reference.measures import load_measures
from forecasting.sources.canonical import KEY_COLUMNS, check_bounds, check_non_negative, check_unique
from forecasting.sources.errors import IngestError

GEO_SYSTEMS = ["gss", "itl2021", "itl2025", "nuts2016", "iso3", "name", "canonical"]
# Text columns hold few distinct values in many rows (a million for the ITL3 industry tables), so they are
# checked on their distinct values; the numeric columns on every row.
TEXT_COLUMNS: dict[str, pa.Column] = {
    "measure": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$")),
    "geography": pa.Column(str),
    "geo_system": pa.Column(str, pa.Check.isin(GEO_SYSTEMS)),
    "cluster": pa.Column(str, pa.Check.str_matches(r"^[A-Za-z0-9-]+$")),
    "frequency": pa.Column(str, pa.Check.isin(["A", "Q", "M"])),
}
NUMERIC_COLUMNS: dict[str, pa.Column] = {
    "period": pa.Column("datetime64[ns]"),
    "value": pa.Column(float, pa.Check(lambda s: np.isfinite(s), element_wise=False)),
    "line": pa.Column(int),
}
NUMERIC_SCHEMA = pa.DataFrameSchema(NUMERIC_COLUMNS, strict=False, coerce=True)
# Most adapters already hand over these exact dtypes; pandera's coercion would still re-parse every period
# through ``pd.to_datetime`` (~3% of ingest), so such frames are only checked, not coerced.
_EXACT_DTYPES = {
    "period": np.dtype("datetime64[ns]"),
    "value": np.dtype("float64"),
    "line": np.dtype("int64"),
}
_NUMERIC_CHECKED = pa.DataFrameSchema(NUMERIC_COLUMNS, strict=False, coerce=False)


def _numeric_schema(df: pd.DataFrame) -> pa.DataFrameSchema:
    exact = all(c in df.columns and df[c].dtype == t for c, t in _EXACT_DTYPES.items())
    return _NUMERIC_CHECKED if exact else NUMERIC_SCHEMA


def _structure_error(path: Path, df: pd.DataFrame, column: str, check: object, case: object) -> IngestError:
    rows = df.index[df[column].astype(object) == case] if column in df else []
    line = int(df.loc[rows[0], "line"]) if len(rows) and "line" in df else None
    return IngestError(
        path, f"adapter output failed the canonical schema: {check}", line=line, column=column, got=case
    )


def check_structure(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The canonical columns and types; a failure names the first file line with the offending value."""
    missing = [c for c in (*TEXT_COLUMNS, *NUMERIC_SCHEMA.columns) if c not in df.columns]
    if missing:
        raise IngestError(path, f"adapter output lacks the canonical columns {missing}")
    for col, spec in TEXT_COLUMNS.items():
        distinct = pd.DataFrame({col: pd.unique(df[col])})
        try:
            pa.DataFrameSchema({col: spec}).validate(distinct, lazy=True)
        except pa.errors.SchemaErrors as exc:
            fc = exc.failure_cases.iloc[0]
            raise _structure_error(path, df, col, fc["check"], fc["failure_case"]) from exc
    try:
        return _numeric_schema(df).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases.iloc[0]
        line = None
        idx = fc.get("index")
        if idx is not None and not pd.isna(idx) and idx in df.index:
            line = int(df.loc[idx, "line"])
        raise IngestError(
            path,
            f"adapter output failed the canonical schema: {fc['check']}",
            line=line,
            column=str(fc["column"]),
            got=fc["failure_case"],
        ) from exc


def check_measures(df: pd.DataFrame, path: Path) -> None:
    measures = load_measures()
    unknown = ~df["measure"].isin(list(measures))
    if unknown.any():
        row = df.loc[unknown].iloc[0]
        raise IngestError(
            path,
            f"measure {row['measure']!r} is not in the measure registry",
            line=int(row["line"]),
            column="measure",
            expected="a measure defined in forecasting/reference/measures/*.toml",
        )
    expected_freq = df["measure"].map({m: measures[m].frequency for m in df["measure"].unique()})
    wrong = df["frequency"] != expected_freq
    if wrong.any():
        row = df.loc[wrong].iloc[0]
        raise IngestError(
            path,
            f"frequency {row['frequency']!r} for measure {row['measure']!r}",
            line=int(row["line"]),
            column="period",
            expected=f"frequency {measures[row['measure']].frequency!r}",
        )
    non_neg = [m for m in df["measure"].unique() if measures[m].non_negative]
    check_non_negative(df, path, non_neg)
    check_bounds(df, path)  # backstop for adapters that do not check bounds on their own columns


def validate_canonical(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Structure, registry and key checks on a geography-normalised frame."""
    df = check_structure(df, path)
    check_measures(df, path)
    check_unique(df, list(KEY_COLUMNS), path)
    return df
