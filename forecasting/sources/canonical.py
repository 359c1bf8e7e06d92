"""The canonical observation frame every adapter returns, and shared parsing checks.

Adapters turn a file into rows of ``OUTPUT_COLUMNS`` (finish with ``finish_frame``):

=========  ============================================================================
measure    name registered in ``forecasting/reference/measures.toml``
geography  the code as written in the file
geo_system its code system (gss, itl2021, itl2025, nuts2016, iso3, name, canonical); the warehouse
           maps it to the canonical code with ``forecasting.reference.geography.canonical_code``
cluster    ``"all"``, a cluster id, or a slice: ``sic-<code>`` (industry), ``ind-<slug>`` (ONS FDI
           industry group), ``partner-<slug>`` (ONS FDI partner area)
frequency  ``"A"`` (annual), ``"Q"`` (quarterly) or ``"M"`` (monthly)
period     ``pandas.Timestamp`` of the period start (annual 2015 -> 2015-01-01)
value      float
line       1-based line number in the source file (header = 1), for error messages
=========  ============================================================================

Optionally ``reference_year`` (Int64): the reference year of chained-volume / index rows, read off the
file by the adapter (see ``forecasting.units.chain_reference_years``).

The ingest step adds ``source``, ``release``, ``vintage`` and ``file_sha256``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.reference.measures import load_measures
from forecasting.sources.errors import IngestError

KEY_COLUMNS: tuple[str, ...] = ("measure", "geography", "cluster", "frequency", "period")
OUTPUT_COLUMNS: tuple[str, ...] = (
    "measure",
    "geography",
    "geo_system",
    "cluster",
    "frequency",
    "period",
    "value",
    "line",
)
# Optional column: the reference year of a chained-volume or index row (e.g. 2023 for "2023 prices"),
# where the adapter can read it off the file; the warehouse keeps it so a served series never mixes years.
REFERENCE_YEAR = "reference_year"
GEO_SYSTEMS = ("gss", "itl2021", "itl2025", "nuts2016", "iso3", "name", "canonical")
_CLUSTER = re.compile(r"^[A-Za-z0-9-]+$")


def read_csv(path: Path, *, encoding: str = "utf-8-sig", **kwargs) -> pd.DataFrame:
    """Read a CSV as strings, turning parser failures (truncation, bad quoting) into IngestError."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, **kwargs)
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"cannot decode file as {encoding}", expected=f"{encoding} text") from exc
    except pd.errors.EmptyDataError as exc:
        raise IngestError(path, "file is empty", expected="a header row and data rows") from exc
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise IngestError(
            path,
            f"malformed CSV ({exc})",
            line=int(m.group(1)) if m else None,
            expected="the same number of fields on every row and balanced quotes",
        ) from exc


def reject_first(
    mask: pd.Series | np.ndarray,
    path: Path,
    problem: str,
    *,
    lines: Sequence[int] | np.ndarray | pd.Series,
    column: str | None = None,
    expected: str | None = None,
    got: pd.Series | np.ndarray | None = None,
) -> None:
    """A vectorised check failed somewhere: name the first failing row's line (and its value)."""
    bad = np.asarray(mask, dtype=bool)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    raise IngestError(
        path,
        problem,
        line=int(np.asarray(lines)[i]),
        column=column,
        expected=expected,
        got=None if got is None else np.asarray(got, dtype=object)[i],
    )


