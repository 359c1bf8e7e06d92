"""Where the MLflow tracking store and model registry are, whether they can be reached, and pointing at them.

Why here (the registry layer): training publishes into the registry and the API, scenarios and scorecards
read from it, so the one place that resolves the store (the embedded sqlite file in the data directory, or
a shared ``mlflow server``) and fails fast when it is down belongs to neither of them.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from forecasting.errors import InvestError
from forecasting.settings import Settings, environment_restored, set_environment

# keeps our progress display readable
set_environment({"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}, only_if_unset=True)


class TrackingUnavailable(InvestError):
    """The tracking store or server cannot be reached (raised before any training work)."""


class CorruptStore(TrackingUnavailable):
    """The sqlite tracking store exists but is not a usable MLflow store (empty, garbage, damaged, partial).

    Why refuse rather than let MLflow proceed: MLflow would treat such a file as a new store (creating
    its tables in a 0-byte file), so the registry would read as empty and hand out v1 again.
    """


# Tables every MLflow sqlite store has (since MLflow 1.x; the model registry since 1.4).
MLFLOW_TABLES = ("alembic_version", "experiments", "runs", "registered_models", "model_versions")
_SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_store(db: Path) -> None:
    """A missing file is a new store (fine); an existing one must be a sound sqlite file with MLflow's tables.

    ``PRAGMA quick_check`` reads every page, which takes milliseconds on a registry-sized file and catches
    damage that a header check would miss.
    """
    if not db.exists():
        return
    fix = (
        "restore it from a backup, or move it aside deliberately to start a new registry (and the "
        "version ledger registry_versions.json beside it)"
    )
    if not db.is_file():
        raise CorruptStore(f"tracking store {db} is not a file; {fix}")
    try:
        size = db.stat().st_size
        with db.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise CorruptStore(f"tracking store {db} cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise CorruptStore(f"tracking store {db} is empty (0 bytes), not an MLflow store; {fix}")
    if header != _SQLITE_HEADER:
        raise CorruptStore(f"tracking store {db} is not an SQLite database (corrupted?); {fix}")
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = (
                con.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise CorruptStore(f"tracking store {db} cannot be read as SQLite ({exc}); {fix}") from None
    if check != "ok":
        raise CorruptStore(f"tracking store {db} is damaged (sqlite quick_check: {check}); {fix}")
    missing = [t for t in MLFLOW_TABLES if t not in tables]
    if missing:
        raise CorruptStore(f"tracking store {db} is not a complete MLflow store (no tables {missing}); {fix}")
    if revision is not None:
        check_schema(db, str(revision[0]))


class StoreSchemaMismatch(TrackingUnavailable):
    """The sqlite store's MLflow schema is not the installed MLflow's (written by a newer or an older one)."""


def check_schema(db: Path, revision: str) -> None:
    """The store's schema revision must be the installed MLflow's newest. Why check here: MLflow says
    "out-of-date database schema ... run 'mlflow db upgrade'" for a store a *newer* MLflow wrote too, where
    an upgrade cannot help (a fresh install picks up the newest MLflow; an older environment then reads
    its store). The revisions are MLflow's own migration scripts, read with alembic."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        scripts = ScriptDirectory(str(Path(mlflow.__file__).parent / "store" / "db_migrations"))
        head = scripts.get_current_head()
    except CommandError:  # an MLflow whose migrations are elsewhere (or branched): MLflow's own check remains
        return
    if head is None or revision == head:
        return
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:  # not one of this MLflow's revisions
        known = False
    if not known:
        raise StoreSchemaMismatch(
            f"tracking store {db} was written by a newer MLflow than the installed {mlflow.__version__} "
            f"(schema revision {revision}, which this MLflow does not know; its newest is {head}): upgrade "
            "MLflow here (pip install -U mlflow), or use the environment that wrote the store"
        )
    raise StoreSchemaMismatch(
        f"tracking store {db} has an older MLflow schema (revision {revision}; the installed MLflow "
        f"{mlflow.__version__} expects {head}): back the file up, then run "
        f"`mlflow db upgrade sqlite:///{db.resolve()}`"
    )


@dataclass(frozen=True)
class TrackingTarget:
    uri: str
    artifact_location: str | None  # set for the embedded store; a server decides for itself
    embedded: bool


