"""Typed request/response schemas; they document the OpenAPI (with examples) and bound every input.

Endpoints return pre-serialised bytes for speed, so these models describe the wire format rather than
validate it at run time; ``tests/service`` checks that real responses conform (schemathesis).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class SeriesInfo(BaseModel):
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
    series_id: str
    measure: str | None = None
    geography: str | None = None
    geography_name: str | None = None
    geography_level: str | None = None
    cluster: str | None = None
    frequency: str | None = None
    unit: str | None = None
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
    step: int
    period: str | int
    period_start: str | None
    mean: float | None
    quantiles: dict[str, float | None] = Field(description="q<p> -> value, e.g. q0.1, q0.9.")
    intervals: list[Interval]


POINT_EXAMPLE = {
    "step": 1,
    "period": "2023",
    "period_start": "2023-01-01",
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
                    "model_name": "investment-forecaster",
                    "model_version": "3",
                    "data_vintage": "v20251124T101500",
                    "sources": "ons_fdi",
                }
            ]
        },
    )
    series_id: str
    step: int
    period: str | int
    mean: float | None
    method: str
    model_name: str
    model_version: str | None
    data_vintage: str | None
    sources: str


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
            "headline_metrics": {"mase": 0.91, "coverage80": 0.78},
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
    headline_metrics: dict[str, float | None] = Field(description="Mean backtest scores over all series.")
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


class Health(BaseModel):
    model_config = _ex(
        {
            "status": "ok",
            "reason": None,
            "last_error": None,
            "model_loaded": True,
            "model_name": "investment-forecaster",
            "model_version": "3",
            "data_vintage": "v20251124T101500",
            "series": 120,
            "uptime_seconds": 12.5,
        }
    )
    status: Literal["ok", "degraded", "unavailable"]
    reason: str | None
    last_error: str | None
    model_loaded: bool
    model_name: str | None
    model_version: str | None
    data_vintage: str | None
    series: int
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
