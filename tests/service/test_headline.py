"""`/v1/models/current`'s headline: the robust summary over real series, not means that mix scales."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from service.served import _headline, _outliers


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    real = [f"fdi_net_inflows_usd.C{i}.all.A" for i in range(30)]
    fake = [f"partner_projects.S{i}.all.A" for i in range(20)]
    mase = np.r_[rng.uniform(0.8, 1.6, 29), 2.0e7, rng.uniform(5, 9, 20)]
    cands = [
        json.dumps({"shrunk_combo": {"mase": float(v)}, "naive": {"mase": float(v) * 1.25}}) for v in mase
    ]
    metrics = pd.DataFrame(
        {
            "series_id": real + fake,
            "method": "shrunk_combo",
            "mase": mase,
            "coverage80": np.r_[np.full(30, 0.8), np.zeros(20)],
            "coverage95": 0.95,
            "candidates_json": cands,
        }
    )
    catalogue = pd.DataFrame({"series_id": real + fake, "is_synthetic": [False] * 30 + [True] * 20})
    return metrics, catalogue


def test_headline_is_robust_over_real_series_with_synthetic_apart_and_outliers_named() -> None:
    metrics, catalogue = _tables()
    head = _headline(metrics, catalogue)
    assert head["n_series"] == 30 and head["synthetic.n_series"] == 20
    assert 0.8 <= head["mase_median"] <= 1.6 and head["mase_geomean"] < 100  # the 2e7 series is not averaged
    assert "mase" not in head and "smape" not in head  # no plain means of scores
    assert head["coverage80"] == 0.8  # the synthetic series' 0 coverage is not mixed in
    assert head["mase_rel_naive"] == 0.8 and head["n_rel_naive"] == 30  # 1 / 1.25 on every series
    assert head["mase_median"] == round(head["mase_median"], 3)  # four significant digits, not sixteen
    assert [o["series_id"] for o in _outliers(metrics, catalogue)] == ["fdi_net_inflows_usd.C29.all.A"]


def test_headline_of_an_empty_metrics_table() -> None:
    assert _headline(pd.DataFrame(columns=["series_id", "mase"]), pd.DataFrame()) == {"n_series": 0.0}
