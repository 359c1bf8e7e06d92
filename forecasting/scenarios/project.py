"""Scenario projections from a trained bundle alone (no warehouse, no refit), so they are fast.

``project(bundle, scenario, series)`` is the entry point (the CLI, the API and the scorecards' scenario
downside use it). A projection is three pure steps over an immutable index of the bundle:

1. ``validate.validate`` -- the scenario against the bundle: driver paths as relative deviations, shocks as
   differences, or one ``ScenarioError`` naming every bad change and field;
2. ``propagate.propagate`` -- the differences carried through the links (stock-flow accumulation,
   pass-through, elasticities, the macro block) and shared down each tree, as a central path and draws;
3. ``assemble.assemble`` -- the result: baseline and scenario quantiles, the difference with its 80/95%
   intervals, the decomposition by assumption, why each unmoved series did not move, provenance.

The index (``index.BundleIndex``) is built once per model version (registered bundles: name, version and
run; others: a digest of their tables) and shared by every request. Same bundle + scenario + seed ->
identical output: draws come from generators keyed by the seed and a series name, so a series' numbers
do not depend on which other series were asked for.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence

from forecasting.registry.contents import BundleContents
from forecasting.scenarios import timing
from forecasting.scenarios.assemble import assemble
from forecasting.scenarios.definitions import Scenario
from forecasting.scenarios.index import BundleIndex, bundle_key
from forecasting.scenarios.propagate import propagate
from forecasting.scenarios.result import ScenarioResult
from forecasting.scenarios.validate import validate

DEFAULT_DRAWS = 500
MAX_DRAWS = 5000
_CACHE_SIZE = 4


class ScenarioEngine:
    """A bundle's index plus the three projection steps; cheap to call, built once per model version."""

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


_ENGINES: OrderedDict[str, ScenarioEngine] = OrderedDict()
_KEYS: dict[int, tuple[weakref.ref, str]] = {}
_LOCK = threading.Lock()


def _key(bundle: BundleContents) -> str:
    """The bundle's model key; a digest for unregistered bundles, computed once per live object."""
    md = bundle.metadata
    if md.model_name and md.model_version and md.run_id:
        return bundle_key(bundle)
    with _LOCK:
        hit = _KEYS.get(id(bundle))
        if hit is not None and hit[0]() is bundle:
            return hit[1]
    key = bundle_key(bundle)
    with _LOCK:
        for k in [k for k, (ref, _) in _KEYS.items() if ref() is None]:
            del _KEYS[k]
        _KEYS[id(bundle)] = (weakref.ref(bundle), key)
    return key


def engine_for(bundle: BundleContents) -> ScenarioEngine:
    """The engine for ``bundle``'s model version, built once and shared (projections then cost milliseconds)."""
    key = _key(bundle)
    with _LOCK:
        hit = _ENGINES.get(key)
        if hit is not None:
            _ENGINES.move_to_end(key)
            return hit
    engine = ScenarioEngine(bundle)
    with _LOCK:
        _ENGINES[key] = engine
        while len(_ENGINES) > _CACHE_SIZE:
            _ENGINES.popitem(last=False)
    return engine


def project(
    bundle: BundleContents,
    scenario: Scenario,
    series: list[str] | None = None,
    *,
    seed: int | None = None,
    draws: int | None = None,
    today: dt.date | str | None = None,
) -> ScenarioResult:
    """Scenario vs baseline for ``series`` (default: every series in the bundle); see the module docstring."""
    return engine_for(bundle).project(scenario, series, seed=seed, draws=draws, today=today)


__all__ = ["DEFAULT_DRAWS", "ScenarioEngine", "engine_for", "project"]
