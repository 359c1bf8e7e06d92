"""What the catalogue-listing routes share: the filter query parameters, the filter itself and the page size.

A module of its own so routers share it without importing each other (``/v1/series`` and ``/v1/forecasts``
both list the catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import Query

from forecasting.settings import ApiSettings
from service.schemas import Message, ValidationError422

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationError422, "description": "A bad parameter (the field is named in `loc`)."},
    503: {"model": Message, "description": "No model loaded."},
}


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
