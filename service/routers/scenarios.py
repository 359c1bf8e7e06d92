"""Scenarios: the named scenarios, their projections, and projections of an inline definition.

Why plain ``def`` for projections: they are CPU-bound (numpy on the bundle's arrays), so they run in the
threadpool. The projection engine is built once per served model (``ScenarioEngineDep``: it hangs off the
``ServedModel`` and goes with it on reload), so a request costs the projection itself. The
response body is ``ScenarioResult.to_dict()`` (differences with their 80/95% intervals, nowcast/forecast
kind, units, links and whether each is identified). Bad input -- including absurd magnitudes and
non-finite values -- is a 422 whose ``loc`` names the change and field.

Needs the loaded ``BundleContents`` (``ServedModel.contents``); without them the routes answer 503. The
inline body is typed (``ProjectRequest`` wraps ``forecasting.scenarios.definitions.Scenario``), and every
response is validated against ``ProjectionResponse``.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from forecasting.scenarios.definitions import (
    SCENARIO_DIR,
    Scenario,
    ScenarioError,
    list_scenarios,
    read_scenario_file,
)
from forecasting.scenarios.describe import describe_drivers
from forecasting.scenarios.project import ScenarioEngine
from forecasting.settings import ApiSettings
from service.deps import ModelDep, ScenarioEngineDep, SettingsDep
from service.schemas import DriverList, Message, ProjectionResponse, ProjectRequest, ScenarioList
from service.served import ServedModel
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1", tags=["scenarios"], route_class=StrictJSONRoute)

SeriesQuery = Annotated[
    str | None,
    Query(
        max_length=20000,
        description="Comma-separated series ids (default: every series in the bundle).",
        openapi_examples={"two": {"value": "fdi_inward_position.TLG.all.A,fdi_inward_position.MID.all.A"}},
    ),
]
TodayQuery = Annotated[
    str | None,
    Query(
        description="The date scenario time is relative to, YYYY-MM-DD: 'next year' after it (default: today).",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        openapi_examples={"december": {"value": "2026-12-07"}},
    ),
]


def _as_date(today: str | None) -> datetime.date | None:
    """The query's date (its form is checked by the pattern; a day that does not exist is a 422 in words)."""
    if today is None:
        return None
    try:
        return datetime.date.fromisoformat(today)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "today"),
                    "msg": f"today {today!r} is not a calendar date (YYYY-MM-DD)",
                    "type": "value_error",
                    "input": today,
                }
            ]
        ) from None


ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "Bad scenario or series: `loc` names the change index and field."},
    503: {"model": Message, "description": "No model loaded yet."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "Unknown scenario name; the known names are listed."}
}


def _dir(settings: ApiSettings) -> Path:
    return Path(settings.scenarios_dir or SCENARIO_DIR)


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


def _run(
    m: ServedModel,
    engine: ScenarioEngine,
    scenario: Scenario,
    series: list[str] | None,
    prefix: list[str],
    series_prefix: list[str],
    today: datetime.date | None = None,
) -> dict[str, Any]:
    try:
        result = engine.project(scenario, series, today=today)
    except ScenarioError as exc:
        raise _unprocessable(exc, prefix, series_prefix) from None
    result.provenance = m.provenance()
    return result.to_dict()


@router.get("/scenarios", response_model=ScenarioList, summary="Named scenarios")
async def scenarios(settings: SettingsDep) -> Any:
    """The worked and saved scenarios (experiments/scenarios), each with its full definition."""
    out: list[dict[str, Any]] = []
    for name, path in list_scenarios(_dir(settings)).items():
        try:
            sc = read_scenario_file(path)
        except (ScenarioError, ValueError) as exc:
            out.append({"name": name, "error": str(exc)})
            continue
        out.append({"name": name, "description": sc.description, "definition": sc})
    return {"count": len(out), "scenarios": out}


@router.get(
    "/scenarios/drivers",
    response_model=DriverList,
    summary="Drivers a scenario may set",
    responses={503: ERRORS[503]},
)
def drivers(m: ModelDep, engine: ScenarioEngineDep, today: TodayQuery = None) -> Any:
    """Every driver of the served bundle with its unit, baseline and where it acts: the list `invest
    scenario drivers` prints, so a scenario can be written (or built in the workbench) without the CLI.
    Each period is marked past, nowcast or forecast relative to ``today``."""
    rows = describe_drivers(engine.index, _as_date(today))
    return {"model": m.provenance(), "count": len(rows), "drivers": rows}


@router.get(
    "/scenarios/{name}/projections",
    response_model=ProjectionResponse,
    summary="Project a named scenario",
    responses={**NOT_FOUND, **ERRORS},
)
def projections(
    name: str,
    m: ModelDep,
    engine: ScenarioEngineDep,
    settings: SettingsDep,
    series: SeriesQuery = None,
    today: TodayQuery = None,
) -> Any:
    """Baseline and scenario paths with 80/95% intervals, differences (absolute, %, cumulative), the
    driver paths used, how each series was reached, and provenance (model version, data vintage)."""
    named = list_scenarios(_dir(settings))
    if name not in named:
        raise HTTPException(
            404, detail={"message": f"unknown scenario {name[:100]!r}", "scenarios": sorted(named)}
        )
    try:
        sc = read_scenario_file(named[name])
    except ScenarioError as exc:
        raise _unprocessable(exc, ["scenario", name]) from None
    ids = [s.strip() for s in series.split(",") if s.strip()] if series else None
    return _run(m, engine, sc, ids, ["scenario", name], ["query"], _as_date(today))


@router.post(
    "/scenarios:project",
    response_model=ProjectionResponse,
    summary="Project an inline scenario",
    responses={
        400: {"model": Message, "description": "The body is not decodable JSON."},
        413: {"model": Message, "description": "A body over max_body_bytes."},
        **ERRORS,
    },
)
def project_inline(body: ProjectRequest, m: ModelDep, engine: ScenarioEngineDep) -> Any:
    """The same as the named projections for a definition sent in the body (`scenario`, validated as a
    `Scenario`: a bad field is a 422 naming the change index and field) and `series`."""
    return _run(m, engine, body.scenario, body.series, ["body", "scenario"], ["body"], body.today)
