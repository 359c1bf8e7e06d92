"""Ingest: parse files, normalise and validate, then write one vintage in one transaction.

All files of one call land together or not at all. A file whose (sha256, source) was ingested before is
skipped, so re-ingesting identical content adds nothing; a changed file adds only the rows whose value
differs from that source's latest (a revision), under a new vintage. The tables themselves are created
inside that same transaction, so an ingest killed at any moment leaves either nothing or a whole vintage.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from forecasting.errors import InvalidParameter
from forecasting.reference.geography import canonical_code
from forecasting.reference.measures import load_measures
from forecasting.sources.canonical import REFERENCE_YEAR
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import Source, get_source, load_manifest
from forecasting.sources.pull import sha256_file
from forecasting.warehouse.schema import SCHEMA_SQL
from forecasting.warehouse.store import Warehouse
from forecasting.warehouse.validate import validate_canonical

Parser = Callable[[Path], pd.DataFrame]


@dataclass(frozen=True)
class IngestItem:
    source: str
    path: Path
    parser: Parser
    release: str
    synthetic: bool = False
    derive_clusters: bool = True


@dataclass
class IngestReport:
    vintage: str | None
    new_rows: int = 0
    files: list[dict] = field(default_factory=list)  # per file: source, path, rows_parsed, new_rows, status

    @property
    def changed(self) -> bool:
        return self.vintage is not None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_release(release: str, what: str = "--release") -> str:
    """A publisher release is an ISO date (YYYY-MM-DD) not after today.

    Why strict: releases are compared as text to pick the latest value and for ``--as-of`` dates, so
    ``notadate`` would sort after every real date and stay "latest" forever.
    """
    text = str(release).strip()
    try:
        day = dt.date.fromisoformat(text) if _ISO_DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidParameter(f"{what} must be an ISO date YYYY-MM-DD (e.g. 2025-06-01), got {release!r}")
    if day > dt.date.today():
        raise InvalidParameter(
            f"{what} {text} is in the future: a publisher release date is on or before today "
            f"({dt.date.today().isoformat()})"
        )
    return text


def new_vintage_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def items_from_manifest(cache: Path, sources: Iterable[Source] | None = None) -> list[IngestItem]:
    out = []
    for s in sources or load_manifest():
        if s.ingestible:
            out.append(
                IngestItem(
                    s.id, cache / s.path, s.load_parser(), s.release, derive_clusters=s.derive_clusters
                )
            )
    return out


def _why_missing(path: Path) -> str:
    """``exists()`` is False for a missing file, but also for a symbolic link loop or a dangling link."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 raises RuntimeError for a loop
            return "is a symbolic link loop (it points back to itself), not a file"
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "is a symbolic link loop (it points back to itself), not a file"
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        return f"is a symbolic link to {os.readlink(path)}, which cannot be read"
    return "file not found"


