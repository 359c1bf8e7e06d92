"""Other registered versions of the served model: listed from the registry, loaded on demand, bounded.

The cache belongs to the served model (``ServedModel.state``, through ``deps.OtherVersionsDep``): a reload
of the champion starts a fresh one, so no bundle outlives the model it was compared with. Kept out of the
router modules so no router holds state or imports another.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from fastapi import HTTPException

from service.lifecycle import BundleSource, LoaderSource
from service.served import ServedModel, build_served

log = logging.getLogger(__name__)
MAX_OTHER_MODELS = 2  # other versions held in memory at once (each is a whole bundle)
UNREACHABLE = "the model registry cannot be reached"


class OtherVersions:
    """Registered versions of the served model, listed from the registry and loaded on demand (LRU)."""

    def __init__(self, source: BundleSource, max_models: int = MAX_OTHER_MODELS) -> None:
        settings = source.settings if isinstance(source, LoaderSource) else None
        self.registry = settings is not None and settings.bundle_path is None
        self.uri = settings.resolved_tracking_uri() if settings is not None and self.registry else None
        self.name = settings.resolved_model_name() if settings is not None else None
        self.max_models = max_models
        self._models: OrderedDict[str, ServedModel] = OrderedDict()
        self._lock = threading.Lock()

    def _client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def versions(self, served: ServedModel) -> list[dict[str, Any]]:
        """Newest first. Without a registry (a local bundle folder): only the served model."""
        if not self.registry:
            return [_row(served.version or "local", [served.alias] if served.alias else [], served, True)]
        from forecasting.registry.promotion import list_versions

        try:
            listed = list_versions(self._client(), self.name or served.name)
        except Exception as exc:
            log.warning("registry listing failed: %s: %s", type(exc).__name__, exc)
            raise HTTPException(503, detail=UNREACHABLE, headers={"Retry-After": "30"}) from None
        return [
            {
                "version": v.version,
                "aliases": v.aliases,
                "data_vintage": v.data_vintage,
                "experiment": v.experiment,
                "created": v.created.isoformat(timespec="seconds"),
                "served": v.version == served.version,
            }
            for v in listed
        ]

    def model(self, version: str, aliases: list[str]) -> ServedModel:
        """The version's bundle indexed for serving; loaded once, then kept until evicted (LRU)."""
        with self._lock:  # one load at a time: two requests for a new version download it once
            hit = self._models.get(version)
            if hit is not None:
                self._models.move_to_end(version)
                return hit
            from forecasting.registry.loader import load_bundle

            uri = f"models:/{self.name}/{version}"
            lb = load_bundle(uri, tracking_uri=self.uri)  # no cache_dir: the degraded-mode copy stays
            model = build_served(
                lb.contents,
                name=lb.model_name or self.name,
                version=lb.version,
                alias=",".join(aliases) or None,
                run_id=lb.run_id,
                uri=uri,
                origin="registry",
            )
            self._models[version] = model
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
            return model

    def cached(self) -> list[str]:
        return list(self._models)


def _row(version: str, aliases: list[str], m: ServedModel, served: bool) -> dict[str, Any]:
    return {
        "version": version,
        "aliases": aliases,
        "data_vintage": m.data_vintage,
        "experiment": m.experiment,
        "created": m.trained_at,
        "served": served,
    }
