"""What a trained forecast bundle holds (the contract between training and every consumer).

All tables are pandas DataFrames saved as Parquet; states and metadata are JSON. Nothing is pickled.

catalogue   one row per series: series_id, measure, geography, geography_name, geography_level, cluster,
            frequency, unit, aggregation ("sum"|"none"), non_negative, start, end, n, source,
            is_synthetic, data_vintage
history     series_id, period (label: 2015 / 2015Q1 / 2015-01), period_start (timestamp), value,
            source, vintage
forecasts   series_id, step (1..max_horizon), period (label), period_start, mean, q0.025 ... q0.975
            (models.base.QUANTILE_GRID), method (the chosen method/combination, e.g. "ets" or
            "combo(ets,theta)"), fallback (str or ""), reconciled (bool)
metrics     one row per series: series_id, level (geography level), method, and backtest scores
            (mase, rmsse, smape, mape, pinball, crps, coverage80, coverage95, winkler95), plus
            candidates_json (every candidate's scores)
level_metrics  per hierarchy level: level, n_series, mase_base, mase_reconciled, helped (bool)
states      series_id -> JSON-safe fitted model state (models.base.Forecaster.get_state), for on-demand
            horizons and scenarios
hierarchy   parent_id, child_id edges of the summing structure (per measure)
transmission   (scenarios) target_id, driver_id, elasticity, se, model, n_obs  (may be empty)
metadata    dict: data_vintage, experiment, config (dict), seed, trained_at (ISO), git_commit,
            max_horizon, quantiles, reconciliation, model_name; model_version/alias are added at load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Catalogue fields that identify and describe a series wherever a forecast or projection is reported.
IDENTITY_FIELDS: tuple[str, ...] = (
    "measure",
    "geography",
    "geography_name",
    "geography_level",
    "cluster",
    "frequency",
    "unit",
)

TABLES: tuple[str, ...] = (
    "catalogue",
    "history",
    "forecasts",
    "metrics",
    "level_metrics",
    "hierarchy",
    "transmission",
)


@dataclass
class BundleContents:
    catalogue: pd.DataFrame
    history: pd.DataFrame
    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    level_metrics: pd.DataFrame
    hierarchy: pd.DataFrame
    transmission: pd.DataFrame
    states: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
