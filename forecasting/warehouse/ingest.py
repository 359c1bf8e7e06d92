"""Ingest: parse files, normalise and validate, then write one vintage in one transaction.

All files of one call land together or not at all. A file whose (sha256, source) was ingested before is
skipped, so re-ingesting identical content adds nothing; a changed file adds only the rows whose value
differs from that source's latest (a revision), under a new vintage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecasting.reference.geography import canonical_code
from forecasting.reference.measures import load_measures
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import Source, get_source, load_manifest
from forecasting.sources.pull import sha256_file
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


def item_for_path(path: Path, source_id: str | None = None, release: str | None = None) -> IngestItem:
    """Identify a file: by pinned checksum, by an explicit ``--source``, or as a partner export."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path, "file not found")
    digest = sha256_file(path)
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
    measures = load_measures()
    if item.derive_clusters and any(measures[m].derive_clusters for m in df["measure"].unique()):
        derived = derive_cluster_rows(df, measures, load_clusters())
        if not derived.empty:
            df = pd.concat([df, derived[df.columns.intersection(derived.columns)]], ignore_index=True)
    df = df[["measure", "geography", "cluster", "frequency", "period", "value"]].copy()
    df["source"] = "synthetic" if synthetic else item.source
    df["release"] = item.release
    df["is_synthetic"] = synthetic
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def ingest(
    wh: Warehouse,
    items: Sequence[IngestItem],
    *,
    note: str = "",
    on_file: Callable[[IngestItem, str], None] | None = None,
    vintage: str | None = None,
) -> IngestReport:
    """Write every new row of ``items`` as one vintage, atomically."""
    vintage = vintage or new_vintage_id()
    report = IngestReport(vintage=None)
    staged: list[tuple[IngestItem, str, pd.DataFrame]] = []
    for item in items:
        digest = sha256_file(item.path)
        src = "synthetic" if item.synthetic else item.source
        seen = wh.con.execute(
            "SELECT count(*) FROM files WHERE sha256 = ? AND source IN (?, ?)", [digest, item.source, src]
        ).fetchone()[0]
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

    con = wh.con
    con.execute("BEGIN TRANSACTION")
    try:
        total = 0
        for item, digest, df in staged:
            df = df.assign(vintage=vintage, file_sha256=digest)
            con.register("staged_df", df)
            new = con.execute(
                """
                WITH latest AS (
                    SELECT measure, geography, cluster, frequency, period, source, value FROM observations
                    WHERE source = (SELECT any_value(source) FROM staged_df)
                    QUALIFY row_number() OVER (
                        PARTITION BY measure, geography, cluster, frequency, period, source
                        ORDER BY vintage DESC) = 1)
                SELECT s.* FROM staged_df s
                LEFT JOIN latest l USING (measure, geography, cluster, frequency, period, source)
                WHERE l.value IS NULL OR l.value <> s.value
                """
            ).df()
            con.unregister("staged_df")
            if not new.empty:
                con.register("new_df", new)
                con.execute(
                    "INSERT INTO observations SELECT measure, geography, cluster, frequency, period, value, "
                    "source, release, vintage, file_sha256, is_synthetic FROM new_df"
                )
                con.unregister("new_df")
            con.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    digest,
                    df["source"].iloc[0],
                    str(item.path),
                    item.release,
                    vintage,
                    len(new),
                    bool(df["is_synthetic"].iloc[0]),
                ],
            )
            total += len(new)
            report.files.append(
                {
                    "source": item.source,
                    "path": str(item.path),
                    "rows": len(df),
                    "new_rows": len(new),
                    "status": "ingested",
                }
            )
        con.execute(
            "INSERT INTO vintages VALUES (?, ?, ?, ?, ?)",
            [vintage, dt.datetime.now(dt.UTC).replace(tzinfo=None), total, len(staged), note],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.vintage = vintage
    report.new_rows = total
    return report
