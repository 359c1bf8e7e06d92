"""Another registered version's forecast beside the served one: what a promotion would change.

Why a separate router (included after the forecasts router): the hot path ``GET /v1/forecasts/{series_id}``
stays exactly as it is; ``/v1/forecasts/{series_id}/compare`` has one more path segment, so it never
matches there. Why lazy and bounded: an economist compares the champion with the challenger now and then;
the other version's bundle is downloaded from the registry on first use and kept in a small LRU
(``service.other_versions.MAX_OTHER_MODELS``, held with the served model), so memory stays bounded however many versions are asked for. Plain ``def``
routes: registry calls and bundle loads block, so they run in the threadpool.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam

from forecasting.registry.loader import BundleUnavailable
from service.deps import ModelDep, OtherVersionsDep
from service.http import not_found
from service.schemas import SID, ForecastComparison, Message, NotFound, VersionList
from service.strict_json import StrictJSONRoute

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
DEFAULT_ALIAS = "challenger"


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
def versions(m: ModelDep, ov: OtherVersionsDep) -> Any:
    """Every registered version of the served model, newest first, with its aliases (champion,
    challenger), data vintage and experiment; `served` marks the one this server answers with."""
    listed = ov.versions(m)
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
    series_id: SeriesPath, m: ModelDep, ov: OtherVersionsDep, with_: With = None, version: Version = None
) -> Any:
    """What a promotion would change for one series: the served forecast and another registered
    version's (`with=challenger`, the default, or `version=N`), period by period, with both backtest
    accuracies in their bodies. The other bundle is loaded from the registry on first use and cached."""
    entry = m.series.get(series_id)
    if entry is None:
        raise not_found(series_id, m)
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
