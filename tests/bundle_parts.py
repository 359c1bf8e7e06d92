"""Schema-complete parts for hand-built test bundles: the fields and columns training would fill in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.registry.schema import SCORE_COLUMNS, BundleMetadata
from forecasting.vocabulary import SeriesId


def make_metadata(**fields: Any) -> BundleMetadata:
    base: dict[str, Any] = {
        "data_vintage": "v1",
        "experiment": "test",
        "seed": 1,
        "trained_at": "2025-11-24T10:20:00+00:00",
        "max_horizon": 1,
    }
    return BundleMetadata(**(base | fields))


def make_catalogue(ids: Sequence[str], **columns: Any) -> pd.DataFrame:
    """One catalogue row per id, identity parsed from the id; ``columns`` override (scalars or lists)."""
    parsed = [SeriesId.parse(s) for s in ids]
    cat = pd.DataFrame(
        {
            "series_id": list(ids),
            "measure": [p.measure for p in parsed],
            "geography": [p.geography for p in parsed],
            "geography_name": [p.geography for p in parsed],
            "geography_level": "itl1",
            "cluster": [p.cluster for p in parsed],
            "frequency": [p.frequency for p in parsed],
            "unit": "GBP million",
            "aggregation": "sum",
            "non_negative": False,
            "start": "2010",
            "end": "2019",
            "n": 10,
            "source": "test",
            "is_synthetic": False,
            "data_vintage": "v1",
            "currency": "GBP",
            "price_basis": "current",
            "seasonal_adjustment": "none",
            "quantity": "stock",
            "last_observed": "2019",
            "nowcast_periods": 0,
            "months_behind": 0,
            "stale": False,
            "history_note": "",
        }
    )
    for k, v in columns.items():
        cat[k] = v
    return cat


def make_metrics(ids: Sequence[str], **columns: Any) -> pd.DataFrame:
    m = pd.DataFrame({"series_id": list(ids), "level": "itl1", "method": "naive"})
    for c in SCORE_COLUMNS:
        m[c] = np.nan
    m["mase_reconciled"] = np.nan
    m["calibrated"] = False
    m["candidates_json"] = "{}"
    m["calibration_group"] = "m:itl1"
    m["calibration_errors"] = 0
    m["little_evidence"] = True
    m["backtest_horizon"] = 0
    m["backtest_windows"] = 0
    m["backtest_note"] = ""
    for k, v in columns.items():
        m[k] = v
    return m
