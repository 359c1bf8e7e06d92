"""The metric catalogue (``catalogue.toml``) as typed records.

Why data, not code: economists add, re-word or re-area a metric, change which series it reads, its reference
year family or the error model of an input without touching the computations. Each metric id has exactly one
compute function (``forecasting.scorecards.registry``); the catalogue says what it reads (``series``), how it
is read (``params``), how the result is explained (``method``) and how uncertain its inputs are (``inputs``).
"""

from __future__ import annotations

import math
import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from forecasting.errors import InvestError, NotFound

CATALOGUE_FILE = Path(__file__).parent / "catalogue.toml"
Aggregation = Literal[
    "sum", "apportioned_sum", "employment_weighted_mean", "ratio", "share", "growth", "forecast", "scenario"
]
VariesBy = Literal["industry", "place", "none"]
ErrorKind = Literal["rounding", "revision", "none"]
YearBasis = Literal["calendar", "financial_april", "cohort"]


class ScorecardError(InvestError):
    """Scorecards cannot be built as asked (bad catalogue or weights file, no data to score)."""


class InputSpec(BaseModel):
    """How one warehouse measure is read: its year basis and the error the Monte Carlo draws for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error: ErrorKind
    why: str
    grid: tuple[tuple[float, float], ...] = ()  # rounding: (largest published value, step) ascending
    year_basis: YearBasis = "calendar"
    observed_lag: int = 0  # cohort measures: the year observed = period year + lag (3-year survival: 3)

    @model_validator(mode="after")
    def _grid(self) -> InputSpec:
        if self.error == "rounding":
            if not self.grid:
                raise ValueError("a rounding error model needs a grid of [largest value, step] pairs")
            bounds = [b for b, _ in self.grid]
            if bounds != sorted(bounds) or any(s <= 0 for _, s in self.grid):
                raise ValueError("rounding grid: bounds must ascend and steps be positive")
        return self

    def step(self, value: float) -> float:
        """The rounding step of a published value (the first grid row whose bound it does not exceed)."""
        for bound, step in self.grid:
            if value <= bound:
                return step
        return self.grid[-1][1]


class FamilySpec(BaseModel):
    """Metrics read in the same reference year (one year per family, stated on every page)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    measures: tuple[str, ...] = ()
    reference_year: Literal["latest_common", "horizon", "list"] = "latest_common"
    note: str = ""


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    area: str
    family: str
    definition: str
    method: str  # how the value is built; {placeholders} are filled from the result's details
    unit: str
    format: str = ".2f"
    direction: Literal["higher", "lower"]
    source: str
    measures: tuple[str, ...]
    series: dict[str, str] = Field(default_factory=dict)  # role -> measure or series-id template
    params: dict[str, Any] = Field(default_factory=dict)
    finest_geography: str
    aggregation: Aggregation
    varies_by: VariesBy
    partner: bool = False
    in_score: bool = True
    context_reason: str = ""
    benchmark: str = ""

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.direction == "higher" else -1.0

    def measure(self, role: str) -> str:
        """The warehouse measure behind a series role (the first part of a series id)."""
        return self.series_template(role).split(".", 1)[0]

    def series_template(self, role: str) -> str:
        try:
            return self.series[role]
        except KeyError:
            raise ScorecardError(
                f"metric {self.id!r}: the catalogue gives no series for role {role!r} "
                f"(it has {sorted(self.series)})"
            ) from None

    def series_id(self, role: str, **parts: str) -> str:
        """A concrete series id from the role's template, e.g. ``fdi_inward_position.{region}.all.A``."""
        template = self.series_template(role)
        try:
            return template.format(**parts)
        except KeyError as exc:
            raise ScorecardError(f"metric {self.id!r}: series {template!r} needs {exc}") from None

    def param(self, name: str) -> Any:
        try:
            return self.params[name]
        except KeyError:
            raise ScorecardError(f"metric {self.id!r}: the catalogue gives no parameter {name!r}") from None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    areas: dict[str, str]
    shared: dict[str, str]
    families: dict[str, FamilySpec]
    inputs: dict[str, InputSpec]
    metrics: tuple[MetricSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [m.id for m in self.metrics]
        problems = []
        if len(set(ids)) != len(ids):
            problems.append("duplicate metric ids")
        for m in self.metrics:
            if m.area not in self.areas:
                problems.append(f"metric {m.id!r} names unknown area {m.area!r} (known {list(self.areas)})")
            if m.family not in self.families:
                problems.append(
                    f"metric {m.id!r} names unknown family {m.family!r} (known {list(self.families)})"
                )
            for role, template in m.series.items():
                if template.split(".", 1)[0] not in m.measures:
                    problems.append(f"metric {m.id!r}: series {role!r} = {template!r} is not in its measures")
            fields = {f for _, f, _, _ in string.Formatter().parse(m.method) if f}
            if "year" in fields and m.family == "forecast":
                problems.append(f"metric {m.id!r}: forecast metrics have a horizon, not a {{year}}")
            if not m.in_score and not m.context_reason:
                problems.append(
                    f"metric {m.id!r} is context only (in_score = false) but gives no context_reason"
                )
        used = set(self.shared.values()) | {x for f in self.families.values() for x in f.measures}
        used |= {x for m in self.metrics for x in m.measures}
        missing = sorted(used - set(self.inputs))
        if missing:
            problems.append(
                f"measures without an [inputs.<measure>] entry (error model, year basis): {missing}"
            )
        if problems:
            raise ValueError("metric catalogue: " + "; ".join(problems))
        return self

    def get(self, metric_id: str) -> MetricSpec:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise NotFound(f"unknown metric {metric_id!r}; known: {[m.id for m in self.metrics]}")

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.metrics]

    def measures(self) -> list[str]:
        """Every warehouse measure the catalogue reads (what the scorecards load)."""
        return sorted(self.inputs)

    def input(self, measure: str) -> InputSpec:
        try:
            return self.inputs[measure]
        except KeyError:
            raise ScorecardError(f"the catalogue has no [inputs.{measure}] entry") from None

    def perturbed_measures(self) -> list[str]:
        """Measures with an input-data error model the Monte Carlo draws."""
        return sorted(m for m, spec in self.inputs.items() if spec.error != "none")

    def metrics_reading(self, measures: set[str]) -> list[str]:
        """Metric ids whose inputs include any of ``measures`` (recomputed for each input replicate)."""
        return [m.id for m in self.metrics if set(m.measures) & measures]


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The packaged catalogue (cached) or another file with the same layout."""
    return _load(str(path or CATALOGUE_FILE))


def _finite(x: Any) -> Any:
    return math.inf if isinstance(x, str) and x.strip().lower() == "inf" else x


@lru_cache(maxsize=8)
def _load(path: str) -> Catalogue:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScorecardError(f"metric catalogue {path}: {exc}") from exc
    inputs = {}
    for k, v in data.get("inputs", {}).items():
        v = dict(v)
        if "grid" in v:
            v["grid"] = tuple((float(_finite(b)), float(s)) for b, s in v["grid"])
        inputs[k] = v
    try:
        return Catalogue(
            areas=data["areas"],
            shared=data.get("shared", {}),
            families=data.get("families", {}),
            inputs=inputs,
            metrics=tuple(MetricSpec(**m) for m in data["metric"]),
        )
    except (ValidationError, KeyError, TypeError) as exc:
        raise ScorecardError(f"metric catalogue {path}: {exc}") from exc
