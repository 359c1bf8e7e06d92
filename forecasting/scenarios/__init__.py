"""Scenario projections: forecasts conditional on driver paths and shocks, from global to Local Authority.

``definitions`` (scenario files and validation of their shape), ``index`` (an immutable index of a bundle,
kept with the engine that built it), ``validate`` (a scenario against the index, pure), ``propagate`` (the
differences through links, the macro block and the trees, with draws: ``inputs``, ``transmitted``,
``conditioning``, ``trees``), ``macro`` (conditional forecasts
from the bundle's VAR), ``assemble`` and ``result`` (what a projection returns), ``project`` (the entry
point), ``charts``. Everything projects from a bundle alone: training estimated the links.
"""

from forecasting.scenarios.definitions import (
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from forecasting.scenarios.project import ScenarioEngine, project
from forecasting.scenarios.result import ScenarioResult

__all__ = [
    "Scenario",
    "ScenarioEngine",
    "ScenarioError",
    "ScenarioResult",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "project",
]
