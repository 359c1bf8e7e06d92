"""Scenario projections: forecasts conditional on driver paths and shocks, from global to Local Authority.

``definitions`` (scenario files and validation), ``drivers`` (aliases, families, period alignment),
``transmission`` (elasticities estimated at training time: the bundle's ``transmission`` table),
``project`` (projection from a bundle alone), ``result`` (what a projection returns), ``charts``.
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
from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    transmission_metrics,
)

__all__ = [
    "TRANSMISSION_COLUMNS",
    "Scenario",
    "ScenarioEngine",
    "ScenarioError",
    "ScenarioResult",
    "engine_for",
    "estimate_transmission",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "project",
    "transmission_metrics",
]
