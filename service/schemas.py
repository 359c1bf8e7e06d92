"""Typed request/response schemas; they document the OpenAPI (with examples) and bound every input.

Every route declares its ``response_model``. Most routes return data that FastAPI validates against it.
The two hot paths (the single forecast GET and the batch POST) answer with bytes precomputed at model
load (``benchmarks/api_load.py`` shows why); for them the model documents the wire format and
``tests/service/test_contracts.py`` validates real responses against it, as schemathesis does for all.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from forecasting.scenarios.definitions import Scenario, ScenarioError, parse_scenario
from forecasting.vocabulary import QUANTILE_GRID

SID = "fdi_inward_position.TLG.all.A"
_Q = "|".join(re.escape(f"{q:g}") for q in QUANTILE_GRID)
QUANTILES_PATTERN = rf"^\s*({_Q})\s*(,\s*({_Q})\s*)*$"
Quantile = Literal[QUANTILE_GRID]  # type: ignore[valid-type]


def _ex(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class Provenance(BaseModel):
    model_config = _ex(
        {
            "model_name": "investment-forecaster",
            "model_version": "3",
            "model_alias": "champion",
            "run_id": "4f1c0e9a2b7d4c1e9f0a",
            "data_vintage": "v20251124T101500",
            "trained_at": "2025-11-24T10:20:00+00:00",
            "served_from": "registry",
            "sources": ["ons_fdi"],
            "method": "combo(ets,theta)",
            "is_synthetic": False,
            "last_observed": "2024",
            "present": "2026-12-01",
            "nowcast_periods": 2,
            "stale": True,
            "stale_reason": "stale: data end 2024, 23 months before 2026-12-01 (over a year past the usual "
            "10-month publication lag); from the release of 2025-06-19 (ons_fdi), 17 months old",
            "history_note": "",
            "little_evidence": False,
            "calibration_errors": 412,
        }
    )
    model_name: str
    model_version: str | None = Field(description="Registry version; null for a local folder.")
    model_alias: str | None
    run_id: str | None
    data_vintage: str | None = Field(description="Warehouse vintage the model was trained on.")
    trained_at: str | None
    served_from: str = Field(description="registry | cache (degraded) | path | static")
    sources: list[str] = Field(default_factory=list, description="Publishers/sources of the series' data.")
    method: str | None = Field(default=None, description="Method or combination chosen for the series.")
    is_synthetic: bool = False
    last_observed: str | None = Field(default=None, description="The series' last published period.")
    present: str | None = Field(
        default=None,
        description="Date the model's forecasts were made as of: periods begun by then are nowcasts.",
    )
    nowcast_periods: int | None = Field(
        default=None,
        description="Periods after last_observed that had begun by the present (points kind=nowcast).",
    )
    stale: bool | None = Field(
        default=None, description="More than a year behind what publishers usually have out by the present."
    )
    stale_reason: str | None = Field(
        default=None,
        description="Why it is stale: where the data end, how far behind the present, and the release they "
        "come from with its age (empty when fresh; null for bundles made before it was recorded).",
    )
    history_note: str | None = Field(
        default=None, description="What was done to the history before modelling."
    )
    little_evidence: bool | None = Field(
        default=None,
        description="True when the interval rests mostly on other series' backtest errors, not its own group's.",
    )
    calibration_errors: int | None = Field(
        default=None, description="Backtest errors of the series' calibration group behind its interval."
    )


MODEL_REF = {
    "model_name": "investment-forecaster",
    "model_version": "3",
    "model_alias": "champion",
    "run_id": "4f1c0e9a2b7d4c1e9f0a",
    "data_vintage": "v20251124T101500",
    "trained_at": "2025-11-24T10:20:00+00:00",
    "served_from": "registry",
}


class ModelRef(BaseModel):
    model_config = _ex(MODEL_REF)
    model_name: str
    model_version: str | None
    model_alias: str | None
    run_id: str | None
    data_vintage: str | None
    trained_at: str | None
    served_from: str


class SeriesIdentity(BaseModel):
    """What names a series wherever one is reported (the catalogue's identity fields)."""

    series_id: str
    measure: str | None = None
    geography: str | None = None
    geography_name: str | None = None
    geography_level: str | None = None
    cluster: str | None = None
    frequency: str | None = None
    unit: str | None = None


class SeriesInfo(SeriesIdentity):
    model_config = _ex(
        {
            "series_id": SID,
            "measure": "fdi_inward_position",
            "geography": "TLG",
            "geography_name": "West Midlands",
            "geography_level": "itl1",
            "cluster": "all",
            "frequency": "A",
            "unit": "GBP million",
            "aggregation": "sum",
            "non_negative": True,
            "start": "2015",
            "end": "2022",
            "n": 8,
            "source": "ons_fdi",
            "is_synthetic": False,
            "data_vintage": "v20251124T101500",
        }
    )
    aggregation: str | None = None
    non_negative: bool | None = None
    start: str | int | None = None
    end: str | int | None = None
    n: int | None = None
    source: str | None = None
    is_synthetic: bool | None = None
    data_vintage: str | None = None


class SeriesPage(BaseModel):
    model_config = _ex(
        {
            "total": 1,
            "limit": 100,
            "offset": 0,
            "next_offset": None,
            "items": [SeriesInfo.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
        }
    )
    total: int = Field(description="Series matching the filters.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last one.")
    items: list[SeriesInfo]


class Observation(BaseModel):
    period: str | int
    period_start: str | None
    value: float | None
    source: str | None
    vintage: str | None


class SeriesHistory(BaseModel):
    model_config = _ex(
        {
            "series_id": SID,
            "frequency": "A",
            "unit": "GBP million",
            "observations": [
                {
                    "period": "2021",
                    "period_start": "2021-01-01",
                    "value": 41210.0,
                    "source": "ons_fdi",
                    "vintage": "v20251124T101500",
                }
            ],
            "provenance": Provenance.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
        }
    )
    series_id: str
    frequency: str | None
    unit: str | None
    observations: list[Observation]
    provenance: Provenance


class Interval(BaseModel):
    level: int = Field(description="Central interval level in percent (80 -> quantiles 0.1 and 0.9).")
    lower: float | None
    upper: float | None


class ForecastPoint(BaseModel):
    """One step; extra forecast-table columns of the bundle (e.g. ``kind``: nowcast/forecast) follow."""

    model_config = ConfigDict(extra="allow")
    step: int
    period: str | int
    period_start: str | None
    point: float | None = Field(
        default=None,
        description="The point forecast: the median (q0.5) of the distribution the quantiles and intervals "
        "come from. Lead with this.",
    )
    mean: float | None = Field(default=None, description="The mean of the same distribution.")
    quantiles: dict[str, float | None] = Field(description="q<p> -> value, e.g. q0.1, q0.9.")
    intervals: list[Interval]
    kind: str | None = Field(
        default=None, description="nowcast (period begun by the present, not yet published) or forecast."
    )


POINT_EXAMPLE = {
    "step": 1,
    "period": "2023",
    "period_start": "2023-01-01",
    "point": 42050.5,
    "mean": 42050.5,
    "quantiles": {"q0.1": 39020.1, "q0.5": 42050.5, "q0.9": 45080.9},
    "intervals": [{"level": 80, "lower": 39020.1, "upper": 45080.9}],
}


class SeriesForecast(BaseModel):
    model_config = _ex(
        {
            "series_id": SID,
            "measure": "fdi_inward_position",
            "geography": "TLG",
            "geography_name": "West Midlands",
            "geography_level": "itl1",
            "cluster": "all",
            "frequency": "A",
            "unit": "GBP million",
            "method": "combo(ets,theta)",
            "fallback": None,
            "reconciled": True,
            "horizon": 1,
            "max_horizon": 5,
            "quantiles": [0.1, 0.5, 0.9],
            "interval_levels": [80],
            "points": [POINT_EXAMPLE],
            "accuracy": {"mase": 0.82, "coverage80": 0.8},
            "provenance": Provenance.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
        }
    )
    series_id: str
    measure: str | None
    geography: str | None
    geography_name: str | None
    geography_level: str | None
    cluster: str | None
    frequency: str | None
    unit: str | None
    method: str = Field(description="The chosen method or combination.")
    fallback: str | None = Field(description="Why a fallback model was used, if one was.")
    reconciled: bool
    horizon: int
    max_horizon: int = Field(description="Steps stored in the bundle for this series.")
    quantiles: list[float]
    interval_levels: list[int]
    points: list[ForecastPoint]
    accuracy: dict[str, float | None] = Field(description="Backtest scores of the chosen method.")
    provenance: Provenance


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "series_ids": [SID, "fdi_inward_position.TLF.all.A"],
                    "horizon": 3,
                    "quantiles": [0.1, 0.5, 0.9],
                }
            ]
        },
    )
    series_ids: list[str] = Field(
        min_length=1, description="Up to the server's max_batch ids (default 1,000); more gives 413."
    )
    horizon: int | None = Field(default=None, ge=1, le=1000, description="Steps; default: all stored.")
    quantiles: list[Quantile] | None = Field(
        default=None, max_length=11, description="Subset of the stored grid."
    )
    ignore_unknown: bool = Field(default=False, description="List unknown ids instead of answering 404.")


