"""Scenario fixtures: the generated bundle (scen_data.py) and a bundle trained from experiments/quick.toml on
the real published files ingested into a tmp warehouse."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scen_data import _panel, make_bundle

from forecasting.registry.contents import BundleContents
from forecasting.training.transmission import estimate_transmission


@pytest.fixture(scope="session")
def bundle() -> BundleContents:
    return make_bundle()


@pytest.fixture(scope="session")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="session")
def quick_bundle(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> BundleContents:
    """experiments/quick.toml trained (untracked core) on the real files ingested into a tmp warehouse."""
    from forecasting.settings import PROJECT_ROOT
    from forecasting.training.config import load_config
    from forecasting.training.data import load_training_data
    from forecasting.training.drivers import DEFAULT_DRIVERS
    from forecasting.training.pipeline import build_contents
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("scen-wh") / "wh.duckdb"
    files = [
        "ons_els/foreign-direct-investment.csv",
        "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv",
        "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
    ]
    with Warehouse(path) as wh:
        ingest(wh, [item_for_path(shared_data / f) for f in files])
    cfg = load_config(PROJECT_ROOT / "experiments" / "quick.toml")
    data = load_training_data(cfg, None, path)
    contents, _, _ = build_contents(cfg, data)
    if contents.transmission.empty:  # until the pipeline calls estimate_transmission itself
        ids = sorted(data.panel["series_id"].unique())
        drivers = [d for d in DEFAULT_DRIVERS if d in ids]
        contents.transmission = estimate_transmission(data.panel, data.catalogue, drivers, ids, seed=cfg.seed)
    return contents
