"""Shared reading and checking for licensed partner exports (FDI projects, equity deals, company lists).

Partner exports are row-per-record CSVs; the adapters aggregate them to LA x cluster x year observations.
Everything that can be wrong in a row raises ``IngestError`` with file, line, column and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.reference.geography import load_geography
from forecasting.reference.measures import load_measures
from forecasting.sources.canonical import KEY_COLUMNS, check_bounds, check_non_negative, check_unique
from forecasting.sources.errors import IngestError

OUTPUT_COLUMNS: tuple[str, ...] = (
    "measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line", "is_synthetic",
)  # fmt: skip
RECORD_SOURCE = "record_source"
SYNTHETIC_MARK = "synthetic"
MAPPING_FILE = Path(__file__).parent / "cluster_mapping.csv"
CLUSTER_IDS: tuple[str, ...] = (
    "automotive", "aerospace", "rail", "space", "advanced-materials", "metals-engineering", "machinery-equipment",
    "electronics-photonics", "food-drink", "agri-tech", "life-sciences", "health-care", "low-carbon-energy",
    "environmental-services", "construction", "logistics", "creative-industries", "digital-tech",
    "financial-services", "professional-services", "textiles-fashion", "ceramics-minerals", "sport-leisure",
    "visitor-economy", "education-research",
)  # fmt: skip


def read_export(path: Path) -> pd.DataFrame:
    """Read every field as text with a ``line`` column (1-based file line where the record starts).

    The csv module is used (not pandas) so records with quoted newlines keep exact line numbers and short
    or long rows (truncated files) are reported rather than padded.
    """
    path = Path(path)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if not header:
                raise IngestError(path, "file is empty", line=1, expected="a header row and data rows")
            header = [h.strip() for h in header]
            start = reader.line_num + 1
            for row in reader:
                if row and any(f.strip() for f in row):
                    if len(row) != len(header):
                        raise IngestError(
                            path, f"row has {len(row)} fields but the header has {len(header)}", line=start,
                            expected=f"{len(header)} fields (truncated or mis-quoted row?)",
                        )  # fmt: skip
                    rows.append([f.strip() for f in row])
                    lines.append(start)
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise IngestError(path, "cannot decode file as UTF-8", expected="UTF-8 text") from exc
    except csv.Error as exc:
        raise IngestError(path, f"malformed CSV ({exc})", expected="balanced quotes") from exc
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise IngestError(
            path, f"duplicate column {dup!r}", line=1, column=dup, expected="unique column names"
        )
    df = pd.DataFrame(rows, columns=header, dtype=str)
    df["line"] = np.asarray(lines, dtype=int)
    if df.empty:
        raise IngestError(path, "no data rows", line=2, expected="at least one record")
    return df


def pick_column(df: pd.DataFrame, path: Path, *names: str, required: bool = True) -> str | None:
    """The first of ``names`` the file has (exports rename columns between versions), case-insensitively."""
    lower = {c.lower(): c for c in df.columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    if not required:
        return None
    raise IngestError(
        path, f"missing column {names[0]!r} (file has {[c for c in df.columns if c != 'line']})", line=1,
        column=names[0], expected="a column named " + " or ".join(repr(n) for n in names),
    )  # fmt: skip


def is_synthetic(df: pd.DataFrame, path: Path) -> bool:
    """Synthetic demo files carry ``record_source = synthetic`` (and a ``synthetic_`` file name)."""
    if RECORD_SOURCE in df.columns:
        return bool((df[RECORD_SOURCE].str.lower() == SYNTHETIC_MARK).any())
    return Path(path).name.lower().startswith("synthetic_")


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%b %Y", "%B %Y", "%Y-%m")


def parse_dates(
    values: pd.Series, lines: pd.Series, path: Path, column: str, *, not_after: dt.date | None = None
) -> pd.Series:
    """Dates as exports write them: 2019-03-14, 14/03/2019, Mar 2019, 2019-03. Blank or anything else fails.

    A date after ``not_after`` (default today) is refused: an export lists what has happened, and because
    a listing is complete (absent years are zeros), one mistyped 2099 would fabricate decades of zeros.
    """
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    bad = out.isna()
    if bad.any():
        i = bad.idxmax()
        raise IngestError(
            path, "unparseable date", line=int(lines[i]), column=column,
            expected="a date like 2019-03-14, 14/03/2019 or Mar 2019", got=values[i],
        )  # fmt: skip
    limit = not_after or dt.date.today()
    future = out > pd.Timestamp(limit)
    if future.any():
        i = future.idxmax()
        raise IngestError(
            path, "date in the future", line=int(lines[i]), column=column,
            expected=f"a date on or before {limit.isoformat()} (the export lists what has happened)", got=values[i],
        )  # fmt: skip
    return out


def parse_numbers(
    values: pd.Series,
    lines: pd.Series,
    path: Path,
    column: str,
    *,
    allow_blank: bool = False,
    measure: str | None = None,
) -> pd.Series:
    """Strict numbers (thousands separators allowed), never negative; blanks only where allowed.

    With ``measure``, each record must also lie within that measure's plausibility bounds, checked here
    (not only on the yearly sums) so the message names the record's own line.
    """
    s = values.str.replace(",", "", regex=False).str.replace("£", "", regex=False).str.strip()
    blank = s.isin(["", "-", "n/a", "N/A", "Undisclosed", "undisclosed"])
    num = pd.to_numeric(s.where(~blank), errors="coerce")
    bad = num.isna() & ~blank
    if bad.any():
        i = bad.idxmax()
        raise IngestError(path, "non-numeric value", line=int(lines[i]), column=column, expected="a number",
                          got=values[i])  # fmt: skip
    if blank.any() and not allow_blank:
        i = blank.idxmax()
        raise IngestError(
            path, "blank value", line=int(lines[i]), column=column, expected="a number", got=values[i]
        )
    neg = num < 0
    if neg.any():
        i = neg.idxmax()
        raise IngestError(path, "negative value", line=int(lines[i]), column=column, expected="a number >= 0",
                          got=values[i])  # fmt: skip
    inf = ~np.isfinite(num.fillna(0.0))
    if inf.any():
        i = inf.idxmax()
        raise IngestError(
            path, "infinite value", line=int(lines[i]), column=column, expected="a finite number"
        )
    if measure is not None:
        lo, hi = load_measures()[measure].plausible
        out_of = (num < lo) | (num > hi)
        if out_of.any():
            i = out_of.idxmax()
            raise IngestError(
                path, f"implausible value for {measure}", line=int(lines[i]), column=column,
                expected=f"a value within [{lo:,.6g}, {hi:,.6g}] {load_measures()[measure].unit} "
                "(the measure's plausibility bounds)", got=values[i],
            )  # fmt: skip
    return num.astype(float)


_GSS_LAD = re.compile(r"^[EWSN]\d{8}$")


def check_lads(values: pd.Series, lines: pd.Series, path: Path, column: str) -> pd.Series:
    """LA codes must be known LAD GSS codes; abolished districts are recoded to their successor unitary
    so a series does not break at a reorganisation (e.g. Corby 2015 -> North Northamptonshire)."""
    geo = load_geography()
    out = {}
    for code in values.unique():
        area = geo.areas.get(code)
        if not _GSS_LAD.match(code) or area is None or area.level != "lad":
            i = (values == code).idxmax()
            raise IngestError(
                path, "unknown local authority code", line=int(lines[i]), column=column,
                expected="a Local Authority District GSS code such as E08000025", got=code,
            )  # fmt: skip
        out[code] = area.successor or code
    return values.map(out)


@lru_cache(maxsize=1)
def _mapping() -> pd.DataFrame:
    m = pd.read_csv(MAPPING_FILE, dtype=str, keep_default_na=False, comment="#")
    bad = set(m["cluster"]) - set(CLUSTER_IDS) - {""}
    if bad:
        raise ValueError(f"{MAPPING_FILE.name}: unknown cluster ids {sorted(bad)}")
    return m


def cluster_labels(source: str) -> dict[tuple[str, str], str]:
    """(label lower-case, sub-label lower-case or '') -> cluster id ('' = counted only in "all")."""
    m = _mapping()
    m = m[m["source"] == source]
    return {
        (a.lower(), b.lower()): c for a, b, c in zip(m["label"], m["sub_label"], m["cluster"], strict=True)
    }


def source_labels(source: str) -> list[str]:
    """The labels (as written in the mapping file) of one partner source, e.g. the Data City RTIC tags."""
    m = _mapping()
    return sorted(set(m.loc[m["source"] == source, "label"]))


def map_labels(
    labels: pd.Series,
    lines: pd.Series,
    path: Path,
    column: str,
    source: str,
    sub_labels: pd.Series | None = None,
) -> pd.Series:
    """Partner sector label -> cluster id via ``cluster_mapping.csv``; a label not listed there is an error."""
    table = cluster_labels(source)
    known = {k[0] for k in table}
    subs = sub_labels if sub_labels is not None else pd.Series("", index=labels.index)
    out = []
    for pos, (lab, sub) in enumerate(zip(labels.str.lower(), subs.str.lower(), strict=True)):
        if lab not in known:
            raise IngestError(
                path, "unknown sector label", line=int(lines.iloc[pos]), column=column,
                expected=f"a {source} label listed in {MAPPING_FILE.name}", got=labels.iloc[pos],
            )  # fmt: skip
        out.append(table.get((lab, sub), table.get((lab, ""), "")))
    return pd.Series(out, index=labels.index, dtype=str)


def aggregate(
    records: pd.DataFrame,
    measures: Mapping[str, tuple[str, str]],
    keys: Sequence[str] = ("geography", "cluster", "period"),
) -> pd.DataFrame:
    """Sum (or count) record columns into long observations; ``measures`` = name -> (column, 'sum'|'count').

    An export lists every record, so a year without records for an area × cluster that has records in
    other years is a true zero: the grid is completed over the export's periods (line 1 = no record).
    """
    out = []
    g = records.groupby(list(keys), sort=True)
    *pair, period = keys
    pairs = records[list(pair)].drop_duplicates()
    periods = pd.DataFrame({period: sorted(records[period].unique())})
    grid = pd.MultiIndex.from_frame(pairs.merge(periods, how="cross")).sort_values()
    for name, (col, how) in measures.items():
        agg = g[col].count() if how == "count" else g[col].sum(min_count=1)
        present = agg.index
        agg = agg.reindex(grid)
        agg[~grid.isin(present)] = 0.0
        lines = g["line"].min().reindex(grid).fillna(1).astype(int)
        frame = pd.DataFrame({"value": agg.astype(float), "line": lines}).reset_index()
        frame["measure"] = name
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def with_all_cluster(records: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Add the ``all`` cluster: each record once (a record tagged to several clusters counts once in all)."""
    base = records.drop_duplicates(subset=[id_column]).copy()
    base["cluster"] = "all"
    tagged = records[records["cluster"] != ""]
    return pd.concat([tagged, base], ignore_index=True)


def finish(rows: pd.DataFrame, path: Path, synthetic: bool) -> pd.DataFrame:
    """Type the output columns (canonical columns + geo_system + is_synthetic), check keys and signs."""
    out = rows.copy()
    out["geo_system"] = "gss"
    out["frequency"] = "A"
    out["is_synthetic"] = bool(synthetic)
    out = out.loc[:, list(OUTPUT_COLUMNS)]
    out["period"] = pd.to_datetime(out["period"])
    out["value"] = out["value"].astype(float)
    out["line"] = out["line"].astype(int)
    out = out.dropna(subset=["value"])
    check_unique(out, KEY_COLUMNS, path)
    registry = load_measures()
    check_non_negative(
        out, path, [m for m in out["measure"].unique() if m in registry and registry[m].non_negative]
    )
    check_bounds(out, path)  # the yearly sums too (many plausible records can add up to an absurd total)
    return out.sort_values(["measure", "geography", "cluster", "period"]).reset_index(drop=True)


def year_start(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates.dt.year.astype(str) + "-01-01")


def require(df: pd.DataFrame, path: Path, names: Iterable[str]) -> None:
    for n in names:
        pick_column(df, path, n)
