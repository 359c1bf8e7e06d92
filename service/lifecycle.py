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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from forecasting.registry.contents import BundleContents
from service.served import ServedModel, build_served
from service.settings import ApiSettings

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
        from forecasting.warehouse.store import Warehouse

        with Warehouse(path, read_only=True) as wh:
            return wh.latest_vintage()
    except Exception as exc:  # a locked or foreign file must not stop serving
        log.info("warehouse %s not readable for the staleness check: %s", path, exc)
        return None


@dataclass
class LoaderSource:
    """The registry alias (default) or a local bundle folder, via ``forecasting.registry.loader.load_bundle``."""

    settings: ApiSettings
    last_reason: str | None = None

    def load(self) -> ServedModel:
        from forecasting.registry import loader

        s = self.settings
        with _cache_lock(s.resolved_cache_dir()):
            lb = self._load(loader)
        self.last_reason = lb.fallback_reason
        return build_served(
            lb.contents,
            name=lb.model_name,
            version=lb.version,
            alias=lb.alias,
            run_id=lb.run_id,
            uri=lb.uri,
            origin=lb.source,
            warehouse_vintage=_warehouse_vintage(s.resolved_warehouse()),
        )

    def current_version(self) -> str | None:
        """The version the alias points at now (one registry call); None for a local folder."""
        s = self.settings
        if s.bundle_path is not None:
            return None
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
    last_reason: str | None = None

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


class ModelHolder:
    """The current model plus health; ``reload`` is serialised, reads are lock-free."""

    def __init__(self, source: BundleSource) -> None:
        self.source = source
        self.model: ServedModel | None = None
        self.status: Status = "unavailable"
        self.reason: str | None = "not loaded yet"
        self.last_error: str | None = None
        self.started = time.time()
        self._lock = threading.Lock()

    def load(self) -> ServedModel:
        """Load from the source and swap it in; on failure keep serving what we have and re-raise."""
        with self._lock:
            try:
                new = self.source.load()
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self.model is None:
                    self.status, self.reason = "unavailable", f"no model loaded: {self.last_error}"
                log.warning("model load failed: %s", self.last_error)
                raise
            self.model = new  # the atomic swap
            # The model is many long-lived small objects: move them out of the cyclic GC's reach so full
            # collections (latency spikes at p99) do not rescan them. Refcounting still frees an old model.
            gc.collect()
            gc.freeze()
            cached_reason = getattr(self.source, "last_reason", None)
            if new.origin == "cache":
                self.status = "degraded"
                self.reason = (
                    f"registry unreachable, serving the cached bundle: {cached_reason or 'see logs'}"
                )
            else:
                self.status, self.reason, self.last_error = "ok", None, None
            return new

    def refresh(self) -> bool:
        """Reload when the source's current version differs from the one served (the alias moved)."""
        try:
            wanted = current_version(self.source)
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            return False
        served = self.model.version if self.model is not None else None
        if wanted is None or (wanted == served and self.status == "ok"):
            return False
        with contextlib.suppress(Exception):
            self.load()
            return True
        return False

    def try_load(self) -> None:
        """Start-up: never raise, so the app starts and /health explains."""
        with contextlib.suppress(Exception):
            self.load()

    def health(self) -> dict[str, Any]:
        m = self.model
        return {
            "status": self.status,
            "reason": self.reason,
            "last_error": self.last_error,
            "model_loaded": m is not None,
            "model_name": m.name if m else None,
            "model_version": m.version if m else None,
            "data_vintage": m.data_vintage if m else None,
            "series": len(m.series) if m else 0,
            "uptime_seconds": round(time.time() - self.started, 1),
        }
