"""Another registered version's forecast beside the served one: what a promotion would change.

Why a separate router (included after the forecasts router): the hot path ``GET /v1/forecasts/{series_id}``
stays exactly as it is; ``/v1/forecasts/{series_id}/compare`` has one more path segment, so it never
matches there. Why lazy and bounded: an economist compares the champion with the challenger now and then;
the other version's bundle is downloaded from the registry on first use and kept in a small LRU
(``MAX_OTHER_MODELS``), so memory stays bounded however many versions are asked for. Plain ``def``
routes: registry calls and bundle loads block, so they run in the threadpool.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam

from forecasting.registry.loader import BundleUnavailable
from service.deps import ModelDep
from service.http import not_found
from service.lifecycle import BundleSource, LoaderSource
from service.schemas import SID, ForecastComparison, Message, NotFound, VersionList
from service.served import ServedModel, build_served
from service.strict_json import StrictJSONRoute

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
MAX_OTHER_MODELS = 2  # other versions held in memory at once (each is a whole bundle)
DEFAULT_ALIAS = "challenger"
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


def other_versions(request: Request) -> OtherVersions:
    """The app's ``OtherVersions`` (created by ``create_app`` beside the model holder)."""
    return request.app.state.other_versions


SeriesPath = Annotated[
    str,
    PathParam(
        max_length=300,
        description="measure.geography.cluster.frequency",
        openapi_examples={"fdi": {"value": SID}},
    ),
]
With = Annotated[
    str | None,
    Query(
        alias="with",
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
        description="A registry alias to compare with (default challenger). Exclusive with `version`: "
        "giving both is a 422.",
        openapi_examples={"challenger": {"value": "challenger"}},
    ),
]
Version = Annotated[
    int | None,
    Query(
        ge=1,
        le=10_000_000,
        description="A registry version number, instead of `with` (exclusive: giving both is a 422).",
    ),
]


def _short(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"version": v["version"], "aliases": v["aliases"]} for v in versions]


def _pick(versions: list[dict[str, Any]], alias: str | None, number: int | None) -> dict[str, Any]:
    if alias is not None and number is not None:
        raise HTTPException(
            422,
            detail=[
                {"loc": ["query", "with"], "msg": "give `with` or `version`, not both", "type": "value_error"}
            ],
        )
    if number is not None:
        found = [v for v in versions if v["version"] == str(number)]
        what = f"version {number}"
    else:
        alias = alias or DEFAULT_ALIAS
        found = [v for v in versions if alias in v["aliases"]]
        what = f"version aliased {alias!r}"
    if not found:
        known = ", ".join(
            f"v{v['version']}" + (f" ({', '.join(v['aliases'])})" if v["aliases"] else "") for v in versions
        )
        raise HTTPException(
            404,
            detail={
                "message": f"the registry has no {what} to compare with; registered: {known or 'none'}",
                "versions": _short(versions),
            },
        )
    return found[0]


def _width(point: dict[str, Any]) -> float | None:
    for iv in point.get("intervals", []):
        if iv["level"] == 80 and iv["lower"] is not None and iv["upper"] is not None:
            return iv["upper"] - iv["lower"]
    return None


def _steps(served: dict[str, Any], other: dict[str, Any]) -> list[dict[str, Any]]:
    by_period = {str(p["period"]): p for p in other["points"]}
    out = []
    for p in served["points"]:
        o = by_period.get(str(p["period"]))
        if o is None:
            continue
        a, b = p["mean"], o["mean"]
        diff = None if a is None or b is None else b - a
        out.append(
            {
                "period": p["period"],
                "kind": p.get("kind"),
                "served_mean": a,
                "other_mean": b,
                "diff": diff,
                "diff_pct": None if diff is None or not a else 100 * diff / abs(a),
                "served_width80": _width(p),
                "other_width80": _width(o),
            }
        )
    return out


@router.get(
    "/models/versions",
    response_model=VersionList,
    tags=["models"],
    summary="Registered versions and their aliases",
    responses={503: {"model": Message, "description": "No model loaded, or the registry cannot be reached."}},
)
def versions(request: Request, m: ModelDep) -> Any:
    """Every registered version of the served model, newest first, with its aliases (champion,
    challenger), data vintage and experiment; `served` marks the one this server answers with."""
    listed = other_versions(request).versions(m)
    return {"model_name": m.name, "served_version": m.version, "count": len(listed), "versions": listed}


@router.get(
    "/forecasts/{series_id}/compare",
    response_model=ForecastComparison,
    tags=["forecasts"],
    summary="The served forecast beside another registered version's (challenger by default)",
    responses={
        404: {
            "model": NotFound,
            "description": "Unknown series, or no such alias/version (the registered ones are listed).",
        },
        422: {"description": "A bad parameter, or both `with` and `version`."},
        503: {"model": Message, "description": "No model loaded, or the registry cannot be reached."},
    },
)
def compare(
    request: Request, series_id: SeriesPath, m: ModelDep, with_: With = None, version: Version = None
) -> Any:
    """What a promotion would change for one series: the served forecast and another registered
    version's (`with=challenger`, the default, or `version=N`), period by period, with both backtest
    accuracies in their bodies. The other bundle is loaded from the registry on first use and cached."""
    entry = m.series.get(series_id)
    if entry is None:
        raise not_found(series_id, m)
    ov = other_versions(request)
    listed = ov.versions(m)
    chosen = _pick(listed, with_, version)
    if chosen["served"] or not ov.registry:
        other_model = m
    else:
        try:
            other_model = ov.model(chosen["version"], chosen["aliases"])
        except BundleUnavailable as exc:
            log.warning("loading version %s for comparison failed: %s", chosen["version"], exc)
            raise HTTPException(
                503,
                detail=f"version {chosen['version']} could not be loaded from the registry",
                headers={"Retry-After": "30"},
            ) from None
    other_entry = other_model.series.get(series_id)
    if other_entry is None:
        raise HTTPException(
            404,
            detail={
                "message": f"version {chosen['version']} does not forecast {series_id[:200]!r}",
                "series_id": series_id[:200],
                "suggestions": [],
            },
        )
    served = m.forecast_dict(entry, entry.max_horizon, m.quantiles)
    other = other_model.forecast_dict(other_entry, other_entry.max_horizon, other_model.quantiles)
    return {
        "series_id": series_id,
        "served": served,
        "other": other,
        "steps": _steps(served, other),
        "versions": listed,
    }
