"""Model lifecycle: where bundles come from, and the holder that swaps them atomically.

Why a ``BundleSource`` protocol: the app only needs ``load() -> ServedModel``; the registry (with its
degraded-mode cache), a local folder and in-memory test bundles are interchangeable behind it.
Why one attribute: readers take ``holder.model`` once per request and keep that reference, so a reload
(build aside, then assign) can never show a half-loaded model.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from forecasting.registry.contents import BundleContents
from forecasting.registry.loader import BundleUnavailable
from forecasting.settings import ApiSettings
from service.served import ServedModel, build_served

log = logging.getLogger(__name__)
Status = Literal["ok", "degraded", "unavailable"]


class BundleSource(Protocol):
    def load(self) -> ServedModel: ...


def current_version(source: BundleSource) -> str | None:
    """The version the source would load now, if it can say cheaply (sources may define ``current_version``)."""
    probe = getattr(source, "current_version", None)
    return probe() if probe is not None else None


def _warehouse_vintage(path: Path | None) -> str | None:
    """Latest warehouse vintage, to flag a model trained on older data (best effort, read-only)."""
    if path is None or not path.exists():
        return None
    try:
        from forecasting.warehouse.snapshot import open_snapshot

        with open_snapshot(path) as wh:
            return wh.latest_vintage
    except Exception as exc:  # a locked or foreign file must not stop serving
        log.info("warehouse %s not readable for the staleness check: %s", path, exc)
        return None


def store_identity(source: BundleSource) -> str | None:
    """Which store file the source reads now (sources may define ``store_identity``); None: not a file."""
    probe = getattr(source, "store_identity", None)
    return probe() if probe is not None else None


@dataclass
class LoaderSource:
    """The registry alias (default) or a local bundle folder, via ``forecasting.registry.loader.load_bundle``.

    Notices the embedded store file being replaced (a restored backup): its identity (device, inode) is
    compared before every registry call, and on a change MLflow's pooled connections, which would keep
    reading the deleted file, are closed first."""

    settings: ApiSettings
    _seen_identity: str | None = None

    def store_identity(self) -> str | None:
        if self.settings.bundle_path is not None:
            return None
        from forecasting.registry.target import store_identity

        return store_identity(self.settings.resolved_tracking_uri())

    def _fresh_connections(self) -> None:
        """Close pooled connections to a store file that has been replaced since the last call."""
        ident = self.store_identity()
        if ident is not None and self._seen_identity is not None and ident != self._seen_identity:
            from forecasting.registry.target import release_store

            log.warning("the tracking store file was replaced (%s -> %s)", self._seen_identity, ident)
            release_store(self.settings.resolved_tracking_uri())
        self._seen_identity = ident

    def load(self) -> ServedModel:
        from forecasting.registry import loader

        s = self.settings
        self._fresh_connections()
        with _cache_lock(s.resolved_cache_dir()):
            lb = self._load(loader)
        return build_served(
            lb.contents,
            name=lb.model_name,
            version=lb.version,
            alias=lb.alias,
            run_id=lb.run_id,
            uri=lb.uri,
            origin=lb.source,
            warehouse_vintage=_warehouse_vintage(s.resolved_warehouse()),
            fallback_reason=lb.fallback_reason,
            fallback_kind=lb.fallback_kind,
        )

    def current_version(self) -> str | None:
        """The version the alias points at now (one registry call); None for a local folder."""
        s = self.settings
        if s.bundle_path is not None:
            return None
        self._fresh_connections()
        from mlflow import MlflowClient

        uri = s.resolved_tracking_uri()
        mv = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
            s.resolved_model_name(), s.model_alias
        )
        return str(mv.version)

    def _load(self, loader: Any) -> Any:
        s = self.settings
        if s.bundle_path is not None:
            return loader.load_bundle(s.bundle_path, model_name=s.resolved_model_name(), alias=s.model_alias)
        return loader.load_bundle(
            model_name=s.resolved_model_name(),
            alias=s.model_alias,
            tracking_uri=s.resolved_tracking_uri(),
            cache_dir=s.resolved_cache_dir(),
        )


@contextlib.contextmanager
def _cache_lock(cache_dir: Path) -> Iterator[None]:
    """Serialise loads across worker processes: they share the cache folder the loader rewrites."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: one worker is the supported setup there
        yield
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".load.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class StaticSource:
    """An in-memory bundle (tests, notebooks); ``version`` may be bumped between loads."""

    contents: BundleContents
    name: str = "investment-forecaster"
    version: str | None = "1"
    alias: str | None = "champion"

    def current_version(self) -> str | None:
        return self.version

    def load(self) -> ServedModel:
        return build_served(
            self.contents,
            name=self.name,
            version=self.version,
            alias=self.alias,
            run_id=None,
            uri="memory",
            origin="static",
        )


