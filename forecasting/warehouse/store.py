"""The DuckDB warehouse: vintaged observations, ``as_of`` views and the series catalogue.

Every row keeps its source, publisher release, ingest vintage and the raw file's sha256. The *current*
value of an observation key is the row from the latest publisher release, ties broken by the latest
vintage. ``as_of`` restricts what is visible: a vintage id shows the warehouse as it stood after that
ingest; a date (YYYY-MM-DD) shows only data the publishers had released by then (for real-time backtests).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import duckdb
import pandas as pd

from forecasting.errors import InvestError
from forecasting.vocabulary import period_label
from forecasting.warehouse.schema import MIGRATIONS_SQL, TABLE_COLUMNS
from forecasting.warehouse.schema import OBSERVATION_COLUMNS as STORED_COLUMNS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What ``Warehouse.observations`` returns, in order; rows are sorted by series id, then period.
OBSERVATION_COLUMNS = ("series_id", *STORED_COLUMNS)
_SERIES_ID_SQL = "measure || '.' || geography || '.' || cluster || '.' || frequency"


class WarehouseError(InvestError):
    """The warehouse cannot answer (missing file, unknown vintage)."""


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file; the usual reasons it cannot be opened become one-line ``WarehouseError``s."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "Could not set lock" in text:
            pid = re.search(r"PID (\d+)", text)
            holder = f" (process {pid.group(1)})" if pid else ""
            raise WarehouseError(
                f"warehouse {path} is in use by another process{holder} that holds its write lock: wait "
                "for that ingest or training to finish, or stop it, then retry"
            ) from None
        if "not a valid DuckDB database" in text:
            raise WarehouseError(
                f"warehouse {path} is not a DuckDB database (corrupted, or another kind of file): move it "
                "aside and rebuild it with `invest data ingest`"
            ) from None
        if "Permission denied" in text or "Read-only file system" in text:
            mode = "reading" if read_only else "writing"
            raise WarehouseError(
                f"warehouse {path} cannot be opened for {mode} ({text}): check the file's and its folder's "
                "permissions, or point INVEST_WAREHOUSE_PATH at a writable copy"
            ) from None
        raise WarehouseError(f"cannot open warehouse {path}: {text}") from None


def _schema_state(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """True when every table exists with its columns, False when none does (a new or emptied file).

    Anything in between (an older file killed while its tables were being created, or a foreign schema)
    is a ``WarehouseError`` naming what is missing, never a query failing later with a traceback.
    """
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(table, set()).add(column)
    ours = {t: have[t] for t in TABLE_COLUMNS if t in have}
    if not ours:
        return False
    missing = [t for t in TABLE_COLUMNS if t not in have]
    lacking = {t: sorted(set(cols) - ours[t]) for t, cols in TABLE_COLUMNS.items() if t in ours}
    lacking = {t: c for t, c in lacking.items() if c}
    if not missing and lacking == {"observations": ["reference_year"]}:
        raise WarehouseError(
            f"warehouse {path} was made before reference years were kept: run `invest data ingest` once "
            "(it adds the column; chained-volume series then show their reference-year releases only)"
        )
    if missing or lacking:
        what = (f"missing tables {missing}" if missing else "") + (
            f"{'; ' if missing else ''}tables lacking columns {lacking}" if lacking else ""
        )
        raise WarehouseError(
            f"warehouse {path} has an incomplete schema ({what}): it was interrupted while being created or "
            "is not this project's warehouse; move it aside and rebuild it with `invest data ingest`"
        )
    return True


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring an older warehouse's tables up to date (columns added since; existing rows keep NULL)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'observations'"
    ).fetchone()[0]
    if exists:
        con.execute(MIGRATIONS_SQL)


class Warehouse:
    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise WarehouseError(f"warehouse path {self.path} is a directory; expected a DuckDB file")
        if read_only and not self.path.exists():
            raise WarehouseError(
                f"warehouse {self.path} does not exist yet: run `invest data ingest` (or `invest run`)"
            )
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseError(
                    f"cannot create the warehouse folder {self.path.parent} ({exc.strerror or exc})"
                ) from None
        self._con = _connect(self.path, read_only)
        try:
            if not read_only:
                _migrate(self._con)
            # tables are created by the first ingest, inside its transaction (never half a schema)
            self.has_schema = _schema_state(self._con, self.path)
        except BaseException:
            self._con.close()
            raise
        if read_only and not self.has_schema:
            self._con.close()
            raise WarehouseError(
                f"warehouse {self.path} holds no data yet: run `invest data ingest` (or `invest run`)"
            )

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- counts and vintages ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        if not self.has_schema:
            return {"observations": 0, "files": 0, "vintages": 0}
        q = "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM files), (SELECT count(*) FROM vintages)"
        obs, files, vint = self._con.execute(q).fetchone()
        return {"observations": obs, "files": files, "vintages": vint}

    def _require_data(self) -> None:
        if not self.has_schema:
            raise WarehouseError(
                f"warehouse {self.path} holds no data yet: run `invest data ingest` (or `invest run`)"
            )

    def vintages(self) -> pd.DataFrame:
        self._require_data()
        return self._con.execute(
            "SELECT v.vintage, v.created_at, v.n_rows, v.n_files, v.note, "
            "string_agg(f.source, ',' ORDER BY f.source) AS sources "
            "FROM vintages v LEFT JOIN files f USING (vintage) GROUP BY ALL ORDER BY v.vintage"
        ).df()

    def latest_vintage(self) -> str | None:
        if not self.has_schema:
            return None
        row = self._con.execute("SELECT max(vintage) FROM vintages").fetchone()
        return row[0] if row else None

    def vintage_created(self, vintage: str) -> pd.Timestamp:
        """When a vintage was ingested: the 'present' of forecasts trained on it."""
        self._require_data()
        row = self._con.execute("SELECT created_at FROM vintages WHERE vintage = ?", [vintage]).fetchone()
        if row is None:
            raise WarehouseError(f"unknown vintage {vintage!r}: see `invest data vintages`")
        return pd.Timestamp(row[0])

    def files(self) -> pd.DataFrame:
        self._require_data()
        return self._con.execute("SELECT * FROM files ORDER BY vintage, source").df()

    # ---- the visible view ---------------------------------------------------------------------------
    def _visible_sql(self, as_of: str | None) -> tuple[str, list]:
        """SQL (and parameters) selecting every observation row visible ``as_of``."""
        self._require_data()
        if as_of is None:
            return "SELECT * FROM observations", []
        if _DATE.match(as_of):
            return "SELECT * FROM observations WHERE release <= ?", [as_of]
        known = self._con.execute("SELECT count(*) FROM vintages WHERE vintage = ?", [as_of]).fetchone()[0]
        if not known:
            latest = self.latest_vintage()
            raise WarehouseError(
                f"unknown vintage {as_of!r}: expected a vintage id from `invest data vintages` "
                f"(latest {latest!r}) or a release date YYYY-MM-DD"
            )
        return "SELECT * FROM observations WHERE vintage <= ?", [as_of]

    def observations(
        self,
        *,
        measures: Sequence[str] | None = None,
        geographies: Sequence[str] | None = None,
        clusters: Sequence[str] | None = None,
        frequency: str | None = None,
        as_of: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Current value per observation key (as of ``as_of``), with provenance.

        ``columns``: only these of ``OBSERVATION_COLUMNS``, same rows in the same order (a reader of a
        million rows that needs few columns skips converting the others, the long strings especially).
        """
        if columns is not None and (unknown := set(columns) - set(OBSERVATION_COLUMNS)):
            raise WarehouseError(
                f"unknown observation columns {sorted(unknown)}: expected {OBSERVATION_COLUMNS}"
            )
        base, params = self._visible_sql(as_of)
        where, wparams = [], []
        for col, vals in (("measure", measures), ("geography", geographies), ("cluster", clusters)):
            if vals:
                where.append(f"{col} IN (SELECT unnest(?))")
                wparams.append(list(vals))
        if frequency:
            where.append("frequency = ?")
            wparams.append(frequency)
        filt = (" WHERE " + " AND ".join(where)) if where else ""
        select = ", ".join(
            f"{_SERIES_ID_SQL} AS series_id" if c == "series_id" else c
            for c in (columns or OBSERVATION_COLUMNS)
        )
        # A chained-volume (or index) series is served in the reference year of its latest visible release
        # only: a rebased release replaces the whole history, older-base periods are never spliced on.
        sql = f"""
            WITH visible AS ({base}), filtered AS (SELECT * FROM visible {filt}), based AS (
                SELECT *, first_value(reference_year) OVER (
                    PARTITION BY measure, geography, cluster, frequency
                    ORDER BY release DESC, vintage DESC, source) AS served_reference_year
                FROM filtered), chosen AS (
                SELECT * FROM based WHERE reference_year IS NOT DISTINCT FROM served_reference_year
                QUALIFY row_number() OVER (
                    PARTITION BY measure, geography, cluster, frequency, period
                    ORDER BY release DESC, vintage DESC, source) = 1)
            SELECT {select}
            FROM chosen ORDER BY {_SERIES_ID_SQL}, period
        """
        df = self._con.execute(sql, params + wparams).df()
        if "period" in df:
            df["period"] = pd.to_datetime(df["period"])
        return df

    def panel(self, **filters) -> pd.DataFrame:
        """Observations for modelling (same columns as ``observations``)."""
        return self.observations(**filters)

    def series(self, series_id: str, as_of: str | None = None) -> pd.DataFrame:
        from forecasting.vocabulary import parse_series_id

        try:
            measure, geography, cluster, frequency = parse_series_id(series_id)
        except ValueError as exc:
            raise WarehouseError(f"{exc} (see `invest data list`)") from None
        df = self.observations(
            measures=[measure], geographies=[geography], clusters=[cluster], frequency=frequency, as_of=as_of
        )
        if df.empty:
            raise WarehouseError(
                f"no observations for series {series_id!r}" + (f" as of {as_of}" if as_of else "")
            )
        df["label"] = [period_label(p, frequency) for p in df["period"]]
        return df

    def releases(self, series_id: str) -> pd.DataFrame:
        """Every publisher release holding ``series_id``: source, release, reference year, first and last
        period, rows. What a real-time replay iterates over (``series(sid, as_of=release)`` is each view)."""
        from forecasting.vocabulary import parse_series_id

        self._require_data()
        try:
            key = list(parse_series_id(series_id))
        except ValueError as exc:
            raise WarehouseError(f"{exc} (see `invest data list`)") from None
        df = self._con.execute(
            """SELECT source, release, reference_year, min(period) AS first, max(period) AS last,
                      count(DISTINCT period) AS n
               FROM observations WHERE measure = ? AND geography = ? AND cluster = ? AND frequency = ?
               GROUP BY source, release, reference_year ORDER BY release, source""",
            key,
        ).df()
        if df.empty:
            raise WarehouseError(f"no observations for series {series_id!r}")
        freq = key[3]
        df["first"] = [period_label(p, freq) for p in pd.to_datetime(df["first"])]
        df["last"] = [period_label(p, freq) for p in pd.to_datetime(df["last"])]
        df["reference_year"] = df["reference_year"].astype("Int64")
        return df

    # ---- reads behind ``snapshot.Snapshot`` (the package's read contract) -------------------------------
    def _measures(self) -> list[str]:
        self._require_data()
        rows = self._con.execute("SELECT DISTINCT measure FROM observations ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def _release_rows(
        self,
        *,
        series_ids: Sequence[str] | None,
        measures: Sequence[str] | None,
        geographies: Sequence[str] | None,
        as_of: str | None,
    ) -> pd.DataFrame:
        """Every visible row of every release, optionally of some series, measures and geographies."""
        base, params = self._visible_sql(as_of)
        where, wparams = [], []
        if series_ids is not None:
            where.append("series_id IN (SELECT unnest(?))")
            wparams.append(list(series_ids))
        for col, vals in (("measure", measures), ("geography", geographies)):
            if vals is not None:
                where.append(f"{col} IN (SELECT unnest(?))")
                wparams.append(list(vals))
        filt = (" WHERE " + " AND ".join(where)) if where else ""
        df = self._con.execute(
            f"""
            WITH visible AS ({base}), keyed AS (
                SELECT measure || '.' || geography || '.' || cluster || '.' || frequency AS series_id, *
                FROM visible)
            SELECT series_id, measure, geography, cluster, frequency, period, value, source, release,
                   vintage, reference_year
            FROM keyed {filt}
            ORDER BY series_id, release, vintage, period, source
            """,
            params + wparams,
        ).df()
        df["period"] = pd.to_datetime(df["period"])
        return df

    def _series_rows(self, key: Sequence[str]) -> pd.DataFrame:
        """Every row of one series (measure, geography, cluster, frequency) in release order."""
        self._require_data()
        return self._con.execute(
            """
            SELECT period, value, release, source, vintage, reference_year FROM observations
            WHERE measure = ? AND geography = ? AND cluster = ? AND frequency = ?
            ORDER BY release, vintage, source, period
            """,
            list(key),
        ).df()

    def _replayable_series(self, measures: Sequence[str] | None) -> list[str]:
        self._require_data()
        where = "WHERE measure IN (SELECT unnest(?))" if measures else ""
        rows = self._con.execute(
            f"""
            SELECT measure || '.' || geography || '.' || cluster || '.' || frequency AS series_id
            FROM observations {where}
            GROUP BY ALL HAVING count(DISTINCT release) > 1 ORDER BY 1
            """,
            [list(measures)] if measures else [],
        ).fetchall()
        return [r[0] for r in rows]

    def _quiet(self) -> None:
        """No DuckDB progress bar on a reader's terminal (cosmetic; older duckdb lacks the option)."""
        with contextlib.suppress(duckdb.Error):
            self._con.execute("SET enable_progress_bar = false")

    def catalogue(
        self,
        *,
        measures: Sequence[str] | None = None,
        geographies: Sequence[str] | None = None,
        clusters: Sequence[str] | None = None,
        frequency: str | None = None,
        geography_level: str | None = None,
        as_of: str | None = None,
        present: pd.Timestamp | str | None = None,
    ) -> pd.DataFrame:
        """One row per series: identity, unit (and its currency, price basis, base year …), coverage, sources;
        with ``present``, how current each is then (``months_behind``, ``stale``, ``stale_reason``)."""
        obs = self.observations(
            measures=measures, geographies=geographies, clusters=clusters, frequency=frequency, as_of=as_of
        )
        return catalogue_from_observations(obs, geography_level=geography_level, present=present)

    def measure_summary(self) -> pd.DataFrame:
        """What the warehouse holds, one row per measure: series, geography levels, frequencies, coverage
        (every period held), sources (of each period's newest release) and synthetic series.

        Why not ``catalogue()``: that builds the served view of each of ~116,000 series in pandas (about 20
        CPU-seconds) only to be counted; one grouped query gives the same counts in well under a second.
        """
        from forecasting.reference.geography import load_geography

        self._require_data()
        per = self._con.execute(
            """WITH s AS (
                   SELECT measure, geography, cluster, frequency, min(period) AS first, max(period) AS last,
                          bool_or(is_synthetic) AS synthetic
                   FROM observations GROUP BY ALL)
               SELECT measure, geography, frequency, count(*) AS series, min(first) AS first,
                      max(last) AS last, sum(synthetic::INTEGER) AS synthetic
               FROM s GROUP BY ALL"""
        ).df()
        # the source of each period's newest release (what is served), not every release ever ingested
        sources = self._con.execute(
            """SELECT measure, string_agg(DISTINCT source, ',' ORDER BY source) AS source
               FROM (SELECT measure, arg_max(source, release || vintage) AS source FROM observations
                     GROUP BY measure, geography, cluster, frequency, period)
               GROUP BY measure"""
        ).df()
        geo = load_geography()
        per["level"] = per["geography"].map({c: geo.level(c) for c in per["geography"].unique()})
        per["start"] = [
            period_label(p, f) for p, f in zip(pd.to_datetime(per["first"]), per["frequency"], strict=True)
        ]
        per["end"] = [
            period_label(p, f) for p, f in zip(pd.to_datetime(per["last"]), per["frequency"], strict=True)
        ]
        rows = []
        for measure, g in per.groupby("measure", sort=True):
            rows.append(
                {
                    "measure": measure,
                    "series": int(g["series"].sum()),
                    "geography_levels": ",".join(sorted(g["level"].astype(str).unique())),
                    "frequencies": ",".join(sorted(g["frequency"].unique())),
                    "start": g["start"].min(),
                    "end": g["end"].max(),
                    "synthetic": int(g["synthetic"].sum()),
                }
            )
        out = pd.DataFrame(rows)
        return out.merge(sources, on="measure", how="left")


