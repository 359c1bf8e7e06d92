"""Liveness/readiness and Prometheus metrics (unversioned: infrastructure, not API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.schemas import Health
from service.served import dumps

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    response_model=Health,
    summary="Service and model health",
    responses={503: {"model": Health, "description": "No model loaded (forecast routes answer 503)."}},
)
async def health(request: Request) -> Response:
    """`ok`, `degraded` (serving the locally cached bundle because the registry is unreachable, with the
    reason) or `unavailable` (no bundle at all: HTTP 503 so load balancers hold traffic)."""
    h = request.app.state.holder.health()
    return Response(
        dumps(h),
        status_code=503 if h["status"] == "unavailable" else 200,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": 'invest_api_requests_total{method="GET",route="/v1/forecasts/{series_id}",status="200"} 42\n',
                }
            }
        }
    },
)
async def metrics(request: Request) -> Response:
    """Request counts by route/status and latency histograms (per worker process), plus model gauges."""
    holder = request.app.state.holder
    m = holder.model
    extra = [
        "# HELP invest_api_model_loaded 1 when a forecast model is loaded.",
        "# TYPE invest_api_model_loaded gauge",
        f"invest_api_model_loaded {int(m is not None)}",
        "# HELP invest_api_degraded 1 when serving a cached bundle.",
        "# TYPE invest_api_degraded gauge",
        f"invest_api_degraded {int(holder.status == 'degraded')}",
    ]
    if m is not None:
        extra += [
            "# HELP invest_api_model_info The model served.",
            "# TYPE invest_api_model_info gauge",
            f'invest_api_model_info{{name="{m.name}",version="{m.version or ""}",data_vintage="{m.data_vintage or ""}"}} 1',
            "# TYPE invest_api_series gauge",
            f"invest_api_series {len(m.series)}",
        ]
    text = request.app.state.metrics.render("\n".join(extra) + "\n")
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")