# Why the service is degraded or has no model, in words fit for anyone (no paths, SQL or exception text).
PROBLEMS: dict[str, str] = {
    "registry_unreachable": "the model registry cannot be reached",
    "not_registered": "the model registry has no model version under the configured alias",
    "artifact_missing": "the registry answered, but the model version's files are missing",
    "artifact_corrupt": "the registry answered, but the model version's files are not a readable bundle",
    "load_failed": "the model could not be loaded",
    "not_loaded": "the model has not been loaded yet",
    "champion_moved": "a newer model version is registered under the alias; this server still serves the "
    "previous one",
    "store_replaced": "the tracking store file was replaced since the model was loaded",
}


class ModelHolder:
    """The current model plus health; ``load`` is serialised, reads are lock-free.

    Health is derived from state held here (the model's own fallback reason, the last failure's kind, the
    version the alias pointed at when last checked), never from log text.
    """

    def __init__(self, source: BundleSource, auto_reload: bool = True) -> None:
        self.source = source
        self.auto_reload = auto_reload
        self.model: ServedModel | None = None
        self.problem: str | None = "not_loaded"  # a PROBLEMS key while no model is loaded
        self.last_error: str | None = None  # full text (admin health only)
        self.registered_version: str | None = None  # the alias's version at the last check
        self.checked_at: float | None = None
        # a load that failed while a model was served (a PROBLEMS key): /health says degraded until one works
        self.reload_failure: str | None = None
        self.store_replaced = False  # the store file is not the one the served model was loaded from
        self.loaded_identity: str | None = None  # store_identity(source) at the last successful load
        self.started = time.time()
        self.listeners: list[Callable[[ModelHolder], None]] = []
        self._lock = threading.Lock()

    # ---- derived health -------------------------------------------------------------------------------
    @property
    def champion_moved(self) -> bool:
        """The alias points at another version than the one served (noticed by the poller or a reload)."""
        m = self.model
        return m is not None and self.registered_version is not None and self.registered_version != m.version

    @property
    def status(self) -> Status:
        m = self.model
        if m is None:
            return "unavailable"
        if m.origin == "cache" or self.champion_moved or self.reload_failure:
            return "degraded"
        return "ok"

    @property
    def problem_kind(self) -> str | None:
        """Why the status is not ``ok`` (a PROBLEMS key), None when it is."""
        m = self.model
        if m is None:
            return self.problem or "load_failed"
        if m.origin == "cache":
            return m.fallback_kind or "load_failed"
        if self.reload_failure:
            return self.reload_failure
        return "champion_moved" if self.champion_moved else None

    def problem_text(self) -> str:
        kind = self.problem_kind
        return PROBLEMS.get(kind, PROBLEMS["load_failed"]) if kind else "none"

    @property
    def reason(self) -> str | None:
        """Plain-words reason for a non-``ok`` status (safe to show anyone)."""
        kind = self.problem_kind
        if kind is None:
            return None
        text = PROBLEMS.get(kind, PROBLEMS["load_failed"])
        m = self.model
        replaced = PROBLEMS["store_replaced"] + "; " if self.store_replaced else ""
        if m is not None and m.origin == "cache":
            return f"{replaced}serving the locally cached bundle (version {m.version}): {text}"
        if kind == "champion_moved" and m is not None:
            return f"{text} (serving version {m.version}, registered version {self.registered_version})"
        if m is not None and self.reload_failure:
            return f"{replaced}the last reload failed: {text} (still serving version {m.version})"
        return f"no model loaded: {text}"

    def failure_text(self) -> str:
        """Why the last load failed, for the admin who asked for it: plain words, then the error itself."""
        m = self.model
        if m is not None and m.origin == "cache":
            kind = m.fallback_kind
        else:
            kind = self.reload_failure if m is not None else self.problem
        words = PROBLEMS.get(kind or "load_failed", PROBLEMS["load_failed"])
        if self.store_replaced:
            words = f"{PROBLEMS['store_replaced']}; {words}"
        return f"{words} ({self.last_error})" if self.last_error else words

    # ---- loading --------------------------------------------------------------------------------------
    def _notify(self) -> None:
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # metrics must never break loading
                listener(self)

    def load(self) -> ServedModel:
        """Load from the source and swap it in; on failure keep serving what we have and re-raise."""
        with self._lock:
            try:
                new = self.source.load()
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                kind = exc.kind if isinstance(exc, BundleUnavailable) else None
                self.problem = kind or "load_failed"
                if self.model is not None:
                    self.reload_failure = self.problem
                log.warning("model load failed: %s", self.last_error)
                self._notify()
                raise
            self.model = new  # the atomic swap
            # The model is many long-lived small objects: move them out of the cyclic GC's reach so full
            # collections (latency spikes at p99) do not rescan them. Refcounting still frees an old model.
            gc.collect()
            gc.freeze()
            self.reload_failure = None
            if new.origin != "cache":  # the cache is no proof the (replaced) store can be read
                self.store_replaced = False
                with contextlib.suppress(Exception):
                    self.loaded_identity = store_identity(self.source)
            if new.origin == "cache":
                self.last_error = new.fallback_reason
            else:
                self.problem, self.last_error = None, None
                if new.origin == "registry":
                    self.registered_version, self.checked_at = new.version, time.time()
            self._notify()
            return new

    def refresh(self) -> bool:
        """Check the alias; reload when it moved (or when serving the cache and the registry is back).

        A replaced store file (another inode: a restored backup) forces a reload even when the alias names
        the same version number, since that number may now mean another model; if the reload fails the
        server keeps serving and /health says ``degraded`` with why.

        With ``auto_reload`` off only the check is made: /health then says ``champion_moved`` (or
        ``store_replaced``) until an admin reload."""
        m = self.model
        try:
            ident = store_identity(self.source)
        except Exception:
            ident = None
        if (
            m is not None
            and m.origin == "registry"
            and ident is not None
            and self.loaded_identity is not None
            and ident != self.loaded_identity
        ):
            self.store_replaced = True
        try:
            wanted = current_version(self.source)
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            if self.store_replaced:
                self.reload_failure = _failure_kind(exc) or "store_replaced"
                self._notify()
            return False
        self.checked_at = time.time()
        if wanted is not None:
            self.registered_version = wanted
        self._notify()
        if not self.store_replaced and (
            wanted is None or (m is not None and wanted == m.version and m.origin != "cache")
        ):
            return False
        if not self.auto_reload:
            if self.store_replaced:
                self.reload_failure = "store_replaced"
                self._notify()
            return False
        with contextlib.suppress(Exception):
            self.load()
            return True
        return False

    def try_load(self) -> None:
        """Start-up: never raise, so the app starts and /health explains."""
        with contextlib.suppress(Exception):
            self.load()

    # ---- health bodies --------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Public: status and versions only."""
        m = self.model
        return {
            "status": self.status,
            "model_name": m.name if m else None,
            "model_alias": m.alias if m else None,
            "model_version": m.version if m else None,
            "registered_version": self.registered_version,
            "champion_moved": self.champion_moved,
            "data_vintage": m.data_vintage if m else None,
        }

    def health_detail(self, settings: ApiSettings) -> dict[str, Any]:
        """Admin: the public fields plus reasons, errors, where the model came from and the cache."""
        m = self.model
        return {
            **self.health(),
            "problem": self.problem_kind,
            "reason": self.reason,
            "last_error": self.last_error,
            "fallback_reason": m.fallback_reason if m else None,
            "model_loaded": m is not None,
            "served_from": m.origin if m else None,
            "uri": m.uri if m else None,
            "run_id": m.run_id if m else None,
            "loaded_at": m.loaded_at if m else None,
            "series": len(m.series) if m else 0,
            "checked_at": _iso(self.checked_at),
            "poll_seconds": settings.poll_seconds,
            "auto_reload": self.auto_reload,
            "tracking_uri": None if settings.bundle_path else settings.resolved_tracking_uri(),
            "bundle_path": str(settings.bundle_path) if settings.bundle_path else None,
            "cache_dir": str(settings.resolved_cache_dir()),
            "uptime_seconds": round(time.time() - self.started, 1),
        }


def _failure_kind(exc: BaseException) -> str | None:
    """The PROBLEMS key for a failed registry call, when it can be told."""
    from forecasting.registry.loader import lookup_kind

    return exc.kind if isinstance(exc, BundleUnavailable) else lookup_kind(exc)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")
