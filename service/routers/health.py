"""Liveness/readiness and Prometheus metrics (unversioned: infrastructure, not API), and the admin's
detailed health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from service.deps import AdminDep, HolderDep, SettingsDep, StateDep
from service.schemas import Health, HealthDetail, Message
from service.strict_json import StrictJSONRoute

router = APIRouter(tags=["operations"], route_class=StrictJSONRoute)
NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/health",
    response_model=Health,
    summary="Service and model health (status and versions)",
    responses={503: {"model": Health, "description": "No model loaded (forecast routes answer 503)."}},
)
async def health(holder: HolderDep, response: Response) -> Any:
    """`ok`; `degraded` (serving the locally cached bundle because the registry load failed, or the alias
    now points at a newer version than the one served: `champion_moved`); or `unavailable` (no bundle at
    all: HTTP 503 so load balancers hold traffic). Reasons and errors are on `/v1/admin/health`."""
    body = Health.model_validate(holder.health())
    if body.status == "unavailable":
        return JSONResponse(body.model_dump(mode="json"), status_code=503, headers=NO_STORE)
    response.headers.update(NO_STORE)
    return body


@router.get(
    "/v1/admin/health",
    response_model=HealthDetail,
    summary="Detailed health (admin): reasons, errors, model source, cache",
    responses={
        401: {"model": Message, "description": "No API key."},
        403: {"model": Message, "description": "Not an admin key."},
    },
)
async def admin_health(_: AdminDep, holder: HolderDep, settings: SettingsDep, response: Response) -> Any:
    """Everything `/health` says plus why (in plain words and in full), the model's URI and run, the
    tracking URI, the cache folder and when the alias was last checked. Always 200 for an admin."""
    response.headers.update(NO_STORE)
    return holder.health_detail(settings)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition (every worker's values added up).",
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": 'invest_api_requests_total{method="GET",route="/v1/forecasts/{series_id}",'
                    'status="200"} 42.0\n',
                }
            },
        }
    },
)
async def metrics(state: StateDep) -> Response:
    """Request counts by route/status and latency histograms summed over all worker processes, plus
    model gauges (model loaded, degraded, champion moved, model info per worker)."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