def _not_regular(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"


def item_for_path(path: Path, source_id: str | None = None, release: str | None = None) -> IngestItem:
    """Identify a file: by pinned checksum, by an explicit ``--source``, or as a partner export."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path, _why_missing(path), expected="a data file")
    if not path.is_file():
        raise IngestError(
            path,
            "is a directory, not a file" if path.is_dir() else _not_regular(path),
            expected="a data file (to ingest a folder, list its files: DIR/*.csv)",
        )
    if release is not None:
        try:
            release = check_release(release)
        except InvalidParameter as exc:  # name the file too: several may be ingested at once
            raise InvalidParameter(f"{exc} (for {path})") from None
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise IngestError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    today = dt.date.today().isoformat()
    if source_id:
        s = get_source(source_id)
        if not s.ingestible:
            raise IngestError(path, f"source {source_id!r} is {s.kind} data, not ingested into the warehouse")
        return IngestItem(
            s.id,
            path,
            s.load_parser(),
            release or (s.release if digest == s.sha256 else today),
            derive_clusters=s.derive_clusters,
        )
    for s in load_manifest():
        if s.sha256 == digest and s.ingestible:
            return IngestItem(
                s.id, path, s.load_parser(), release or s.release, derive_clusters=s.derive_clusters
            )
    for s in load_manifest():
        if Path(s.path).name == path.name and s.ingestible:
            raise IngestError(
                path,
                f"content differs from the pinned checksum of source {s.id!r} (file corrupted, or a new release); "
                f"refusing it. To ingest a new release deliberately pass --source {s.id} [--release YYYY-MM-DD]",
                expected=f"sha256 {s.sha256}",
                got=digest,
            )
    from forecasting.sources.partner.detect import detect_partner_file

    partner = detect_partner_file(path)
    if partner is not None:
        source, parser, synthetic = partner
        return IngestItem(source, path, parser, release or today, synthetic)
    raise IngestError(
        path,
        "not a pinned source file and not a recognised partner export",
        expected="a file listed in forecasting/sources/manifest.toml, --source ID, or an FDI project / equity deal / company list export",
    )


def normalise_geography(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Map each (code, system) to the canonical code once; an unknown code names its first line."""
    pairs = df[["geography", "geo_system"]].drop_duplicates()
    mapping: dict[tuple[str, str], str] = {}
    for code, system in pairs.itertuples(index=False):
        try:
            mapping[(code, system)] = canonical_code(code, system)
        except KeyError as exc:
            bad = df[(df["geography"] == code) & (df["geo_system"] == system)].iloc[0]
            raise IngestError(
                path,
                f"unknown geography code {code!r} ({system})",
                line=int(bad["line"]),
                column="geography",
                expected="a code in the geography lookup (forecasting/reference/geography)",
            ) from exc
    keys = list(zip(df["geography"], df["geo_system"], strict=True))
    out = df.copy()
    out["geography"] = [mapping[k] for k in keys]
    return out


def check_not_after_release(df: pd.DataFrame, item: IngestItem) -> None:
    """No period may start after the file's release date (or today): nobody publishes the future, and a
    stray 2099 in a complete listing would otherwise be zero-filled back to the last real year."""
    limit = min(dt.date.fromisoformat(check_release(item.release, "release")), dt.date.today())
    late = df["period"] > pd.Timestamp(limit)
    if not late.any():
        return
    rows = df.loc[late]
    real = rows[rows["line"] > 1]  # completed listings mark filled-in zeros with the header line
    row = (real if not real.empty else rows).iloc[0]
    raise IngestError(
        item.path,
        f"period starting {row['period'].date().isoformat()} ({row['measure']}) is after the release "
        f"date {item.release}",
        line=int(row["line"]),
        column="period",
        expected=f"periods starting on or before {limit.isoformat()} (release date or today)",
    )


def reference_years(df: pd.DataFrame, measures: dict) -> pd.Series:
    """Each row's reference year: as read off the file by the adapter, else the measure registry's
    ``base_year`` for chained-volume and index measures (the year the registry documents), else NULL."""
    default = df["measure"].map({m: measures[m].base_year for m in df["measure"].unique()}).astype("Int64")
    if REFERENCE_YEAR in df.columns:
        return df[REFERENCE_YEAR].astype("Int64").fillna(default)
    return default


def check_rebasing(wh: Warehouse, staged: Sequence[tuple[IngestItem, str, pd.DataFrame]]) -> None:
    """Reference years of a series never go backwards in release order (nothing is spliced onto a rebase).

    A file that puts older-base levels after a rebased release (or a rebased one before an old one) would
    make the as-of views of the dates in between disagree about what "the latest release" means in levels;
    it is refused, naming the file and the release it conflicts with, before anything is written.
    """
    keys = ["measure", "geography", "cluster", "frequency"]
    parts = []
    for item, _, df in staged:
        based = df[df["reference_year"].notna()]
        if not based.empty:
            parts.append(
                based.groupby(keys, as_index=False)
                .agg(reference_year=("reference_year", "max"), low=("reference_year", "min"))
                .assign(release=item.release, path=str(item.path))
            )
    if not parts:
        return
    new = pd.concat(parts, ignore_index=True)
    for _, row in new[new["low"] != new["reference_year"]].head(1).iterrows():
        raise IngestError(
            Path(row["path"]),
            f"series {row['measure']}.{row['geography']}.{row['cluster']}.{row['frequency']} mixes reference "
            f"years {int(row['low'])} and {int(row['reference_year'])} in one file",
            column="reference_year",
            expected="one reference year per series and release",
        )
    if wh.has_schema:
        con = wh._con.cursor()  # its own cursor: the file-seen queries above may hold a pending result
        con.register("new_bases", new[[*keys]].drop_duplicates())
        old = con.execute(
            """SELECT DISTINCT o.measure, o.geography, o.cluster, o.frequency, o.release, o.reference_year,
                      f.path
               FROM observations o JOIN new_bases USING (measure, geography, cluster, frequency)
               LEFT JOIN files f ON f.sha256 = o.file_sha256 AND f.source = o.source
               WHERE o.reference_year IS NOT NULL"""
        ).df()
        con.unregister("new_bases")
        con.close()
    else:
        old = pd.DataFrame(columns=[*keys, "release", "reference_year", "path"])
    fresh = new[[*keys, "release", "reference_year", "path"]]
    every = pd.concat([old, fresh], ignore_index=True) if not old.empty else fresh.copy()
    every["reference_year"] = every["reference_year"].astype(int)
    # one vectorised pass finds the series whose reference year falls in release order (there are
    # thousands of series, almost never one that falls); only those are walked to name the culprit
    ordered = every.sort_values([*keys, "release", "reference_year"], kind="stable")
    so_far = ordered.groupby(keys, sort=False)["reference_year"].cummax()
    before = so_far.groupby([ordered[k] for k in keys], sort=False).shift(1)
    falls = (ordered["reference_year"] < before).to_numpy()
    if not falls.any():
        return
    bad = set(ordered.loc[falls, keys].itertuples(index=False, name=None))
    for key, g in every.groupby(keys, sort=False):
        if key not in bad:
            continue
        g = g.sort_values(["release", "reference_year"])
        years = g["reference_year"].to_numpy()
        drops = np.flatnonzero(years[1:] < np.maximum.accumulate(years)[:-1])
        if not drops.size:
            continue
        late = g.iloc[drops[0] + 1]
        base = g.iloc[: drops[0] + 1].sort_values("reference_year").iloc[-1]
        staged_paths = set(new["path"])
        culprit, other = (late, base) if late["path"] in staged_paths else (base, late)
        raise IngestError(
            Path(culprit["path"]),
            f"rebasing goes backwards for {late['measure']}.{late['geography']}.{late['cluster']}."
            f"{late['frequency']}: release {late['release']} is on reference year {int(late['reference_year'])} "
            f"but the earlier release {base['release']} ({other['path']}) is already on "
            f"{int(base['reference_year'])}; levels of different reference years are never spliced",
            column="reference_year",
            expected=f"reference year >= {int(base['reference_year'])} for a release after {base['release']}",
        )


def prepare(item: IngestItem) -> pd.DataFrame:
    """Parse, normalise, validate and derive cluster series for one file (no warehouse access)."""
    from forecasting.reference.clusters import load_clusters
    from forecasting.warehouse.derive_clusters import derive_cluster_rows

    raw = item.parser(item.path)
    if raw.empty:
        raise IngestError(item.path, "no observations found", expected="at least one data row")
    synthetic = bool(raw["is_synthetic"].any()) if "is_synthetic" in raw.columns else item.synthetic
    df = normalise_geography(raw, item.path)
    df = validate_canonical(df, item.path)
    check_not_after_release(df, item)
    measures = load_measures()
    if item.derive_clusters and any(measures[m].derive_clusters for m in df["measure"].unique()):
        derived = derive_cluster_rows(df, measures, load_clusters())
        if not derived.empty:
            df = pd.concat([df, derived[df.columns.intersection(derived.columns)]], ignore_index=True)
    keep = ["measure", "geography", "cluster", "frequency", "period", "value"]
    df = df[keep + [REFERENCE_YEAR] if REFERENCE_YEAR in df.columns else keep].copy()
    df["reference_year"] = reference_years(df, measures)
    df["source"] = "synthetic" if synthetic else item.source
    df["release"] = item.release
    df["is_synthetic"] = synthetic
    # midnight timestamps, not Python dates: DuckDB stores them in the DATE column as the same days and
    # reads a datetime64 column far faster than millions of date objects
    # (``check_structure`` made the column datetime64[ns]; ``to_datetime`` on it would still build its cache)
    period = df["period"]
    df["period"] = (period if period.dtype == "datetime64[ns]" else pd.to_datetime(period)).dt.normalize()
    return df


def ingest(
    wh: Warehouse,
    items: Sequence[IngestItem],
    *,
    note: str = "",
    on_file: Callable[[IngestItem, str], None] | None = None,
    vintage: str | None = None,
) -> IngestReport:
    """Write every new row of ``items`` as one vintage, atomically (tables created in the same transaction)."""
    vintage = vintage or new_vintage_id()
    report = IngestReport(vintage=None)
    staged: list[tuple[IngestItem, str, pd.DataFrame]] = []
    for item in items:
        check_release(item.release, f"release of {item.path}")
        digest = sha256_file(item.path)
        src = "synthetic" if item.synthetic else item.source
        seen = (
            wh.has_schema
            and wh._con.execute(
                "SELECT count(*) FROM files WHERE sha256 = ? AND source IN (?, ?)", [digest, item.source, src]
            ).fetchone()[0]
        )
        if seen:
            report.files.append(
                {
                    "source": item.source,
                    "path": str(item.path),
                    "rows": 0,
                    "new_rows": 0,
                    "status": "unchanged",
                }
            )
            if on_file:
                on_file(item, "unchanged")
            continue
        df = prepare(item)  # raises IngestError before any write
        staged.append((item, digest, df))
        if on_file:
            on_file(item, f"parsed {len(df):,} rows")
    if not staged:
        return report
    check_rebasing(wh, staged)  # raises IngestError before any write

    con = wh._con
    # sources with rows already: only their files need the revision check; the first file of a source
    # (every file of a fresh warehouse) is new row for row, so it is inserted without reading anything back
    known = (
        {r[0] for r in con.execute("SELECT DISTINCT source FROM observations").fetchall()}
        if wh.has_schema
        else set()
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(SCHEMA_SQL)  # inside the transaction: a kill here leaves no half-made schema
        total = 0
        for item, digest, df in staged:
            source = str(df["source"].iloc[0])
            n_new = write_file(
                con, item, df.assign(vintage=vintage, file_sha256=digest), first_of_source=source not in known
            )
            known.add(source)
            total += n_new
            report.files.append(
                {
                    "source": item.source,
                    "path": str(item.path),
                    "rows": len(df),
                    "new_rows": n_new,
                    "status": "ingested",
                }
            )
        if total == 0:  # new bytes, same rows (a re-download): no vintage without a single new value
            con.execute("ROLLBACK")
            for f in report.files[-len(staged) :]:
                f["status"] = "unchanged"
            return report
        con.execute(
            "INSERT INTO vintages VALUES (?, ?, ?, ?, ?)",
            [vintage, dt.datetime.now(dt.UTC).replace(tzinfo=None), total, len(staged), note],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    wh.has_schema = True
    report.vintage = vintage
    report.new_rows = total
    return report


def write_file(
    con: duckdb.DuckDBPyConnection, item: IngestItem, df: pd.DataFrame, *, first_of_source: bool = False
) -> int:
    """Inside the ingest transaction: insert one file's new or revised rows and its file record; returns
    how many rows were inserted.

    ``first_of_source``: the warehouse holds no row of this source yet, so every row is new (what the
    revision query would return) and the rows go straight in: no scan of the observations, no round trip
    of the frame through pandas (most of a fresh ingest's write time).
    """
    insert = (
        "INSERT INTO observations (measure, geography, cluster, frequency, period, value, source, release, "
        "vintage, file_sha256, is_synthetic, reference_year) SELECT measure, geography, cluster, frequency, "
        "period, value, source, release, vintage, file_sha256, is_synthetic, reference_year FROM {}"
    )
    if first_of_source:
        con.register("staged_df", df)
        con.execute(insert.format("staged_df"))
        con.unregister("staged_df")
        n_new = len(df)
    else:
        con.register("staged_df", df)
        new = con.execute(
            """
            WITH latest AS (
                SELECT measure, geography, cluster, frequency, period, source, value, reference_year
                FROM observations
                WHERE source = (SELECT any_value(source) FROM staged_df)
                QUALIFY row_number() OVER (
                    PARTITION BY measure, geography, cluster, frequency, period, source
                    ORDER BY vintage DESC) = 1)
            SELECT s.* FROM staged_df s
            LEFT JOIN latest l USING (measure, geography, cluster, frequency, period, source)
            WHERE l.value IS NULL OR l.value <> s.value OR l.reference_year IS DISTINCT FROM s.reference_year
            """
        ).df()
        con.unregister("staged_df")
        if not new.empty:
            con.register("new_df", new)
            con.execute(insert.format("new_df"))
            con.unregister("new_df")
        n_new = len(new)
    con.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            df["file_sha256"].iloc[0],
            df["source"].iloc[0],
            str(item.path),
            item.release,
            df["vintage"].iloc[0],
            n_new,
            bool(df["is_synthetic"].iloc[0]),
        ],
    )
    return n_new
