"""The model being served: what it is, and an admin reload that swaps in the current champion."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from forecasting.vocabulary import interval_levels
from service.deps import AdminDep, HolderDep, ModelDep
from service.http import revalidate
from service.schemas import Message, ModelInfo, ReloadResponse
from service.served import ServedModel
from service.strict_json import StrictJSONRoute

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/models", tags=["models"], route_class=StrictJSONRoute)


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
        "headline_outliers": [dict(o) for o in m.headline_outliers],
        "level_metrics": [dict(r) for r in m.level_metrics],
        "etag": m.key,
    }


@router.get(
    "/current",
    response_model=ModelInfo,
    summary="The model being served",
    responses={503: {"model": Message, "description": "No model loaded."}},
)
async def current(request: Request, response: Response, m: ModelDep) -> Any:
    """Registry version and alias, data vintage, training time, headline backtest metrics."""
    if (not_modified := revalidate(request, response, m)) is not None:
        return not_modified
    return model_info(m)


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Load the current champion and swap it in (admin)",
    responses={
        401: {"model": Message, "description": "No API key."},
        403: {"model": Message, "description": "Not an admin key."},
        413: {"model": Message, "description": "A request body over max_body_bytes (none is needed)."},
        503: {"model": Message, "description": "The load failed; the previous model keeps serving."},
    },
)
async def reload(caller: AdminDep, holder: HolderDep) -> Any:
    """Loads `<model>@<alias>` off to the side, then replaces the served model in one assignment: requests
    in flight finish on the old model, new ones see the new one, none sees a mix."""
    before = holder.model
    log.info("reload requested (admin key %s)", caller.key_id)
    try:
        new = await run_in_threadpool(holder.load)
    except Exception:
        # the caller is an admin: the cause in plain words and the error itself (as on the admin health)
        still = f"version {before.version}" if before is not None else "none"
        raise HTTPException(
            503,
            detail=f"reload failed: {holder.failure_text()}; still serving the previous model: {still}",
            headers={"Retry-After": "30"},
        ) from None
    if new.origin == "cache":
        # the registry load failed and the cached copy stands in: that is no successful reload
        raise HTTPException(
            503,
            detail=f"reload failed: {holder.failure_text()}; serving the locally cached bundle "
            f"(version {new.version})",
            headers={"Retry-After": "30"},
        )
    return {
        "changed": before is None or before.key != new.key,
        "previous_version": before.version if before else None,
        "model": model_info(new),
    }
