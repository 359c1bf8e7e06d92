"""The series catalogue and each series' observed history (with source and vintage)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from service.catalogue_query import (
    ERRORS,
    Cluster,
    Frequency,
    Geography,
    Level,
    Limit,
    Measure,
    Offset,
    check_limit,
    filter_catalogue,
    filter_params,
)
from service.deps import ModelDep, SettingsDep
from service.http import conditional, not_found, revalidate
from service.schemas import SID, NotFound, SeriesHistory, SeriesPage
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1/series", tags=["series"], route_class=StrictJSONRoute)

SeriesId = Annotated[
    str,
    Path(
        max_length=300,
        description="measure.geography.cluster.frequency",
        openapi_examples={"fdi": {"value": SID}},
    ),
]


@router.get("", response_model=SeriesPage, summary="Series catalogue (filtered, paginated)", responses=ERRORS)
async def list_series(
    request: Request,
    response: Response,
    m: ModelDep,
    settings: SettingsDep,
    measure: Measure = None,
    geography: Geography = None,
    level: Level = None,
    cluster: Cluster = None,
    frequency: Frequency = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Every series the model forecasts, with its measure, geography (code, name, level), cluster,
    frequency, unit, coverage, sources and whether its data are synthetic."""
    limit = check_limit(settings, limit)
    if (not_modified := revalidate(request, response, m)) is not None:
        return not_modified
    rows = filter_catalogue(m.catalogue, filter_params(measure, geography, level, cluster, frequency))
    nxt = offset + limit if offset + limit < len(rows) else None
    page = [dict(r) for r in rows[offset : offset + limit]]
    return {"total": len(rows), "limit": limit, "offset": offset, "next_offset": nxt, "items": page}


@router.get(
    "/{series_id}/history",
    response_model=SeriesHistory,
    summary="Observed history of one series",
    responses={404: {"model": NotFound, "description": "Unknown series; close matches suggested."}, **ERRORS},
)
async def history(request: Request, series_id: SeriesId, m: ModelDep) -> Response:
    """Observations used for training, each with its source and warehouse vintage (a body precomputed at
    model load, validated against the model by the contract tests)."""
    entry = m.series.get(series_id)
    if entry is None:
        raise not_found(series_id, m)
    return conditional(request, m, lambda: entry.history_json, etag=entry.history_etag)