class UnknownSeries(BaseModel):
    series_id: str
    suggestions: list[str]


class BatchResponse(BaseModel):
    model_config = _ex(
        {
            "model": MODEL_REF,
            "count": 1,
            "forecasts": [SeriesForecast.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
            "unknown": [{"series_id": "fdi_inward_position.TLG.all.Q", "suggestions": [SID]}],
        }
    )
    model: ModelRef
    count: int
    forecasts: list[SeriesForecast]
    unknown: list[UnknownSeries]


class ForecastRow(BaseModel):
    """One series x step; q<p> and lo<L>/hi<L> columns follow the stored quantile grid."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "series_id": SID,
                    "measure": "fdi_inward_position",
                    "geography": "TLG",
                    "geography_level": "itl1",
                    "cluster": "all",
                    "frequency": "A",
                    "step": 1,
                    "period": "2023",
                    "period_start": "2023-01-01",
                    "mean": 42050.5,
                    "q0.1": 39020.1,
                    "q0.9": 45080.9,
                    "lo80": 39020.1,
                    "hi80": 45080.9,
                    "method": "ets",
                    "fallback": "",
                    "reconciled": True,
                    "is_synthetic": False,
                    "model_name": "investment-forecaster",
                    "model_version": "3",
                    "model_alias": "champion",
                    "run_id": "4f1c0e9a2b7d4c1e9f0a",
                    "data_vintage": "v20251124T101500",
                    "trained_at": "2025-11-24T10:20:00+00:00",
                    "served_from": "registry",
                    "sources": "ons_fdi",
                }
            ]
        },
    )
    series_id: str
    step: int
    period: str | int
    period_start: str | None = None
    mean: float | None
    method: str
    fallback: str = Field(default="", description="Why a fallback model was used; empty when none was.")
    reconciled: bool = False
    is_synthetic: bool = Field(description="The series' data are synthetic (demo partner files).")
    model_name: str
    model_version: str | None
    model_alias: str | None = None
    run_id: str | None
    data_vintage: str | None
    trained_at: str | None = None
    served_from: str | None = None
    sources: str = Field(description="Comma-separated sources of the series' data.")


class ForecastTable(BaseModel):
    model_config = _ex(
        {
            "model": MODEL_REF,
            "total_series": 1,
            "limit": 1000,
            "offset": 0,
            "next_offset": None,
            "rows": [ForecastRow.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
        }
    )
    model: ModelRef
    total_series: int
    limit: int
    offset: int
    next_offset: int | None
    rows: list[ForecastRow]


class ModelInfo(BaseModel):
    model_config = _ex(
        {
            "model_name": "investment-forecaster",
            "model_version": "3",
            "model_alias": "champion",
            "run_id": "4f1c0e9a2b7d4c1e9f0a",
            "uri": "models:/investment-forecaster/3",
            "served_from": "registry",
            "data_vintage": "v20251124T101500",
            "warehouse_vintage": "v20251124T101500",
            "stale": False,
            "trained_at": "2025-11-24T10:20:00+00:00",
            "experiment": "quick",
            "loaded_at": "2025-11-24T11:00:00+00:00",
            "n_series": 120,
            "max_horizon": 8,
            "quantiles": [0.025, 0.1, 0.5, 0.9, 0.975],
            "interval_levels": [80, 95],
            "headline_metrics": {
                "n_series": 2767.0,
                "n_scored": 2767.0,
                "mase_median": 1.69,
                "mase_geomean": 1.71,
                "coverage80": 0.66,
                "coverage95": 0.83,
                "mase_rel_naive": 0.97,
                "n_rel_naive": 2310.0,
                "share_beats_naive": 0.58,
                "synthetic.n_series": 1706.0,
                "synthetic.mase_median": 0.67,
            },
            "headline_outliers": [{"series_id": "fdi_net_inflows_usd.FSM.all.A", "mase": 20200000.0}],
            "level_metrics": [],
            "etag": "investment-forecaster-v3-1a2b",
        }
    )
    model_name: str
    model_version: str | None
    model_alias: str | None
    run_id: str | None
    uri: str
    served_from: str
    data_vintage: str | None
    warehouse_vintage: str | None = Field(description="Latest warehouse vintage at load time, if readable.")
    stale: bool = Field(description="The warehouse holds a newer vintage than the model was trained on.")
    trained_at: str | None
    experiment: str | None
    loaded_at: str
    n_series: int
    max_horizon: int
    quantiles: list[float]
    interval_levels: list[int]
    headline_metrics: dict[str, float | None] = Field(
        description=(
            "Backtest accuracy over the real (published) series: n_series, median and geometric-mean MASE"
            " (mase_median, mase_geomean; n_scored series scored), pooled 80%/95% coverage, the chosen"
            " method's MASE relative to no change on the same windows (mase_rel_naive: geometric mean of"
            " ratios, below 1 = better; n_rel_naive series; share_beats_naive); synthetic series apart"
            " (synthetic.*). Never a mean of MASE: far-out series are named in headline_outliers."
        )
    )
    headline_outliers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Real series whose backtest MASE is far outside the bulk (log scale, Q3 + 3 IQR), worst first.",
    )
    level_metrics: list[dict[str, Any]]
    etag: str


class ReloadResponse(BaseModel):
    model_config = _ex(
        {
            "changed": True,
            "previous_version": "2",
            "model": ModelInfo.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
        }
    )
    changed: bool = Field(description="Whether the version served changed.")
    previous_version: str | None
    model: ModelInfo


HEALTH_EXAMPLE = {
    "status": "ok",
    "model_name": "investment-forecaster",
    "model_alias": "champion",
    "model_version": "3",
    "registered_version": "3",
    "champion_moved": False,
    "data_vintage": "v20251124T101500",
}


class Health(BaseModel):
    """Public health: status and versions only (details need the admin key: /v1/admin/health)."""

    model_config = _ex(HEALTH_EXAMPLE)
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded (serving a cached bundle, or an outdated champion); unavailable (503)."
    )
    model_name: str | None
    model_alias: str | None
    model_version: str | None = Field(description="Version served.")
    registered_version: str | None = Field(
        description="Version the alias points at in the registry, as of the last check (null: not checked)."
    )
    champion_moved: bool = Field(description="The alias points at another version than the one served.")
    data_vintage: str | None


class HealthDetail(Health):
    """Admin health: the public fields plus why, the full error text and where the model came from."""

    model_config = _ex(
        {
            **HEALTH_EXAMPLE,
            "problem": None,
            "reason": None,
            "last_error": None,
            "fallback_reason": None,
            "model_loaded": True,
            "served_from": "registry",
            "uri": "models:/investment-forecaster/3",
            "run_id": "4f1c0e9a2b7d4c1e9f0a",
            "loaded_at": "2025-11-24T11:00:00+00:00",
            "series": 120,
            "checked_at": "2025-11-24T11:00:30+00:00",
            "poll_seconds": 30,
            "auto_reload": True,
            "tracking_uri": "sqlite:////srv/invest/data/mlflow.db",
            "bundle_path": None,
            "cache_dir": "/srv/invest/data/api_cache",
            "uptime_seconds": 12.5,
        }
    )
    problem: str | None = Field(
        description="registry_unreachable | not_registered | artifact_missing | artifact_corrupt | "
        "load_failed | not_loaded | champion_moved; null when ok."
    )
    reason: str | None = Field(description="The problem in plain words.")
    last_error: str | None = Field(description="The last load or check error, in full.")
    fallback_reason: str | None = Field(description="Why the cached bundle is served (full text).")
    model_loaded: bool
    served_from: str | None
    uri: str | None
    run_id: str | None
    loaded_at: str | None
    series: int
    checked_at: str | None = Field(description="When the alias was last checked.")
    poll_seconds: float
    auto_reload: bool
    tracking_uri: str | None
    bundle_path: str | None
    cache_dir: str
    uptime_seconds: float


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationError422(BaseModel):
    detail: list[ErrorDetail]


class NotFound(BaseModel):
    model_config = _ex(
        {
            "detail": {
                "message": "unknown series 'fdi_inward_position.TLG.all.Q'",
                "series_id": "fdi_inward_position.TLG.all.Q",
                "suggestions": [SID],
            }
        }
    )
    detail: dict[str, Any]


class Message(BaseModel):
    detail: str | dict[str, Any]


# ---- scenarios ------------------------------------------------------------------------------------------
def _at(value: Any, loc: list[str | int]) -> Any:
    """The input at ``loc`` inside ``value`` (None when the path does not exist)."""
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


class ProjectRequest(BaseModel):
    """An inline scenario (the same shape as the TOML files) and the series to project."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scenario": {
                        "name": "downturn",
                        "changes": [
                            {
                                "type": "driver",
                                "driver": "world_fdi",
                                "kind": "deviation",
                                "values": [-20, -10],
                            }
                        ],
                    },
                    "series": [SID],
                }
            ]
        },
    )
    scenario: Scenario = Field(description="A scenario definition (same shape as the TOML files).")
    series: list[str] | None = Field(default=None, max_length=20000, description="Series ids; default all.")
    today: datetime.date | None = Field(
        default=None,
        description="The date scenario time is relative to, YYYY-MM-DD (default: the server's date).",
    )

    @field_validator("today", mode="before")
    @classmethod
    def _today_is_a_date_string(cls, value: Any) -> Any:
        """A date in JSON is a string: 0 or 20270101 would otherwise be read as a Unix time."""
        if value is not None and not isinstance(value, str | datetime.date):
            raise ValueError("today must be a date written YYYY-MM-DD, e.g. 2026-12-07")
        return value

    @field_validator("scenario", mode="wrap")
    @classmethod
    def _scenario(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Scenario:
        """Validate through ``parse_scenario`` so each error names the change index and field (e.g.
        ``scenario.changes.0.values``) with the project's own wording, as for files and the CLI."""
        if not isinstance(value, dict):
            return handler(value)
        try:
            return parse_scenario(value)
        except ScenarioError as exc:
            raise ValidationError.from_exception_data(
                "Scenario",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(e.get("type", "value_error"), e["msg"]),
                        loc=tuple(e["loc"]),
                        input=_at(value, e["loc"]),
                    )
                    for e in exc.errors
                ],
            ) from None


