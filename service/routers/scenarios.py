"""Scenarios: the named scenarios, their projections, and projections of an inline definition.

Why plain ``def`` for projections: they are CPU-bound (numpy on the bundle's arrays), so they run in the
threadpool. The projection engine is built once per model version (``engine_for`` caches it on the
registered version, or a digest of an unregistered bundle), so a request costs the projection itself. The
response body is ``ScenarioResult.to_dict()`` (differences with their 80/95% intervals, nowcast/forecast
kind, units, links and whether each is identified). Bad input -- including absurd magnitudes and
non-finite values -- is a 422 whose ``loc`` names the change and field.

Needs the loaded ``BundleContents``: read from ``ServedModel.contents`` when the serving code keeps it,
else from the bundle source (``StaticSource.contents``); without either the routes answer 503.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from forecasting.registry.contents import BundleContents
from forecasting.scenarios.definitions import (
    SCENARIO_DIR,
    ScenarioError,
    list_scenarios,
    parse_scenario,
    read_scenario_file,
)
from forecasting.scenarios.project import engine_for
from service.examples import PROJECTION_EXAMPLE, SCENARIOS_EXAMPLE, ok
from service.http import current_model
from service.served import ServedModel, dumps

router = APIRouter(prefix="/v1", tags=["scenarios"])

SeriesQuery = Annotated[
    str | None,
    Query(
        max_length=20000,
        description="Comma-separated series ids (default: every series in the bundle).",
        openapi_examples={"two": {"value": "fdi_inward_position.TLG.all.A,fdi_inward_position.MID.all.A"}},
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "Bad scenario or series: `loc` names the change index and field."},
    503: {"description": "No model loaded yet."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown scenario name; the known names are listed."}
}


class ProjectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(description="A scenario definition (same shape as the TOML files).")
    series: list[str] | None = Field(default=None, max_length=20000, description="Series ids; default all.")


def _dir(request: Request) -> Path:
    return Path(getattr(request.app.state.settings, "scenarios_dir", None) or SCENARIO_DIR)


def _contents(request: Request, m: ServedModel) -> BundleContents:
    contents = getattr(m, "contents", None) or getattr(request.app.state.holder.source, "contents", None)
    if contents is None:
        raise HTTPException(503, detail="the served model does not carry the bundle tables scenarios need")
    return contents


def _unprocessable(
    exc: ScenarioError, prefix: list[str], series_prefix: list[str] | None = None
) -> HTTPException:
    """422 with FastAPI-shaped errors; ``loc`` gains where the scenario (or the series list) came from."""
    detail = [
        {
            **e,
            "loc": [*(series_prefix if series_prefix and e["loc"][:1] == ["series"] else prefix), *e["loc"]],
        }
        for e in exc.errors
    ]
    return HTTPException(422, detail=detail)


def _provenance(m: ServedModel) -> dict[str, Any]:
    p = m.provenance()
    keys = (
        "model_name",
        "model_version",
        "model_alias",
        "run_id",
        "data_vintage",
        "trained_at",
        "served_from",
    )
    return {k: p.get(k) for k in keys}


def _run(
    request: Request, scenario: Any, series: list[str] | None, prefix: list[str], series_prefix: list[str]
) -> Response:
    m = current_model(request)
    engine = engine_for(_contents(request, m))
    try:
        result = engine.project(scenario, series)
    except ScenarioError as exc:
        raise _unprocessable(exc, prefix, series_prefix) from None
    result.provenance = _provenance(m)
    return Response(content=dumps(result.to_dict()), media_type="application/json")


@router.get("/scenarios", summary="Named scenarios", responses=ok(SCENARIOS_EXAMPLE, "Named scenarios."))
async def scenarios(request: Request) -> dict[str, Any]:
    """The worked and saved scenarios (experiments/scenarios), each with its full definition."""
    out = []
    for name, path in list_scenarios(_dir(request)).items():
        try:
            sc = read_scenario_file(path)
        except (ScenarioError, ValueError) as exc:
            out.append({"name": name, "error": str(exc)})
            continue
        out.append({"name": name, "description": sc.description, "definition": sc.model_dump(mode="json")})
    return {"count": len(out), "scenarios": out}


@router.get(
    "/scenarios/{name}/projections",
    summary="Project a named scenario",
    responses={**ok(PROJECTION_EXAMPLE, "Scenario vs baseline per series."), **NOT_FOUND, **ERRORS},
)
def projections(request: Request, name: str, series: SeriesQuery = None) -> Response:
    """Baseline and scenario paths with 80/95% intervals, differences (absolute, %, cumulative), the
    driver paths used, how each series was reached, and provenance (model version, data vintage)."""
    named = list_scenarios(_dir(request))
    if name not in named:
        raise HTTPException(
            404, detail={"message": f"unknown scenario {name[:100]!r}", "scenarios": sorted(named)}
        )
    try:
        sc = read_scenario_file(named[name])
    except ScenarioError as exc:
        raise _unprocessable(exc, ["scenario", name]) from None
    ids = [s.strip() for s in series.split(",") if s.strip()] if series else None
    return _run(request, sc, ids, ["scenario", name], ["query"])


@router.post(
    "/scenarios:project",
    summary="Project an inline scenario",
    responses={
        **ok(PROJECTION_EXAMPLE, "Scenario vs baseline per series."),
        400: {"description": "The body is not decodable JSON."},
        **ERRORS,
    },
)
def project_inline(request: Request, body: ProjectRequest) -> Response:
    """The same as the named projections for a definition sent in the body (`scenario`) and `series`."""
    try:
        sc = parse_scenario(body.scenario)
    except ScenarioError as exc:
        raise _unprocessable(exc, ["body", "scenario"]) from None
    return _run(request, sc, body.series, ["body", "scenario"], ["body"])
