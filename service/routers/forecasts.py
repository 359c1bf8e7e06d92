"""Forecasts: one series (hot path), a batch for the scorecard pipeline, and a filtered table (JSON/CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from forecasting.registry.contents import IDENTITY_FIELDS
from forecasting.vocabulary import interval_levels, qcol
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
from service.http import (
    check_horizon,
    conditional,
    field_error,
    not_found,
    parse_quantiles,
    revalidate,
    suggestions,
)
from service.schemas import (
    QUANTILES_PATTERN,
    SID,
    BatchRequest,
    BatchResponse,
    ForecastTable,
    Message,
    NotFound,
    SeriesForecast,
)
from service.served import SeriesEntry, ServedModel, dumps
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1", tags=["forecasts"], route_class=StrictJSONRoute)

Horizon = Annotated[
    int | None,
    Query(
        ge=1,
        le=1000,
        description="Steps ahead, from 1 to the steps stored for the series (its `max_horizon` on "
        "`/v1/models/current` gives the model's largest); default all stored; 422 beyond.",
        openapi_examples={"three": {"value": 3}},
    ),
]
Quantiles = Annotated[
    str | None,
    Query(
        pattern=QUANTILES_PATTERN,
        max_length=200,
        description="Comma-separated stored quantiles.",
        openapi_examples={"80% interval": {"value": "0.1,0.5,0.9"}},
    ),
]
NOT_FOUND = {404: {"model": NotFound, "description": "Unknown series; close matches suggested."}}
TOO_LARGE = {
    413: {"model": Message, "description": "More ids than max_batch, or a body over max_body_bytes."}
}


# The hot path reads its parameters itself: FastAPI's per-parameter validation costs more than the rest of
# the request (measured ~40 us each), so they are documented here and checked by hand with the same 422s.
SINGLE_PARAMS = [
    {
        "name": "series_id",
        "in": "path",
        "required": True,
        "description": "measure.geography.cluster.frequency; at most 300 characters (the whole request line "
        "and headers at most INVEST_API_MAX_HEADER_BYTES, 32 KiB by default: 431 beyond).",
        "schema": {"type": "string", "maxLength": 300},
        "examples": {"fdi": {"value": SID}},
    },
    {
        "name": "horizon",
        "in": "query",
        "required": False,
        "description": "Steps ahead, from 1 to the steps stored for the series (`max_horizon` on "
        "`/v1/models/current` gives the model's largest); default all stored; 422 beyond.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
        "examples": {"three": {"value": 3}},
    },
    {
        "name": "quantiles",
        "in": "query",
        "required": False,
        "description": "Comma-separated stored quantiles.",
        "schema": {"type": "string", "maxLength": 200},
        "examples": {"80% interval": {"value": "0.1,0.5,0.9"}},
    },
]


def int_param(raw: str | None, loc: list[str], lo: int, hi: int) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise field_error(loc, f"Input should be a valid integer, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise field_error(loc, f"Input should be between {lo} and {hi}, got {value}")
    return value


@router.get(
    "/forecasts/{series_id}",
    response_model=SeriesForecast,
    summary="Forecast for one series",
    responses={**NOT_FOUND, **ERRORS},
    openapi_extra={"parameters": SINGLE_PARAMS},
)
async def forecast(request: Request, m: ModelDep) -> Response:
    """Periods, mean, quantiles and central intervals, the method chosen, with provenance (model name and
    version, run id, data vintage, sources, synthetic or not). Without parameters this is a precomputed
    body."""
    series_id: str = request.path_params["series_id"]
    entry = m.series.get(series_id)
    if entry is None:
        raise not_found(series_id, m)
    if not request.scope["query_string"]:
        return conditional(request, m, lambda: entry.forecast_json, etag=entry.forecast_etag)
    params = request.query_params
    horizon = int_param(params.get("horizon"), ["query", "horizon"], 1, 1000)
    raw_q = params.get("quantiles")
    if raw_q is not None and len(raw_q) > 200:
        raise field_error(["query", "quantiles"], "String should have at most 200 characters")
    if horizon is None and raw_q is None:
        return conditional(request, m, lambda: entry.forecast_json, etag=entry.forecast_etag)
    h = check_horizon(horizon, entry.max_horizon, ["query", "horizon"], series_id)
    qs = parse_quantiles(raw_q, m, ["query", "quantiles"])
    return conditional(request, m, lambda: dumps(m.forecast_dict(entry, h, qs)))


@router.post(
    "/forecasts:batch",
    response_model=BatchResponse,
    summary="Forecasts for many series (scorecard pipeline)",
    responses={
        400: {"model": Message, "description": "The body cannot be decoded (not UTF-8)."},
        **TOO_LARGE,
        **NOT_FOUND,
        **ERRORS,
    },
)
async def batch(request: Request, body: BatchRequest, settings: SettingsDep, m: ModelDep) -> Response:
    """Up to `max_batch` (1,000) series per call, answered in the order given (duplicates once). Unknown ids
    give 404 with suggestions unless `ignore_unknown` is set. The default bodies are precomputed."""
    cap = settings.max_batch
    if len(body.series_ids) > cap:
        raise HTTPException(
            413, detail=f"{len(body.series_ids)} series ids in one call; the maximum is {cap}"
        )
    ids = list(dict.fromkeys(body.series_ids))
    entries = [m.series.get(s) for s in ids]
    unknown = [s for s, e in zip(ids, entries, strict=True) if e is None]
    unknown_out = [
        {"series_id": s[:300], "suggestions": suggestions(s, m) if i < 20 else []}
        for i, s in enumerate(unknown)
    ]
    if unknown and not body.ignore_unknown:
        raise HTTPException(404, detail={"message": f"{len(unknown)} unknown series", "unknown": unknown_out})
    found = [e for e in entries if e is not None]
    if body.horizon is None and body.quantiles is None:
        parts = [e.forecast_json for e in found]  # precomputed: microseconds, stay on the loop
    else:
        parts = await run_in_threadpool(_bodies, m, found, body.horizon, body.quantiles)
    head = b'{"model":' + dumps(m.provenance()) + b',"count":' + str(len(found)).encode() + b',"forecasts":['
    out = head + b",".join(parts) + b'],"unknown":' + dumps(unknown_out) + b"}"
    return conditional(request, m, lambda: out, extra=body.model_dump_json().encode(), check=False)


def _bodies(
    m: ServedModel, entries: Sequence[SeriesEntry], horizon: int | None, quantiles: Sequence[float] | None
) -> list[bytes]:
    if horizon is None and quantiles is None:
        return [e.forecast_json for e in entries]
    qs = parse_quantiles(quantiles, m, ["body", "quantiles"])
    if horizon is not None and entries:
        limit = min(entries, key=lambda e: e.max_horizon)
        check_horizon(horizon, limit.max_horizon, ["body", "horizon"], f"series {limit.series_id}")
    return [dumps(m.forecast_dict(e, horizon or e.max_horizon, qs)) for e in entries]


def provenance_columns(m: ServedModel, e: SeriesEntry) -> dict[str, Any]:
    """The single forecast's ``provenance`` block as flat columns (sources comma-joined), so the JSON and
    CSV tables carry exactly what the per-series JSON does."""
    p = m.provenance(e)
    return {**p, "sources": ",".join(p["sources"])}


PROVENANCE_COLUMNS = (
    "method",
    "fallback",
    "reconciled",
    "is_synthetic",
    "model_name",
    "model_version",
    "model_alias",
    "run_id",
    "data_vintage",
    "trained_at",
    "served_from",
    "sources",
    "last_observed",
    "present",
    "nowcast_periods",
    "stale",
    "stale_reason",
    "history_note",
    "little_evidence",
    "calibration_errors",
)


def table_columns(m: ServedModel, qs: Sequence[float]) -> list[str]:
    """Column order of the forecast table (also the CSV header when no row matches): identity, step,
    values, any extra forecast columns of the bundle (e.g. ``kind``), then provenance."""
    bounds = [c for lv in interval_levels(qs) for c in (f"lo{lv}", f"hi{lv}")]
    return [
        "series_id",
        *IDENTITY_FIELDS,
        "step",
        "period",
        "period_start",
        "point",
        "mean",
        *(qcol(q) for q in qs),
        *bounds,
        *m.forecast_extras,
        *PROVENANCE_COLUMNS,
    ]


def table_rows(
    m: ServedModel, entries: Sequence[SeriesEntry], horizon: int | None, qs: Sequence[float]
) -> list[dict[str, Any]]:
    """Flat series x step rows with q<p> and lo<L>/hi<L> columns, extra forecast columns and provenance."""
    levels = interval_levels(qs)
    extras = m.forecast_extras
    rows = []
    for e in entries:
        if horizon is not None and horizon > e.max_horizon:
            raise field_error(
                ["query", "horizon"],
                f"horizon {horizon} is beyond the maximum {e.max_horizon} stored for {e.series_id}",
            )
        info = e.info
        ident: dict[str, Any] = {k: info.get(k) for k in ("series_id", *IDENTITY_FIELDS)}
        prov = provenance_columns(m, e) | {"fallback": e.fallback or "", "reconciled": e.reconciled}
        for s in e.steps[: horizon or e.max_horizon]:
            row = dict(ident)
            row |= {
                "step": s["step"],
                "period": s["period"],
                "period_start": s["period_start"],
                "point": s.get("point", s["mean"]),
                "mean": s["mean"],
            }
            row |= {qcol(q): s[qcol(q)] for q in qs}
            for lv in levels:
                a = round((1 - lv / 100) / 2, 6)
                row[f"lo{lv}"], row[f"hi{lv}"] = s[qcol(a)], s[qcol(round(1 - a, 6))]
            for k in extras:
                row[k] = s.get(k)
            row |= prov
            rows.append(row)
    return rows


# Text cells starting like a formula get a leading ' (as `invest forecast-csv` writes them), so a
# spreadsheet shows a series id such as =HYPERLINK(...) as text instead of running it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue().encode()


CSV_EXAMPLE = (
    "series_id,measure,geography,geography_name,geography_level,cluster,frequency,unit,step,period,"
    "period_start,point,mean,q0.1,q0.9,lo80,hi80,method,fallback,reconciled,is_synthetic,model_name,model_version,"
    "model_alias,run_id,data_vintage,trained_at,served_from,sources\n"
)


@router.get(
    "/forecasts",
    response_model=ForecastTable,
    summary="Forecast table (filtered; JSON or CSV)",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
            "description": "JSON, or CSV with `Accept: text/csv` (or `format=csv`). Both carry the same "
            "columns: provenance (model version, run id, data vintage, synthetic or not, sources) on "
            "every row.",
        },
        **ERRORS,
    },
)
def table(
    request: Request,
    response: Response,
    m: ModelDep,
    settings: SettingsDep,
    measure: Measure = None,
    geography: Geography = None,
    level: Level = None,
    cluster: Cluster = None,
    frequency: Frequency = None,
    horizon: Horizon = None,
    quantiles: Quantiles = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="Overrides the Accept header.")
    ] = None,
) -> Any:
    """One row per series and step for the series matching the filters (`level` = geography level);
    pages are of series (`limit`, `offset`)."""
    limit = check_limit(settings, limit)
    qs = parse_quantiles(quantiles, m, ["query", "quantiles"])
    want_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    selected = filter_catalogue(m.catalogue, filter_params(measure, geography, level, cluster, frequency))
    page = [m.series[r["series_id"]] for r in selected[offset : offset + limit]]
    rows = table_rows(m, page, horizon, qs)
    if want_csv:
        resp = conditional(
            request, m, lambda: to_csv(rows, table_columns(m, qs)), media_type="text/csv", extra=b"csv"
        )
        resp.headers["Vary"] = "Accept"
        return resp
    response.headers["Vary"] = "Accept"
    if (not_modified := revalidate(request, response, m, extra=b"json")) is not None:
        not_modified.headers["Vary"] = "Accept"
        return not_modified
    nxt = offset + limit if offset + limit < len(selected) else None
    return {
        "model": m.provenance(),
        "total_series": len(selected),
        "limit": limit,
        "offset": offset,
        "next_offset": nxt,
        "rows": rows,
    }