class ScenarioSummary(BaseModel):
    name: str
    description: str | None = None
    definition: Scenario | None = Field(default=None, description="The full definition.")
    error: str | None = Field(default=None, description="Why the file could not be read, if it could not.")


class ScenarioList(BaseModel):
    model_config = _ex(
        {
            "count": 1,
            "scenarios": [
                {
                    "name": "global-downturn",
                    "description": "Global FDI falls 20% next year and recovers over three years.",
                    "definition": {
                        "name": "global-downturn",
                        "description": "Global FDI falls 20% next year and recovers over three years.",
                        "changes": [
                            {
                                "type": "driver",
                                "driver": "world_fdi",
                                "kind": "deviation",
                                "values": [-20, -13.3, -6.7, 0],
                            }
                        ],
                    },
                }
            ],
        }
    )
    count: int
    scenarios: list[ScenarioSummary]


class DriverPathOut(BaseModel):
    driver_id: str
    alias: str | None
    unit: str | None = None
    source: str = Field(description="scenario path changes[i] | transmitted | baseline")
    periods: list[str]
    baseline: list[float | None]
    scenario: list[float | None]
    deviation_pct: list[float | None]


class ProjectionPoint(BaseModel):
    """One period: baseline and scenario means with 80/95% intervals, and the difference with its own."""

    model_config = ConfigDict(extra="allow")
    step: int
    period: str
    kind: str | None = Field(default=None, description="nowcast (begun by the present) or forecast")
    baseline_mean: float | None
    scenario_mean: float | None
    baseline_lo80: float | None = None
    baseline_hi80: float | None = None
    baseline_lo95: float | None = None
    baseline_hi95: float | None = None
    scenario_lo80: float | None = None
    scenario_hi80: float | None = None
    scenario_lo95: float | None = None
    scenario_hi95: float | None = None
    diff: float | None = Field(description="scenario minus baseline (a stock: the gap in that period)")
    diff_pct: float | None
    diff_lo80: float | None = Field(default=None, description="80% interval of the difference")
    diff_hi80: float | None = None
    diff_lo95: float | None = Field(default=None, description="95% interval of the difference")
    diff_hi95: float | None = None
    cum_diff: float | None = Field(default=None, description="flows only: the difference summed to date")
    cum_diff_pct: float | None = None


