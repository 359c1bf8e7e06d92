"""The series catalogue and each series' observed history (with source and vintage)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from service.deps import ModelDep, SettingsDep
from service.http import conditional, not_found, revalidate
from service.schemas import SID, Message, NotFound, SeriesHistory, SeriesPage, ValidationError422
from service.settings import ApiSettings
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1/series", tags=["series"], route_class=StrictJSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationError422, "description": "A bad parameter (the field is named in `loc`)."},
    503: {"model": Message, "description": "No model loaded."},
}
SeriesId = Annotated[
    str,
    Path(
        max_length=300,
        description="measure.geography.cluster.frequency",
        openapi_examples={"fdi": {"value": SID}},
    ),
]


def _wanted(raw: str | None) -> set[str] | None:
    return None if raw is None else {v.strip() for v in raw.split(",") if v.strip()}


def filter_catalogue(
    rows: Iterable[Mapping[str, Any]], filters: Mapping[str, str | None]
) -> list[Mapping[str, Any]]:
    """Rows whose fields equal one of the comma-separated values of every given filter."""
    wanted = {k: _wanted(v) for k, v in filters.items() if v is not None}
    return [r for r in rows if all(str(r.get(k)) in vals for k, vals in wanted.items() if vals)]


def filter_params(
    measure: str | None, geography: str | None, level: str | None, cluster: str | None, frequency: str | None
) -> dict[str, str | None]:
    return {
        "measure": measure,
        "geography": geography,
        "geography_level": level,
        "cluster": cluster,
        "frequency": frequency,
    }


Measure = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Measure id(s), comma-separated.",
        openapi_examples={"fdi": {"value": "fdi_inward_position"}},
    ),
]
Geography = Annotated[
    str | None,
    Query(
        max_length=2000, description="Canonical geography code(s).", openapi_examples={"wm": {"value": "TLG"}}
    ),
]
Level = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Geography level(s), e.g. itl1, itl2, lad.",
        openapi_examples={"itl1": {"value": "itl1"}},
    ),
]
Cluster = Annotated[
    str | None,
    Query(max_length=500, description="Cluster id(s) or `all`.", openapi_examples={"all": {"value": "all"}}),
]
Frequency = Annotated[
    str | None,
    Query(
        max_length=20, description="A, Q or M (comma-separated).", openapi_examples={"annual": {"value": "A"}}
    ),
]
Limit = Annotated[int, Query(ge=1, le=100_000, description="Page size (at most the server's max_page_size).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def check_limit(settings: ApiSettings, limit: int) -> int:
    """A limit above the server's page size is reduced to it (the response says which limit applied)."""
    return min(limit, settings.max_page_size)


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
