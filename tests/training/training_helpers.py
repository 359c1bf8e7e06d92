"""Shared constants and builders for the training tests (a uniquely named module, not conftest)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.settings import PROJECT_ROOT

QUICK = PROJECT_ROOT / "experiments" / "quick.toml"
DEFAULT = PROJECT_ROOT / "experiments" / "default.toml"
FILES = (
    "ons_els/foreign-direct-investment.csv",
    "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv",
    "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv",
    "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
)


def synthetic_data(
    n_clusters: int = 2, n_periods: int = 16, seed: int = 0, regions: tuple[str, ...] | None = None
):
    """UK = sum of ITL1 = sum of ITL2, per cluster: a coherent annual panel on real geography codes.

    ``regions`` limits the ITL1 regions (then there is no UK total, e.g. ("TLF", "TLG") gives 8 series).
    """
    from forecasting.reference.geography import load_geography
    from forecasting.training.data import TrainingData
    from forecasting.warehouse.store import catalogue_from_observations

    parts = load_geography().partitions()
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2000-01-01", periods=n_periods, freq="YS")
    rows = []
    for k in range(n_clusters):
        cluster = f"sic-{chr(ord('A') + k)}"
        uk = np.zeros(n_periods)
        for itl1 in regions or parts["UK"]:
            kids = parts.get(itl1, [])
            total = np.zeros(n_periods)
            for itl2 in kids:
                y = 100 + np.cumsum(rng.normal(1.0, 3.0, n_periods))
                total += y
                rows.append((itl2, cluster, y))
            if not kids:
                total = 300 + np.cumsum(rng.normal(2.0, 5.0, n_periods))
            rows.append((itl1, cluster, total))
            uk += total
        if regions is None:
            rows.append(("UK", cluster, uk))
    frames = [
        pd.DataFrame(
            {
                "series_id": f"gva_cp.{g}.{c}.A",
                "measure": "gva_cp",
                "geography": g,
                "cluster": c,
                "frequency": "A",
                "period": periods,
                "value": y,
                "source": "synthetic",
                "vintage": "synthetic-v1",
                "is_synthetic": True,
            }
        )
        for g, c, y in rows
    ]
    panel = pd.concat(frames, ignore_index=True).sort_values(["series_id", "period"]).reset_index(drop=True)
    return TrainingData(panel, catalogue_from_observations(panel), "synthetic-v1", "synthetic")
