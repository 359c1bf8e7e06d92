"""The model being served: what it is, and an admin reload that swaps in the current champion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from forecasting.vocabulary import interval_levels
from service.http import conditional, current_model, require_admin
from service.schemas import Message, ModelInfo, ReloadResponse
from service.served import ServedModel, dumps

router = APIRouter(prefix="/v1/models", tags=["models"])


def model_info(m: ServedModel) -> dict[str, Any]:
    stale = bool(m.warehouse_vintage and m.data_vintage and str(m.warehouse_vintage) > str(m.data_vintage))
    return {
        "model_name": m.name,
        "model_version": m.version,
        "model_alias": m.alias,
        "run_id": m.run_id,
        "uri": m.uri,
        "served_from": m.origin,
        "data_vintage": m.data_vintage,
        "warehouse_vintage": m.warehouse_vintage,
        "stale": stale,
        "trained_at": m.trained_at,
        "experiment": m.experiment,
        "loaded_at": m.loaded_at,
        "n_series": len(m.series),
        "max_horizon": max((e.max_horizon for e in m.series.values()), default=0),
        "quantiles": list(m.quantiles),
        "interval_levels": interval_levels(m.quantiles),
        "headline_metrics": dict(m.headline_metrics),
        "level_metrics": [dict(r) for r in m.level_metrics],
        "etag": m.key,
    }


@router.get(
    "/current",
    response_model=ModelInfo,
    summary="The model being served",
    responses={503: {"model": Message, "description": "No model loaded."}},
)
async def current(request: Request) -> Response:
    """Registry version and alias, data vintage, training time, headline backtest metrics."""
    m = current_model(request)
    return conditional(request, m, lambda: dumps(model_info(m)))


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Load the current champion and swap it in (admin)",
    dependencies=[Depends(require_admin)],
    responses={
        401: {"model": Message, "description": "No API key."},
        403: {"model": Message, "description": "Not an admin key."},
        503: {"model": Message, "description": "Registry unreachable; the previous model keeps serving."},
    },
)
def reload(request: Request) -> Response:
    """Loads `<model>@<alias>` off to the side, then replaces the served model in one assignment: requests
    in flight finish on the old model, new ones see the new one, none sees a mix."""
    holder = request.app.state.holder
    before = holder.model
    try:
        new = holder.load()
    except Exception as exc:
        raise HTTPException(503, detail=f"reload failed, still serving the previous model: {exc}") from None
    body = {
        "changed": before is None or before.key != new.key,
        "previous_version": before.version if before else None,
        "model": model_info(new),
    }
    return Response(dumps(body), media_type="application/json")