def resolve_target(tracking_uri: str | None = None, settings: Settings | None = None) -> TrackingTarget:
    """``--tracking-uri`` beats settings (``MLFLOW_TRACKING_URI``/``INVEST_TRACKING_URI``) beats embedded.

    The settings are passed by the entry point; a caller holding an explicit URI needs none."""
    uri = tracking_uri or (settings.tracking_uri if settings is not None else None)
    if uri:
        return TrackingTarget(uri=uri, artifact_location=None, embedded=False)
    if settings is None:
        raise ValueError("no tracking URI given and no settings to find the embedded store in")
    return TrackingTarget(
        uri=settings.mlflow_uri, artifact_location=settings.artifact_root.resolve().as_uri(), embedded=True
    )


def check_reachable(target: TrackingTarget, timeout: float = 5.0) -> None:
    """Fail fast with a clear message; the embedded store just needs a writable data directory."""
    uri = target.uri
    scheme = uri.split(":", 1)[0].lower()
    try:
        if scheme in ("http", "https"):
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as resp:
                if resp.status != 200:
                    raise TrackingUnavailable(
                        f"tracking server {uri} answered /health with HTTP {resp.status}"
                    )
        elif scheme == "sqlite":
            db = Path(uri.split(":///", 1)[1]) if ":///" in uri else None
            if db is not None:
                check_sqlite_store(db)
                db.parent.mkdir(parents=True, exist_ok=True)
                if not os.access(db.parent, os.W_OK):
                    raise TrackingUnavailable(f"tracking store directory {db.parent} is not writable")
        elif scheme.startswith(("postgresql", "mysql", "mssql")):
            import sqlalchemy

            engine = sqlalchemy.create_engine(uri, connect_args={"connect_timeout": int(timeout)})
            with engine.connect():
                pass
            engine.dispose()
        if target.artifact_location and target.artifact_location.startswith("file:"):
            Path(target.artifact_location.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    except TrackingUnavailable:
        raise
    except (urllib.error.URLError, OSError, Exception) as exc:
        raise TrackingUnavailable(
            f"cannot reach MLflow tracking at {uri} ({type(exc).__name__}: {exc}). Start the server "
            "(see docs/TRACKING_SERVER.md), fix --tracking-uri / MLFLOW_TRACKING_URI, or unset it to use "
            "the embedded sqlite store."
        ) from exc


@contextmanager
def use_tracking(uri: str) -> Iterator[MlflowClient]:
    """Point the MLflow fluent API (tracking *and* registry) at ``uri`` for the block, then restore.

    MLflow's setters also write ``MLFLOW_TRACKING_URI``/``MLFLOW_REGISTRY_URI`` into the environment, which
    our settings read; both the module state and the environment are put back afterwards.
    """
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    with environment_restored(("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")):
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        try:
            yield MlflowClient(tracking_uri=uri, registry_uri=uri)
        finally:
            mlflow.set_tracking_uri(saved[0])
            registry_utils._registry_uri = saved[1]


def _database_failure(exc: BaseException) -> BaseException | None:
    """The database error behind ``exc`` (MLflow wraps SQLAlchemy's), or None for anything else."""
    import sqlalchemy.exc

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlalchemy.exc.SQLAlchemyError | sqlite3.Error):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def store_errors(uri: str) -> Iterator[None]:
    """A database failure inside an MLflow call (a store damaged or locked after it was checked, a
    vanished database) becomes ``TrackingUnavailable`` naming the store, not a traceback; anything else
    (a bug, a missing model) passes through unchanged."""
    try:
        yield
    except MlflowException as exc:
        cause = _database_failure(exc)
        if cause is None:
            raise
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise TrackingUnavailable(f"tracking store {uri} failed: {first}") from exc


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI; None for a server or another database."""
    if not uri.lower().startswith("sqlite:") or ":///" not in uri:
        return None
    return Path(uri.split(":///", 1)[1].split("?", 1)[0])


def store_identity(uri: str) -> str | None:
    """Which file the embedded store is *now*: device and inode (a restored backup or a moved-in copy is a
    new inode even with the same name and content), or ``"missing"``; None for stores that are not a file.

    Why identity and not content: MLflow keeps pooled SQLite connections open, and an open connection keeps
    reading the file it opened even after that file was deleted or renamed over; only a new connection sees
    the replacement."""
    db = sqlite_path(uri)
    if db is None:
        return None
    try:
        st = db.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return f"{st.st_dev}:{st.st_ino}"


def release_store(uri: str) -> None:
    """Close MLflow's pooled database connections for ``uri`` so the next call opens the file afresh (after
    the store file was replaced). MLflow caches one SQLAlchemy engine per URI in each store class."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

    path = sqlite_path(uri)
    for cls in (TrackingStore, RegistryStore):
        engines = getattr(cls, "_engine_map", None)
        if not isinstance(engines, dict):
            continue
        for key, engine in list(engines.items()):
            if key == uri or (path is not None and sqlite_path(key) == path):
                engine.dispose()