def unreadable_parquet(path: Path, exc: BaseException) -> IngestError:
    """The one error for a Parquet file that cannot be opened (truncated, or not Parquet at all)."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return IngestError(
        path,
        f"cannot read the Parquet file ({first}); the file is truncated or not parquet",
        expected="a complete Parquet file in the long layout of SOURCES.md section 10",
    )


def require_columns(df: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    """Missing or renamed columns: name the first missing one and list what the file has."""
    have = list(df.columns)
    for col in columns:
        if col not in have:
            raise IngestError(
                path,
                f"missing column {col!r} (file has {have})",
                line=1,
                column=col,
                expected=f"a column named {col!r}",
            )


def to_number(
    values: pd.Series,
    path: Path,
    column: str,
    *,
    lines: Sequence[int] | pd.Series,
    thousands: bool = False,
    allow_blank: bool = True,
    blank_tokens: Iterable[str] = ("", "..", ":", "x", "c", "[c]", "[x]", "-", "NA", "na", "n/a"),
) -> pd.Series:
    """Parse numbers strictly: blanks/suppression markers become NaN, anything else is an error."""
    s = values.astype(str).str.strip()
    if thousands:
        s = s.str.replace(",", "", regex=False)
    blank = s.isin(list(blank_tokens))
    out = pd.to_numeric(s.where(~blank, None), errors="coerce")
    bad = out.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            path,
            "non-numeric value",
            line=int(np.asarray(lines)[i]),
            column=column,
            expected="a number",
            got=values.iloc[i],
        )
    if not allow_blank and blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise IngestError(
            path, "blank value", line=int(np.asarray(lines)[i]), column=column, expected="a number"
        )
    bad_inf = ~np.isfinite(out.fillna(0.0))
    if bad_inf.any():
        i = int(np.flatnonzero(bad_inf.to_numpy())[0])
        raise IngestError(
            path, "infinite value", line=int(np.asarray(lines)[i]), column=column, expected="a finite number"
        )
    return out.astype(float)


def check_unique(df: pd.DataFrame, keys: Sequence[str], path: Path) -> None:
    """Duplicate keys: name both lines."""
    dup = df.duplicated(list(keys), keep=False)
    if dup.any():
        rows = df.loc[dup].sort_values("line")
        first = rows.iloc[0]
        twin = rows[(rows[list(keys)] == first[list(keys)]).all(axis=1)].iloc[1]
        key = ", ".join(f"{k}={first[k]}" for k in keys if k != "line")
        raise IngestError(
            path,
            f"duplicate key ({key}) also on line {int(first['line'])}",
            line=int(twin["line"]),
            expected="one row per key",
        )


def check_non_negative(
    df: pd.DataFrame, path: Path, measures: Iterable[str], column_name: str = "value"
) -> None:
    """Counts, stocks of jobs etc. cannot be negative."""
    mask = df["measure"].isin(list(measures)) & (df["value"] < 0)
    if mask.any():
        row = df.loc[mask].iloc[0]
        raise IngestError(
            path,
            f"negative value for {row['measure']}, which cannot be negative",
            line=int(row["line"]),
            column=column_name,
            expected="a value >= 0",
            got=row["value"],
        )


def check_bounds(
    df: pd.DataFrame, path: Path, *, column_name: str = "value", columns: Sequence[str] | None = None
) -> None:
    """Values outside their measure's plausibility bounds (``Measure.plausible``) are refused.

    Why at ingest: a finite but absurd value (1e308 from a corrupt export or a unit slip) passes every
    type check and then poisons training (infinite quantiles, a MASE of 1e304). ``columns`` gives the
    source column per row (wide files), else ``column_name`` is reported.
    """
    registry = load_measures()
    known = [m for m in df["measure"].unique() if m in registry]
    if not known:
        return
    limits = {
        m: registry[m].plausible if m in registry else (-np.inf, np.inf) for m in df["measure"].unique()
    }
    lo = df["measure"].map({m: b[0] for m, b in limits.items()})  # a dict per distinct measure: vectorised
    hi = df["measure"].map({m: b[1] for m, b in limits.items()})
    value = df["value"].to_numpy(dtype=float)
    bad = (value < lo.to_numpy(float)) | (value > hi.to_numpy(float))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    row = df.iloc[i]
    m = registry[row["measure"]]
    low, high = m.plausible
    raise IngestError(
        path,
        f"implausible value for {row['measure']}",
        line=int(row["line"]),
        column=str(np.asarray(columns, dtype=object)[i]) if columns is not None else column_name,
        expected=f"a value within [{low:,.6g}, {high:,.6g}] {m.unit} (the measure's plausibility bounds)",
        got=float(row["value"]),
    )


def check_period_order(
    labels: Sequence[str], path: Path, *, what: str = "period columns", line: int = 1
) -> None:
    """Wide files must have strictly increasing period headers (a swapped column would shift a year)."""
    for a, b in zip(labels, labels[1:], strict=False):
        if str(b) <= str(a):
            raise IngestError(
                path,
                f"{what} out of order: {b!r} after {a!r}",
                line=line,
                expected="strictly increasing periods",
            )


def check_series_order(
    df: pd.DataFrame, path: Path, by: Sequence[str] = ("measure", "geography", "cluster")
) -> None:
    """Time-series-layout files list each series oldest first; a row out of order is a sign of corruption."""
    for _, g in df.groupby(list(by), sort=False):
        p = g["period"].to_numpy()
        bad = np.flatnonzero(p[1:] <= p[:-1])
        if bad.size:
            row = g.iloc[bad[0] + 1]
            raise IngestError(
                path,
                f"period {row['period']} out of order (after {g.iloc[bad[0]]['period']})",
                line=int(row["line"]),
                column="period",
                expected="periods in increasing order",
            )


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(1Y|3M|1M)$")
_Q = re.compile(r"^(\d{4})\s*Q([1-4])$")


def parse_year(text: str, path: Path, *, line: int, column: str) -> pd.Timestamp:
    t = str(text).strip()
    if re.fullmatch(r"\d{4}", t):
        return pd.Timestamp(int(t), 1, 1)
    raise IngestError(
        path, "unparseable year", line=line, column=column, expected="a year like 2019", got=text
    )


def parse_quarter(text: str, path: Path, *, line: int, column: str) -> pd.Timestamp:
    m = _Q.match(str(text).strip())
    if not m:
        raise IngestError(
            path,
            "unparseable quarter",
            line=line,
            column=column,
            expected="a quarter like '2019 Q3'",
            got=text,
        )
    return pd.Timestamp(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)


def parse_iso_period(text: str, path: Path, *, line: int, column: str) -> tuple[pd.Timestamp, str]:
    """ONS Explore Local Statistics periods: ``2015-01-01/P1Y`` -> (timestamp, 'A')."""
    m = _ISO.match(str(text).strip())
    if not m:
        raise IngestError(
            path,
            "unparseable period",
            line=line,
            column=column,
            expected="an ISO 8601 period like 2015-01-01/P1Y",
            got=text,
        )
    freq = {"1Y": "A", "3M": "Q", "1M": "M"}[m.group(4)]
    try:
        start = pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:  # 2022-13-01: the shape matched but it is no calendar date
        raise IngestError(
            path,
            f"period start is not a calendar date ({exc})",
            line=line,
            column=column,
            expected="an ISO 8601 period YYYY-MM-DD/P1Y|P3M|P1M with a real date, like 2015-01-01/P1Y",
            got=text,
        ) from exc
    return start, freq


def with_column(exc: IngestError, column: str) -> IngestError:
    """Re-issue a canonical-helper error with the source column it concerns (some helpers omit it)."""
    return IngestError(
        exc.file, exc.problem, line=exc.line, column=column, expected=exc.expected, got=exc.got
    )


def finish_frame(
    rows: pd.DataFrame, path: Path, *, key_column: str, value_column: str | None = None
) -> pd.DataFrame:
    """Type the output columns, check keys and signs, drop blank/suppressed values.

    ``key_column`` names the source column reported for a duplicate key (the one identifying the row);
    the value column reported for a negative count is ``value_column`` or, for wide files, the per-row
    ``value_column`` column of ``rows``.
    """
    out = rows.loc[:, list(OUTPUT_COLUMNS)].copy()
    if REFERENCE_YEAR in rows.columns:  # chained volumes / indices: the reference year read off the file
        out[REFERENCE_YEAR] = pd.array(rows[REFERENCE_YEAR].to_numpy(), dtype="Int64")
    out["period"] = pd.to_datetime(out["period"])
    out["value"] = out["value"].astype(float)
    out["line"] = out["line"].astype(int)
    for c in ("measure", "geography", "geo_system", "cluster", "frequency"):
        out[c] = out[c].astype(str)
    for col, ok in (
        ("geo_system", out["geo_system"].isin(GEO_SYSTEMS)),
        ("cluster", out["cluster"].str.match(_CLUSTER)),
        ("frequency", out["frequency"].isin(("A", "Q", "M"))),
    ):
        if not ok.all():
            row = out.loc[~ok].iloc[0]
            raise IngestError(path, f"invalid {col}", line=int(row["line"]), column=col, got=row[col])
    try:
        check_unique(out, KEY_COLUMNS, path)
    except IngestError as exc:
        raise with_column(exc, key_column) from exc
    registry = load_measures()
    non_negative = [m for m in out["measure"].unique() if m in registry and registry[m].non_negative]
    negative = (out["measure"].isin(non_negative) & (out["value"] < 0)).to_numpy()
    if negative.any():
        column = value_column or str(rows["value_column"].to_numpy()[np.flatnonzero(negative)[0]])
        check_non_negative(out, path, non_negative, column_name=column)
    if value_column or "value_column" not in rows.columns:
        check_bounds(out, path, column_name=value_column or "value")
    else:
        check_bounds(out, path, columns=rows["value_column"].to_numpy())
    return out.dropna(subset=["value"]).reset_index(drop=True)


def check_order(
    labels: list[str], path: Path, *, what: str, line: int, columns: list[str] | None = None
) -> None:
    """``canonical.check_period_order`` plus the offending column (``columns[i]`` names ``labels[i]``)."""
    try:
        check_period_order(labels, path, what=what, line=line)
    except IngestError as exc:
        i = next(i for i in range(1, len(labels)) if str(labels[i]) <= str(labels[i - 1]))
        raise with_column(exc, (columns or labels)[i]) from exc


def record_lines(path: Path, *, skip: int = 0, encoding: str = "utf-8-sig") -> np.ndarray:
    """File line number of every data record after the header, checking each has the header's width.

    pandas pads short rows with blanks, so a file cut off mid-row would otherwise lose values silently;
    this also gives exact line numbers when a file has blank lines. Empty lines are skipped, as pandas does.
    """
    out: list[int] = []
    line = skip
    try:
        with Path(path).open(encoding=encoding, newline="") as fh:
            for _ in range(skip):
                fh.readline()
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise IngestError(path, "file is empty", line=skip + 1, expected="a header row and data rows")
            width = len(header)
            line = skip + reader.line_num + 1
            for row in reader:
                if row:
                    if len(row) < width:
                        raise IngestError(
                            path,
                            f"row has {len(row)} fields but the header has {width} (truncated?)",
                            line=line,
                            column=header[len(row)],
                            expected=f"{width} fields",
                        )
                    if len(row) > width:
                        raise IngestError(
                            path,
                            f"row has {len(row)} fields but the header has {width}",
                            line=line,
                            expected=f"{width} fields",
                        )
                    out.append(line)
                line = skip + reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"cannot decode file as {encoding}", expected=f"{encoding} text") from exc
    except csv.Error as exc:
        raise IngestError(
            path, f"malformed CSV ({exc})", line=line, expected="balanced quotes (truncated file?)"
        ) from exc
    return np.asarray(out, dtype=int)


def check_row_count(df: pd.DataFrame, lines: np.ndarray, path: Path) -> None:
    """pandas and the csv module must agree on the records (else line numbers would be wrong)."""
    if len(df) != len(lines):
        raise IngestError(
            path, f"pandas read {len(df)} rows but the file has {len(lines)} records", expected="a plain CSV"
        )