class SeriesProjectionOut(SeriesIdentity):
    model_config = ConfigDict(extra="allow")
    synthetic: bool = False
    affected: bool
    status: str = Field(description="moved | baseline (reason says why it did not move)")
    reason: str | None = Field(description="How the series was reached (or why not).")
    channels: list[str]
    links: list[dict[str, Any]] = Field(description="Estimated links with coefficient, se, CI, identified.")
    decomposition: list[dict[str, Any]] = Field(
        default_factory=list, description="Which assumption moves it."
    )
    summary: dict[str, Any] = Field(description="First, largest and last difference (flows: cumulative).")
    points: list[ProjectionPoint]


class ProjectionResponse(BaseModel):
    model_config = _ex(
        {
            "scenario": {"name": "global-downturn", "description": "", "changes": []},
            "model": MODEL_REF,
            "draws": {"n": 1000, "seed": 20261124},
            "drivers": [
                {
                    "driver_id": "fdi_net_inflows_usd.WLD.all.A",
                    "alias": "world_fdi",
                    "unit": "USD",
                    "source": "scenario path changes[0]",
                    "periods": ["2025", "2026"],
                    "baseline": [1.56e12, 1.58e12],
                    "scenario": [1.25e12, 1.37e12],
                    "deviation_pct": [-20.0, -13.3],
                }
            ],
            "macro": None,
            "count": 1,
            "shown": 1,
            "affected": 1,
            "unaffected": [],
            "not_identified": [],
            "notes": [],
            "series": [
                {
                    "series_id": "fdi_inward_position.MID.all.A",
                    "measure": "fdi_inward_position",
                    "geography": "MID",
                    "unit": "GBP million",
                    "synthetic": False,
                    "affected": True,
                    "status": "moved",
                    "reason": None,
                    "channels": ["share of the UK's difference by estimated exposure (stock-flow identity)"],
                    "links": [],
                    "decomposition": [
                        {
                            "assumption": "changes[0] world_fdi path",
                            "period": "2027",
                            "diff": -1697.0,
                            "share": 1.0,
                        }
                    ],
                    "summary": {"quantity": "stock", "first_period": "2025", "first_diff_pct": -0.43},
                    "points": [
                        {
                            "step": 1,
                            "period": "2025",
                            "kind": "nowcast",
                            "baseline_mean": 197000.0,
                            "scenario_mean": 196152.0,
                            "diff": -848.0,
                            "diff_pct": -0.43,
                            "diff_lo80": -1418.0,
                            "diff_hi80": -433.0,
                            "diff_lo95": -1720.0,
                            "diff_hi95": -300.0,
                            "cum_diff": None,
                            "cum_diff_pct": None,
                        }
                    ],
                }
            ],
        }
    )
    scenario: Scenario
    model: ModelRef
    draws: dict[str, int | None] = Field(default_factory=dict, description="Monte Carlo draws and seed.")
    timing: dict[str, Any] | None = Field(
        default=None,
        description="today (what scenario time is relative to), counterfactual or not, each change's first "
        "period; points' kind says nowcast (begun, unpublished) or forecast.",
    )
    accounting: dict[str, Any] | None = Field(
        default=None,
        description="Statistical bases, identities with their uncertainty, channels that are off.",
    )
    drivers: list[DriverPathOut]
    macro: dict[str, Any] | None = Field(default=None, description="The macro block's conditional responses.")
    count: int
    shown: int | None = None
    affected: int
    unaffected: list[str]
    not_identified: list[str] = Field(
        default_factory=list,
        description="Always empty: links are shrunk by their evidence, none is held at baseline by a test "
        "(kept for older clients).",
    )
    notes: list[str]
    series: list[SeriesProjectionOut]


