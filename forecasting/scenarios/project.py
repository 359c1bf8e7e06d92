"""Scenario projections from a trained bundle alone (no warehouse, no refit), so they are fast.

``project(bundle, scenario, series)`` is the entry point (the CLI, the API and the scorecards' scenario
downside use it). A projection is three pure steps over an immutable index of the bundle:

1. ``validate.validate`` -- the scenario against the bundle: driver paths as relative deviations, shocks as
   differences, or one ``ScenarioError`` naming every bad change and field;
2. ``propagate.propagate`` -- the differences carried through the links (stock-flow accumulation,
   pass-through, elasticities, the macro block) and shared down each tree, as a central path and draws;
3. ``assemble.assemble`` -- the result: baseline and scenario quantiles, the difference with its 80/95%
   intervals, the decomposition by assumption, why each unmoved series did not move, provenance.

The index (``index.BundleIndex``) is built with the ``ScenarioEngine``; whoever serves many projections of
one model keeps the engine (the API hangs it off the served model, the scorecards off their bundle), so
this module holds no cache of its own. Same bundle + scenario + seed ->
identical output: draws come from generators keyed by the seed and a series name, so a series' numbers
do not depend on which other series were asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from forecasting.registry.contents import BundleContents
from forecasting.scenarios import timing
from forecasting.scenarios.assemble import assemble
from forecasting.scenarios.definitions import Scenario
from forecasting.scenarios.index import BundleIndex
from forecasting.scenarios.propagate import propagate
from forecasting.scenarios.result import ScenarioResult
from forecasting.scenarios.validate import validate

DEFAULT_DRAWS = 500
MAX_DRAWS = 5000


class ScenarioEngine:
    """A bundle's index plus the three projection steps; cheap to call once built (keep it per model)."""

    def __init__(self, bundle: BundleContents) -> None:
        self.index = BundleIndex.build(bundle)

    @property
    def provenance(self) -> dict:
        return dict(self.index.provenance)

    @property
    def drivers(self) -> dict[str, str | None]:
        return dict(self.index.drivers)

    def resolve_driver(self, name: str) -> str:
        return self.index.resolve_driver(name)

    def project(
        self,
        scenario: Scenario,
        series: Sequence[str] | None = None,
        *,
        seed: int | None = None,
        draws: int | None = None,
        today: dt.date | str | None = None,
    ) -> ScenarioResult:
        """Scenario vs baseline for ``series`` (default: every series); ``seed`` defaults to the bundle's,
        ``today`` (what "next year" means) to the real date."""
        seed = self.index.seed if seed is None else int(seed)
        n = DEFAULT_DRAWS if draws is None else max(50, min(int(draws), MAX_DRAWS))
        plan = validate(self.index, scenario, series, today=timing.resolve_today(today))
        prop = propagate(self.index, plan, seed=seed, n_draws=n)
        return assemble(self.index, plan, prop, seed)


def project(
    bundle: BundleContents,
    scenario: Scenario,
    series: list[str] | None = None,
    *,
    seed: int | None = None,
    draws: int | None = None,
    today: dt.date | str | None = None,
) -> ScenarioResult:
    """Scenario vs baseline for ``series`` (default: every series in the bundle); see the module docstring.
    Builds the bundle's engine for this one call: keep a ``ScenarioEngine`` to project repeatedly."""
    return ScenarioEngine(bundle).project(scenario, series, seed=seed, draws=draws, today=today)


__all__ = ["DEFAULT_DRAWS", "ScenarioEngine", "project"]
