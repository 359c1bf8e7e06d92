"""The metric catalogue (``catalogue.toml``) as typed records.

Why data, not code: economists add, re-word or re-area a metric without touching the computations; the
computations (``metrics.py``) look metrics up by id and the catalogue says how each is read.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from forecasting.errors import InvestError, NotFound

CATALOGUE_FILE = Path(__file__).parent / "catalogue.toml"
Aggregation = Literal[
    "sum", "apportioned_sum", "employment_weighted_mean", "ratio", "growth", "forecast", "scenario"
]


class ScorecardError(InvestError):
    """Scorecards cannot be built as asked (bad weights file, no data to score)."""


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    area: str
    definition: str
    unit: str
    format: str = ".2f"
    direction: Literal["higher", "lower"]
    source: str
    measures: tuple[str, ...]
    finest_geography: str
    aggregation: Aggregation
    partner: bool = False
    in_score: bool = True
    benchmark: str = ""

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.direction == "higher" else -1.0


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    areas: dict[str, str]
    metrics: tuple[MetricSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [m.id for m in self.metrics]
        if len(set(ids)) != len(ids):
            raise ValueError("metric catalogue: duplicate metric ids")
        bad = [m.id for m in self.metrics if m.area not in self.areas]
        if bad:
            raise ValueError(
                f"metric catalogue: metrics {bad} name an unknown area; known {list(self.areas)}"
            )
        return self

    def get(self, metric_id: str) -> MetricSpec:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise NotFound(f"unknown metric {metric_id!r}; known: {[m.id for m in self.metrics]}")

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.metrics]


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The packaged catalogue (cached) or another file with the same layout."""
    return _load(str(path or CATALOGUE_FILE))


@lru_cache(maxsize=4)
def _load(path: str) -> Catalogue:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return Catalogue(areas=data["areas"], metrics=tuple(MetricSpec(**m) for m in data["metric"]))