# ---- cluster scorecards (documents written by `invest scorecards`) --------------------------------------
class ScorecardProvenance(BaseModel):
    model_config = ConfigDict(extra="allow")
    data_vintage: str | None = None
    model: dict[str, Any] | None = None
    served_model_version: str | None = Field(default=None, description="Model the API serves now.")
    stale: bool = Field(default=False, description="The scorecards used another model than the one served.")


class RankInterval(BaseModel):
    median: int
    p05: int
    p95: int
    p_top5: float | None


class ClusterSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    score: float | None
    rank: int
    rank_interval: RankInterval
    tier: int
    band: int
    band_label: str
    stars: dict[str, bool | int | str | None] = Field(
        description="Per dimension (size, specialisation, focus, momentum): earned or not; `label` spells them out."
    )
    area_scores: dict[str, float | None]


class ScorecardMetric(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    area: str
    unit: str | None = None
    value: float | None = None
    benchmark: float | None = None
    period: str | int | None = None
    source: str | None = None
    vintage: str | None = None
    is_synthetic: bool | None = None
    scored: bool | None = None


class ClusterDetail(ClusterSummary):
    description: str | None = None
    sic: list[str] = Field(default_factory=list)
    indistinguishable_from: list[dict[str, str]] = Field(default_factory=list)
    metrics: list[ScorecardMetric]
    investment_path: dict[str, Any] | None = None


class ClusterList(BaseModel):
    provenance: ScorecardProvenance
    areas: dict[str, str] = Field(description="Evidence area id -> label.")
    count: int
    items: list[ClusterSummary]


class ClusterScorecard(ClusterDetail):
    provenance: ScorecardProvenance
    areas: dict[str, str]


class ScorecardsDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    schema_version: int
    provenance: ScorecardProvenance
    areas: dict[str, str]
    notes: list[str] = Field(default_factory=list)
    ranking: list[ClusterSummary]
    clusters: list[ClusterDetail]


# ---- scenario drivers (what `invest scenario drivers` lists) ----------------------------------------------
class DriverInfo(BaseModel):
    """One driver a scenario may set (``forecasting.scenarios.describe.describe_drivers``)."""

    driver_id: str = Field(description="The driver's series id.")
    alias: str | None = Field(description="Short name a scenario file may use (e.g. world_fdi).")
    unit: str | None = Field(description="Unit of a `level` path; `deviation`/`growth` are in %.")
    frequency: str
    periods: str = Field(description="First..last period of the driver's baseline (history end + forecasts).")
    nowcast_periods: int = Field(description="Periods begun by the present but not yet published.")
    forecast_periods: int
    baseline: dict[str, float] = Field(description="The first baseline periods and their values.")
    today: str | None = Field(default=None, description="The date the period kinds are relative to.")
    first_future: str | None = Field(
        default=None,
        description="The first period starting after today: where a change without a start begins.",
    )
    period_kinds: dict[str, str] = Field(
        default_factory=dict,
        description="Each period relative to today: past (over; a change wholly in past periods is refused "
        "unless the scenario is a counterfactual), nowcast (begun, not published) or forecast.",
    )
    acts_on: list[str] = Field(description="Where a path on this driver acts, in words.")
    links: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Effective (shrunk) links from this driver: the coefficient projections apply, the link's "
        "own estimate and se, and the weight on it (tau^2 / (tau^2 + se^2)).",
    )


