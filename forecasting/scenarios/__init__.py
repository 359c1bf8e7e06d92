"""Scenario projections: forecasts conditional on driver paths and shocks, from global to Local Authority.

``definitions`` (scenario files and validation), ``alignment`` (driver deviations onto target periods),
``project`` (projection from a bundle alone: its ``transmission`` table holds the elasticities training
estimated, its metadata the drivers), ``result`` (what a projection returns), ``charts``.
"""

from forecasting.scenarios.definitions import (
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from forecasting.scenarios.project import ScenarioEngine, engine_for, project
from forecasting.scenarios.result import ScenarioResult

__all__ = [
    "Scenario",
    "ScenarioEngine",
    "ScenarioError",
    "ScenarioResult",
    "engine_for",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "project",
]
