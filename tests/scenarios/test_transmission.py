"""Transmission estimates: known elasticities are recovered with honest se, share models for children,
chains never cycle, and the MLflow metrics are flat floats."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scen_data import UKF, WLD, P

from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    transmission_metrics,
)


def test_table_contract_and_known_elasticity(bundle, panel) -> None:
    tab = bundle.transmission
    assert list(tab.columns) == list(TRANSMISSION_COLUMNS)
    assert tab["se"].gt(0).all() and np.isfinite(tab["se"]).all()
    assert (tab["ci_lo"] < tab["elasticity"]).all() and (tab["elasticity"] < tab["ci_hi"]).all()
    used = tab[tab["used"]].set_index("target_id")
    assert used.index.is_unique
    # the generated Midlands total responds to World FDI with elasticity 0.8
    mid = used.loc[P.format("MID")]
    if mid["driver_id"] == WLD:
        assert abs(mid["elasticity"] - 0.8) < 3 * mid["se"] + 0.05
    assert mid["model"] in ("logdiff_ols", "regression_arima_log")
    # children are share models of their nearest modelled ancestor area
    for child, parent in (("TLF", "MID"), ("TLG", "MID"), ("TLG3", "TLG"), ("E08000026", "TLG3")):
        row = used.loc[P.format(child)]
        assert row["model"] == "share" and row["driver_id"] == P.format(parent) and row["elasticity"] == 1.0
    # UK FDI is UK share of global FDI
    assert used.loc[UKF, "model"] == "share" and used.loc[UKF, "driver_id"] == WLD


def test_drivers_only_explained_by_earlier_drivers(panel) -> None:
    tab = estimate_transmission(panel, pd.DataFrame(), [UKF, WLD], [UKF, WLD, P.format("MID")], seed=1)
    pairs = set(zip(tab["target_id"], tab["driver_id"], strict=True))
    assert UKF not in set(tab["target_id"])  # first driver: nothing upstream (its share parent WLD is later)
    assert not any((d, t) in pairs for t, d in pairs)  # no link both ways


def test_short_histories_use_parsimonious_models(panel) -> None:
    short = panel[panel["period"].dt.year >= 2015]
    tab = estimate_transmission(short, pd.DataFrame(), [WLD], [P.format("MID")], seed=1)
    assert set(tab["model"]) <= {"logdiff_ols", "diff_ols_at_means"}
    assert (tab["n_obs"] == 9).all()


def test_metrics_are_flat_floats(bundle) -> None:
    m = transmission_metrics(bundle.transmission)
    assert m["transmission.n_used"] == float(bundle.transmission["used"].sum())
    assert all(isinstance(v, float) and math.isfinite(v) for v in m.values())
    assert any(k.endswith("/elasticity") for k in m) and any(k.endswith("/se") for k in m)
    assert (
        transmission_metrics(pd.DataFrame(columns=list(TRANSMISSION_COLUMNS)))["transmission.n_links"] == 0.0
    )