class DriverList(BaseModel):
    model_config = _ex(
        {
            "model": MODEL_REF,
            "count": 1,
            "drivers": [
                {
                    "driver_id": "fdi_net_inflows_usd.WLD.all.A",
                    "alias": "world_fdi",
                    "unit": "USD",
                    "frequency": "A",
                    "periods": "2024..2031",
                    "nowcast_periods": 2,
                    "forecast_periods": 6,
                    "baseline": {"2024": 1.51e12, "2025": 1.56e12},
                    "acts_on": [
                        "passes through to 40 series (0 with too little evidence of their own, shrunk to their prior): fdi_net_inflows_usd.GBR.all.A"
                    ],
                }
            ],
        }
    )
    model: ModelRef
    count: int
    drivers: list[DriverInfo]


# ---- human names for catalogue ids (the workbench's search) -----------------------------------------------
class MeasureName(BaseModel):
    name: str = Field(description="Short human name (the description up to its first bracket).")
    description: str
    unit: str
    frequency: str
    quantity: str
    price_basis: str = Field("", description="current | chained_volume | index | none (the measure file's).")
    basis: str = Field(
        "", description="Price basis and seasonal adjustment in words, unless the name says them."
    )


class ReferenceNames(BaseModel):
    model_config = _ex(
        {
            "measures": {
                "fdi_inward_position": {
                    "name": "Inward FDI international investment position",
                    "description": "Inward FDI international investment position (stock) at end of year",
                    "unit": "GBP million",
                    "frequency": "A",
                    "quantity": "stock",
                }
            },
            "clusters": {"all": "All industries", "automotive": "Automotive", "sic-29": "SIC 29"},
            "levels": {"itl1": "ITL1 region"},
        }
    )
    measures: dict[str, MeasureName] = Field(description="Every measure of the served catalogue.")
    clusters: dict[str, str] = Field(description="Every cluster value of the served catalogue -> name.")
    levels: dict[str, str] = Field(description="Geography level -> name.")


