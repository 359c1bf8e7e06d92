"""Scenario definitions: TOML files in ``experiments/scenarios/`` and the same shape as JSON in the API.

Why strict pydantic models with our own error type: an analyst's typo must come back as one clear message
naming the change (its index) and the field, whether the scenario came from a file, the CLI or an HTTP
body. ``ScenarioError.errors`` is shaped like FastAPI's validation errors so the API can return it as a
422 unchanged. Here: types, finite values, percentages within (-100, 1000] and absolute values within
1e15 (an ``absurd magnitude`` otherwise). Checks that need the bundle (unknown driver or series, periods
beyond the horizon, a path that would make a positive driver non-positive, a shock that would take a
non-negative measure below zero, values far beyond the series' own scale) run in
:mod:`forecasting.scenarios.validate`. The full reference with worked examples is docs/SCENARIOS.md.

Shape::

    name = "global-downturn"
    description = "..."
    counterfactual = false           # true: changes in periods already over are allowed (and labelled)
    [[changes]]                      # a driver path, period by period
    type = "driver"
    driver = "world_fdi"             # alias or series id (`invest scenario drivers` lists them)
    kind = "deviation"               # level | growth (% per period) | extra_growth (points added to the
                                     # baseline growth rate, compounding) | deviation (% from baseline)
    start = "2027"                   # or periods = ["2027", "2028", ...]; default: the first period that
                                     # starts after today ("next year" for annual drivers)
    values = [-20, -13.3, -6.7, 0]
    after = "hold"                   # after the path: hold its last % deviation, or revert to baseline
    [[changes]]                      # a direct shock to target series
    type = "shock"
    measure = "fdi_projects"
    geography = "E08000026"
    cluster = "automotive"           # default "all"
    kind = "one_off"                 # level (from start to end) | growth (pp per period) | one_off
    value = 1
    unit = "absolute"                # or "percent" of the baseline (level, one_off)
    start = "2026"
    required = true                  # false: skipped with a note when the bundle lacks the series
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecasting.errors import InvestError, NotFound
from forecasting.settings import PROJECT_ROOT

SCENARIO_DIR = PROJECT_ROOT / "experiments" / "scenarios"
Period = Annotated[str, Field(min_length=4, max_length=10, pattern=r"^\d{4}(Q[1-4]|-\d{2})?$")]


class ScenarioError(InvestError):
    """A scenario that cannot be projected; ``errors`` = ``[{"loc": [...], "msg": ..., "type": ...}]``."""

    def __init__(self, errors: list[dict[str, Any]], source: str | None = None) -> None:
        self.errors = errors
        self.source = source
        head = f"scenario {source}: " if source else "scenario: "
        super().__init__(head + "; ".join(f"{_loc_text(e['loc'])}: {e['msg']}" for e in errors))


def scenario_error(loc: list[str | int], msg: str, source: str | None = None) -> ScenarioError:
    return ScenarioError([{"loc": list(loc), "msg": msg, "type": "value_error"}], source)


def _loc_text(loc: list[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _FieldError(ValueError):
    """Raised inside a model validator to name the field at fault (pydantic would name only the model)."""

    def __init__(self, field: str, msg: str) -> None:
        self.field = field
        super().__init__(msg)


# Larger percentages (x11 in one period) or absolute values are taken for typos (1e300, six extra
# zeros), not scenarios; the projection also refuses values far beyond the series' own scale.
MAX_PERCENT = 1000.0
MAX_ABSOLUTE = 1e15


def _percent_floor(values: list[float], what: str) -> None:
    for i, v in enumerate(values):
        if v <= -100:
            raise _FieldError(
                "values", f"value {i} ({v}) is a {what} of 100% or more: impossible for a positive quantity"
            )


def _magnitude(values: list[float], percent: bool, fld: str = "values") -> None:
    limit = MAX_PERCENT if percent else MAX_ABSOLUTE
    for i, v in enumerate(values):
        if abs(v) > limit:
            where = f"value {i} ({v:g})" if fld == "values" else f"{v:g}"
            unit = f"{MAX_PERCENT:g}%" if percent else f"{MAX_ABSOLUTE:g}"
            raise _FieldError(fld, f"{where} is an absurd magnitude (at most {unit})")


def _period_text(v: Any) -> Any:
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)
    note: str = ""


class DriverChange(_Change):
    """A driver path period by period, as levels, growth rates (%) or % deviations from its baseline."""

    type: Literal["driver"]
    driver: str = Field(min_length=1, max_length=200)
    kind: Literal["level", "growth", "extra_growth", "deviation"]
    values: list[float] = Field(min_length=1, max_length=400)
    start: Period | None = None
    periods: list[Period] | None = None
    after: Literal["hold", "revert"] = "hold"

    @field_validator("start", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _period_text(v)

    @field_validator("periods", mode="before")
    @classmethod
    def _texts(cls, v: Any) -> Any:
        return [_period_text(p) for p in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _check(self) -> DriverChange:
        if self.periods is not None:
            if self.start is not None:
                raise _FieldError("start", "give either start or periods, not both")
            if len(self.periods) != len(self.values):
                raise _FieldError(
                    "values",
                    f"path of the wrong length: {len(self.values)} values for {len(self.periods)} periods",
                )
            if len(set(self.periods)) != len(self.periods):
                raise _FieldError("periods", "periods repeat")
        _magnitude(self.values, percent=self.kind != "level")
        if self.kind in ("growth", "deviation"):
            _percent_floor(self.values, "fall" if self.kind == "deviation" else "negative growth")
        if self.kind == "extra_growth" and any(v <= -100 for v in self.values):
            raise _FieldError("values", "extra growth of -100 points or less is impossible")
        if self.kind == "level" and any(v <= 0 for v in self.values):
            raise _FieldError("values", "driver levels must be positive (drivers enter the models in logs)")
        return self


class ShockChange(_Change):
    """A direct shock to one target series (measure, geography, cluster), shared through the hierarchy."""

    type: Literal["shock"]
    measure: str = Field(min_length=1, max_length=100)
    geography: str = Field(min_length=1, max_length=40)
    cluster: str = Field(default="all", min_length=1, max_length=60)
    frequency: Literal["A", "Q", "M"] | None = None
    kind: Literal["level", "growth", "one_off"]
    value: float
    unit: Literal["absolute", "percent"] = "absolute"
    start: Period | None = None
    end: Period | None = None
    include_all_cluster: bool = Field(
        default=True, description="also apply to the 'all' cluster of the same area (it counts everything)"
    )
    required: bool = Field(
        default=True, description="false: skip (with a note) when the bundle has no such series"
    )

    @field_validator("start", "end", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _period_text(v)

    @model_validator(mode="after")
    def _check(self) -> ShockChange:
        _magnitude([self.value], percent=self.kind == "growth" or self.unit == "percent", fld="value")
        if self.kind == "growth" and self.value <= -100:
            raise _FieldError("value", f"{self.value}: growth of -100 points or less is impossible")
        if self.kind != "growth" and self.unit == "percent" and self.value <= -100:
            raise _FieldError(
                "value", f"{self.value}: a fall of 100% or more is impossible for a positive quantity"
            )
        if self.kind == "one_off" and self.end is not None:
            raise _FieldError("end", "a one_off shock has no end (it applies in its start period only)")
        return self


class ProjectChange(_Change):
    """One investment project at a place (LA, combined authority or ITL code): what it is (capital
    expenditure, inward FDI, jobs, a project count) decides which measures move; where it is decides which
    areas (the place's smallest modelled area containing it and that area's parents, never its siblings)."""

    type: Literal["project"]
    place: str = Field(min_length=1, max_length=40)
    cluster: str = Field(default="all", min_length=1, max_length=60)
    start: Period | None = None
    years: int = Field(default=1, ge=1, le=10, description="capital expenditure spread over this many years")
    capex: float | None = Field(default=None, description="GBP million of capital expenditure")
    fdi: float | None = Field(default=None, description="GBP million of it financed by inward FDI")
    jobs: float | None = Field(default=None, description="jobs created (employment)")
    projects: float | None = Field(default=None, description="projects counted (FDI project counts)")

    @field_validator("start", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _period_text(v)

    @model_validator(mode="after")
    def _check(self) -> ProjectChange:
        given = {
            k: getattr(self, k) for k in ("capex", "fdi", "jobs", "projects") if getattr(self, k) is not None
        }
        if not given:
            raise _FieldError("capex", "a project needs at least one of capex, fdi, jobs, projects")
        for k, v in given.items():
            _magnitude([v], percent=False, fld=k)
            if v < 0:
                raise _FieldError(k, f"{v:g}: a project adds, it cannot be negative")
        if self.fdi is not None and self.capex is not None and self.fdi > self.capex * 10:
            raise _FieldError("fdi", "FDI financing more than ten times the capital expenditure is a typo")
        return self


Change = Annotated[DriverChange | ShockChange | ProjectChange, Field(discriminator="type")]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    description: str = ""
    counterfactual: bool = Field(
        default=False,
        description="allow changes wholly in periods that have already ended (the output is labelled so)",
    )
    changes: list[Change] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _conflicts(self) -> Scenario:
        seen: dict[str, int] = {}
        for i, c in enumerate(self.changes):
            if isinstance(c, DriverChange):
                if c.driver in seen:
                    raise _ConflictError(i, seen[c.driver], c.driver)
                seen[c.driver] = i
        return self

    @property
    def driver_changes(self) -> list[tuple[int, DriverChange]]:
        return [(i, c) for i, c in enumerate(self.changes) if isinstance(c, DriverChange)]

    @property
    def shocks(self) -> list[tuple[int, ShockChange]]:
        return [(i, c) for i, c in enumerate(self.changes) if isinstance(c, ShockChange)]

    @property
    def projects(self) -> list[tuple[int, ProjectChange]]:
        return [(i, c) for i, c in enumerate(self.changes) if isinstance(c, ProjectChange)]


class _ConflictError(ValueError):
    def __init__(self, i: int, j: int, driver: str) -> None:
        self.i, self.j = i, j
        super().__init__(
            f"conflicts with changes[{j}]: both set a path for driver {driver!r}; combine them into one path"
        )


def conflict_error(i: int, j: int, driver: str, source: str | None = None) -> ScenarioError:
    return scenario_error(
        ["changes", i, "driver"],
        f"conflicts with changes[{j}]: both set a path for driver {driver!r}; combine them into one path",
        source,
    )


def _clean_loc(loc: tuple[Any, ...]) -> list[str | int]:
    """Drop the union tag pydantic inserts: ("changes", 0, "driver", "values") -> ("changes", 0, "values")."""
    out = list(loc)
    if len(out) >= 3 and out[0] == "changes" and out[2] in ("driver", "shock", "project"):
        del out[2]
    return out


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "missing":
        return "required field missing"
    if err["type"] in ("finite_number", "float_parsing") and isinstance(err.get("input"), float):
        return f"must be a finite number, got {err['input']}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "union_tag_invalid":
        return "type must be 'driver', 'shock' or 'project'"
    return msg


def parse_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate a scenario from a dict (TOML or JSON); every problem names the change index and field."""
    if isinstance(data, dict):
        changes = data.get("changes")
        for i, ch in enumerate(changes if isinstance(changes, list) else []):
            if isinstance(ch, dict):
                for k, v in ch.items():
                    if isinstance(v, float) and not math.isfinite(v):
                        raise scenario_error(["changes", i, k], f"must be a finite number, got {v}", source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]))
            ctx = err.get("ctx", {}) or {}
            inner = ctx.get("error")
            if isinstance(inner, _ConflictError):
                errors.append(
                    {"loc": ["changes", inner.i, "driver"], "msg": str(inner), "type": "value_error"}
                )
                continue
            if isinstance(inner, _FieldError):
                errors.append({"loc": [*loc, inner.field], "msg": str(inner), "type": "value_error"})
                continue
            errors.append({"loc": loc, "msg": _message(err), "type": "value_error"})
        raise ScenarioError(errors, source) from None


