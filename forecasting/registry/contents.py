"""What a trained forecast bundle holds: the contract between training and every consumer.

Seven tables (pandas DataFrames, saved as Parquet), the fitted model states (JSON) and typed metadata
(``BundleMetadata``). Each table has a pandera schema in ``forecasting.registry.schema`` that is checked
when a bundle is written and when it is read, so a consumer can rely on every column below.

catalogue      one row per series: series_id, measure, geography, geography_name, geography_level, cluster,
               frequency, unit, aggregation ("sum"|"none"), non_negative, start, end, n, source,
               is_synthetic, data_vintage
history        series_id, period (label: 2015 / 2015Q1 / 2015-01), period_start (timestamp), value,
               source, vintage
forecasts      series_id, step (1..max_horizon), period (label), period_start, mean, q0.025 ... q0.975
               (``forecasting.vocabulary.QUANTILE_GRID``), method (the chosen method/combination, e.g.
               "ets" or "combo(ets,theta)"), fallback (str or ""), reconciled (bool)
metrics        one row per series: series_id, level (geography level), method, and backtest scores
               (mase, rmsse, smape, mape, pinball, crps, coverage80, coverage95, winkler95), mase_reconciled,
               calibrated, candidates_json (every candidate's scores)
level_metrics  per hierarchy level: level, n_series, mase_base, mase_reconciled, helped (bool)
hierarchy      parent_id, child_id edges of the summing structure (per measure)
transmission   (scenarios; columns: ``schema.TRANSMISSION_COLUMNS``) target_id, driver_id, elasticity, se, ci_lo, ci_hi, model, n_obs, used, note,
               form (log | level | stock_flow | exposure | conversion | macro | share), coefficient (what
               projections multiply; se/ci are its), identified (95% interval excludes zero), conversion
               (how units were reconciled), pooled (how the estimate borrowed strength); the last five
               are optional so bundles trained before them still load
track_record   (optional, ``invest track-record --attach``) how past forecasts of a series turned out: series_id,
               kind (level | growth), horizon, n, model, naive, drift (mean absolute errors), ratio_naive,
               coverage80, coverage95, vintages, outturn_release, experiment, computed_at
track_record_points  (optional) each replayed vintage's scored points: series_id, release, last_observed,
               kind, horizon, period, mean, naive, drift, outturn, lo80, hi80, lo95, hi95, comparable
states         series_id -> JSON-safe fitted model state (``models.base.Forecaster.get_state``), for
               on-demand horizons and scenarios
metadata       ``BundleMetadata``: vintage, experiment, config, seed, provenance, the scenario drivers, the
               scenario macro block (``MacroBlock``: a VAR's JSON-safe parameters), the US$/GBP rates (``RateInfo``) ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.registry.schema import BundleMetadata

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
# Tables a bundle may lack (written only when non-empty; older bundles load with them empty).
OPTIONAL_TABLES: tuple[str, ...] = ("track_record", "track_record_points")


@dataclass
class BundleContents:
    catalogue: pd.DataFrame
    history: pd.DataFrame
    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    level_metrics: pd.DataFrame
    hierarchy: pd.DataFrame
    transmission: pd.DataFrame
    metadata: BundleMetadata
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    track_record: pd.DataFrame = field(default_factory=pd.DataFrame)
    track_record_points: pd.DataFrame = field(default_factory=pd.DataFrame)