# ---- another registered version's forecast beside the served one -----------------------------------------
class RegisteredVersion(BaseModel):
    version: str
    aliases: list[str]
    data_vintage: str | None = None
    experiment: str | None = None
    created: str | None = None
    served: bool = Field(description="This is the version the API serves now.")


class VersionList(BaseModel):
    model_config = _ex(
        {
            "model_name": "investment-forecaster",
            "served_version": "3",
            "count": 2,
            "versions": [
                {
                    "version": "4",
                    "aliases": ["challenger"],
                    "data_vintage": "v20251124T101500",
                    "experiment": "quick",
                    "created": "2025-11-25T09:00:00+00:00",
                    "served": False,
                },
                {
                    "version": "3",
                    "aliases": ["champion"],
                    "data_vintage": "v20251124T101500",
                    "experiment": "quick",
                    "created": "2025-11-24T10:20:00+00:00",
                    "served": True,
                },
            ],
        }
    )
    model_name: str
    served_version: str | None
    count: int
    versions: list[RegisteredVersion]


class ComparisonStep(BaseModel):
    period: str | int
    kind: str | None = None
    served_mean: float | None
    other_mean: float | None
    diff: float | None = Field(description="other minus served")
    diff_pct: float | None = Field(description="diff as % of the served mean")
    served_width80: float | None = Field(description="Width of the served 80% interval.")
    other_width80: float | None


class ForecastComparison(BaseModel):
    model_config = _ex(
        {
            "series_id": SID,
            "served": SeriesForecast.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            "other": SeriesForecast.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            "steps": [
                {
                    "period": "2023",
                    "kind": "forecast",
                    "served_mean": 42050.5,
                    "other_mean": 41800.0,
                    "diff": -250.5,
                    "diff_pct": -0.6,
                    "served_width80": 6060.8,
                    "other_width80": 5900.2,
                }
            ],
            "versions": VersionList.model_config["json_schema_extra"]["examples"][0]["versions"],  # type: ignore[index]
        }
    )
    series_id: str
    served: SeriesForecast = Field(description="The forecast the API serves (the champion).")
    other: SeriesForecast = Field(description="The other version's forecast; its provenance names it.")
    steps: list[ComparisonStep] = Field(description="Periods both versions forecast, side by side.")
    versions: list[RegisteredVersion] = Field(description="Every registered version, with its aliases.")


# ---- area profiles (what `invest profiles` writes) --------------------------------------------------------
class AreaRef(BaseModel):
    code: str
    name: str
    level: str


class AreaSummary(BaseModel):
    code: str = Field(description="GSS or ITL code, e.g. E08000025 (Birmingham) or TLG31.")
    name: str
    level: str = Field(description="lad | combined_authority | county | itl3 | itl2 | itl1")
    level_label: str
    midlands: bool
    pdf: bool = Field(description="Whether a print PDF was written (`/v1/areas/{code}/profile.pdf`).")