def read_scenario_file(path: Path | str) -> Scenario:
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"scenario file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise scenario_error(
            [], f"{path.name} is not a text file (expected UTF-8 TOML or JSON)", str(path)
        ) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise scenario_error([], f"cannot parse {path.name}: {exc}", str(path)) from None
    return parse_scenario(data, str(path))


def list_scenarios(directory: Path | str | None = None) -> dict[str, Path]:
    """Named scenarios: file stem -> path (``*.toml`` and ``*.json`` in the scenario directory)."""
    d = Path(directory) if directory is not None else SCENARIO_DIR
    if not d.is_dir():
        return {}
    return {p.stem: p for p in sorted(d.iterdir()) if p.suffix in (".toml", ".json") and p.is_file()}


def load_scenario(name_or_path: str | Path, directory: Path | str | None = None) -> Scenario:
    """A named scenario (file stem in the scenario directory) or a TOML/JSON file path."""
    p = Path(name_or_path)
    if p.suffix in (".toml", ".json") or p.is_file():
        return read_scenario_file(p)
    named = list_scenarios(directory)
    if str(name_or_path) not in named:
        raise NotFound(f"unknown scenario {str(name_or_path)!r}; named scenarios: {sorted(named)}")
    return read_scenario_file(named[str(name_or_path)])