def catalogue_from_observations(
    obs: pd.DataFrame, geography_level: str | None = None, present: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    cols = [
        "series_id",
        "measure",
        "geography",
        "geography_level",
        "geography_name",
        "cluster",
        "frequency",
        "unit",
        "currency",
        "price_basis",
        "base_year",
        "seasonal_adjustment",
        "quantity",
        "aggregation",
        "non_negative",
        "start",
        "end",
        "n",
        "source",
        "vintage",
        "release",
        "is_synthetic",
    ]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    if (
        "release" not in obs.columns
    ):  # frames built in memory (tests, forecast-csv) carry no publisher release
        obs = obs.assign(release=pd.NaT)
    g = obs.groupby("series_id", sort=True)
    cat = g.agg(
        measure=("measure", "first"),
        geography=("geography", "first"),
        cluster=("cluster", "first"),
        frequency=("frequency", "first"),
        start=("period", "min"),
        end=("period", "max"),
        n=("value", "size"),
        source=("source", lambda s: ",".join(sorted(set(s)))),
        vintage=("vintage", "max"),
        is_synthetic=("is_synthetic", "any"),
        # provenance columns a hand-built panel may lack (then empty)
        release=("release", "max") if "release" in obs.columns else ("value", "size"),
        reference_year=("reference_year", "max") if "reference_year" in obs.columns else ("value", "size"),
    ).reset_index()
    if "release" not in obs.columns:
        cat["release"] = ""
    if "reference_year" not in obs.columns:
        cat["reference_year"] = pd.NA
    geo = load_geography()
    measures = load_measures()
    codes = cat["geography"].unique()
    levels = {c: geo.level(c) for c in codes}
    names = {c: geo.name(c) for c in codes}
    cat["geography_level"] = cat["geography"].map(levels)
    cat["geography_name"] = cat["geography"].map(names)
    cat["unit"] = cat["measure"].map(lambda m: measures[m].unit)
    # units as data travel with each series, so consumers can check before adding or converting
    for field in ("currency", "price_basis", "seasonal_adjustment", "quantity"):
        cat[field] = cat["measure"].map(lambda m, f=field: getattr(measures[m], f)).astype(object)
    # the reference year of the served rows (read off the release) where known, else the registry's
    registry_base = pd.array([measures[m].base_year for m in cat["measure"]], dtype="Int64")
    cat["base_year"] = (
        pd.array(cat["reference_year"], dtype="Int64").fillna(pd.Series(registry_base)).astype("Int64")
    )
    cat["aggregation"] = cat["measure"].map(lambda m: measures[m].aggregation)
    cat["non_negative"] = cat["measure"].map(lambda m: measures[m].non_negative)
    if present is not None:
        from forecasting.vocabulary import is_stale, months_behind, stale_reason

        ends = list(zip(cat["end"], cat["frequency"], cat["release"], cat["source"], strict=True))
        cat["months_behind"] = [months_behind(e, f, present) for e, f, _, _ in ends]
        cat["stale"] = [is_stale(e, f, present) for e, f, _, _ in ends]
        cat["stale_reason"] = [stale_reason(e, f, present, r, s) for e, f, r, s in ends]
        cols = [*cols, "months_behind", "stale", "stale_reason"]
    cat["start"] = [period_label(p, f) for p, f in zip(cat["start"], cat["frequency"], strict=True)]
    cat["end"] = [period_label(p, f) for p, f in zip(cat["end"], cat["frequency"], strict=True)]
    if geography_level:
        cat = cat[cat["geography_level"] == geography_level]
    return cat[cols].reset_index(drop=True)