class AreaList(BaseModel):
    data_vintage: str | None
    generated_at: str
    model: str = Field(description="The forecasting model the profiles used, or 'none'.")
    count: int
    items: list[AreaSummary]


class ProfileFigure(BaseModel):
    """One reported number with its provenance and where it was published."""

    id: str
    label: str
    value: float
    unit: str
    price_basis: str
    year: int
    measure: str
    geography: str = Field(description="Where the figure is published (the area, or the nearest parent).")
    geography_name: str
    geography_level: str
    source: str
    release: str
    vintage: str
    kind: Literal["observed", "derived"]
    basis: str = Field(description="published for this area | sum of member districts | shown for a parent")


class ProfileNumber(BaseModel):
    figure: str
    shown: str = Field(description="The exact text the figure is shown as in the sentence.")


class ProfileInsight(BaseModel):
    text: str
    section: str
    figures: list[str]
    numbers: list[ProfileNumber]


class ProfileArea(AreaRef):
    level_label: str
    midlands: bool
    parents: list[AreaRef]
    groups: list[AreaRef] = Field(description="Combined authority and county the district belongs to.")
    members: list[dict[str, str]] = Field(description="Member districts of a combined authority or county.")


class ProfileProvenance(BaseModel):
    data_vintage: str | None
    generated_at: str
    model: dict[str, Any] | None
    synthetic: str


class AreaProfile(BaseModel):
    """An area's profile: sections of figures (economy, industry, clusters, business, investment, exports,
    R&D), forecasts with nowcast/forecast labels and last observed period, peers and key insights."""

    model_config = ConfigDict(extra="allow")
    area: ProfileArea
    provenance: ProfileProvenance
    insights: list[ProfileInsight]
    figures: dict[str, ProfileFigure]
    sections: dict[str, dict[str, Any]]
    history: dict[str, list[dict[str, float]]]


# ---- track record (GET /v1/track-record) -------------------------------------------------------------------
class TrackRecordScore(BaseModel):
    """Mean absolute errors over the replayed vintages at one horizon: levels in % of the outturn (horizon =
    steps after the last observed period), growth in percentage points of calendar-year growth (horizon =
    years after the release year); ``ratio_naive`` < 1 beats no-change."""

    kind: Literal["level", "growth"]
    horizon: int
    n: int
    model: float
    naive: float
    drift: float
    bridge: float | None = Field(
        default=None, description="the model with unpublished quarters bridged from monthly GDP"
    )
    ratio_naive: float | None = None
    coverage80: float | None = None
    coverage95: float | None = None


class TrackRecordPoint(BaseModel):
    """One scored point of a vintage: a level for a period, or a calendar-year growth rate (percent)."""

    kind: Literal["level", "growth"]
    horizon: int
    period: str
    mean: float | None
    naive: float | None
    drift: float | None
    bridge: float | None = None
    outturn: float | None
    lo80: float | None = None
    hi80: float | None = None
    lo95: float | None = None
    hi95: float | None = None
    comparable: bool = Field(description="levels: same reference year as the outturn (else not scored)")


class TrackRecordVintage(BaseModel):
    release: str
    last_observed: str
    points: list[TrackRecordPoint]


class TrackRecord(BaseModel):
    """How past forecasts of a series turned out: each publisher release replayed with the experiment's
    engine, scored against the newest release beside no-change and drift (`invest track-record`)."""

    model_config = _ex(
        {
            "series_id": "business_investment_cvm_sa.UK.all.Q",
            "unit": "GBP million, chained volume (reference year of the release)",
            "experiment": "default",
            "outturn_release": "2026-06-30",
            "computed_at": "2026-12-07T02:31:00+00:00",
            "vintages_scored": 28,
            "summary": [
                {
                    "kind": "growth",
                    "horizon": 0,
                    "n": 25,
                    "model": 2.6,
                    "naive": 2.71,
                    "drift": 2.49,
                    "bridge": 2.55,
                    "ratio_naive": 0.96,
                    "coverage80": None,
                    "coverage95": None,
                },
            ],
            "vintages": [
                {
                    "release": "2024-03-28",
                    "last_observed": "2023Q4",
                    "points": [
                        {
                            "kind": "growth",
                            "horizon": 0,
                            "period": "2024",
                            "mean": -0.21,
                            "naive": -0.42,
                            "drift": 0.64,
                            "bridge": 0.3,
                            "outturn": 2.61,
                            "comparable": True,
                        },
                    ],
                }
            ],
            "model": MODEL_REF,
        }
    )

    series_id: str
    unit: str | None = None
    experiment: str
    outturn_release: str
    computed_at: str
    vintages_scored: int
    summary: list[TrackRecordScore]
    vintages: list[TrackRecordVintage]
    model: ModelRef
