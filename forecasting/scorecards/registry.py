"""Which function computes which catalogue metric: one function registered per metric id.

Why a registry checked against the catalogue: the catalogue is data an economist edits; a metric added only
there used to surface as a ``KeyError`` deep inside a build. Now ``load_metric_set`` pairs every catalogue id
with its function when the scorecards start and names every metric without a function, and every function
without a catalogue entry, in one clear error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecasting.scorecards.catalogue import Catalogue, MetricSpec, ScorecardError, load_catalogue
from forecasting.scorecards.result import MetricResult

# (context.MetricContext, spec) -> result; the context is typed loosely here because it imports this module.
ComputeFn = Callable[[Any, MetricSpec], MetricResult]
# Modules whose import registers the packaged metric functions.
METRIC_MODULES = (
    "forecasting.scorecards.metrics",
    "forecasting.scorecards.innovation_metrics",
    "forecasting.scorecards.partner_metrics",
    "forecasting.scorecards.forecast_metrics",
    "forecasting.scorecards.scenario_metrics",
)


@dataclass
class Registry:
    """Metric id -> compute function."""

    functions: dict[str, ComputeFn] = field(default_factory=dict)

    def metric(self, metric_id: str) -> Callable[[ComputeFn], ComputeFn]:
        """Decorator: register ``fn`` as the computation of catalogue metric ``metric_id``."""

        def register(fn: ComputeFn) -> ComputeFn:
            if metric_id in self.functions and self.functions[metric_id] is not fn:
                raise ScorecardError(
                    f"metric {metric_id!r} registered twice: {self.functions[metric_id].__qualname__} "
                    f"and {fn.__qualname__}"
                )
            self.functions[metric_id] = fn
            return fn

        return register

    def check(self, catalogue: Catalogue) -> None:
        """Every catalogue metric has a function and every function a catalogue entry, or one clear error."""
        ids = set(catalogue.ids)
        missing = sorted(ids - set(self.functions))
        orphans = sorted(set(self.functions) - ids)
        problems = []
        if missing:
            problems.append(
                f"catalogue metrics without a compute function: {missing} "
                "(register one with @registry.metric(<id>) in a metric module)"
            )
        if orphans:
            problems.append(
                f"compute functions without a catalogue entry: "
                f"{[f'{m} ({self.functions[m].__module__}.{self.functions[m].__qualname__})' for m in orphans]} "
                "(add a [[metric]] entry to catalogue.toml or remove the function)"
            )
        if problems:
            raise ScorecardError("metric catalogue and compute functions disagree: " + "; ".join(problems))

    def __getitem__(self, metric_id: str) -> ComputeFn:
        return self.functions[metric_id]


REGISTRY = Registry()
metric = REGISTRY.metric


def packaged_registry() -> Registry:
    """The registry after importing every packaged metric module."""
    for name in METRIC_MODULES:
        importlib.import_module(name)
    return REGISTRY


@dataclass(frozen=True)
class MetricSet:
    catalogue: Catalogue
    registry: Registry


def load_metric_set(path: Path | None = None, registry: Registry | None = None) -> MetricSet:
    """The catalogue and its compute functions, checked against each other (the scorecards' start)."""
    cat = load_catalogue(path)
    reg = registry or packaged_registry()
    reg.check(cat)
    return MetricSet(cat, reg)
