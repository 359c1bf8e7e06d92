"""Scenario fixtures: the generated bundle (scen_data.py) and a bundle trained from experiments/quick.toml on
the real published files ingested into a tmp warehouse (with the US$/GBP rates and the GDP deflator)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from scen_data import _panel, make_bundle

from forecasting.registry.contents import BundleContents

QUICK_FILES = (
    "ons_els/foreign-direct-investment.csv",
    "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv",
    "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
    "exchange_rates/fred_EXUSUK_monthly_1971-2025.csv",
    "exchange_rates/wdi_PA.NUS.FCRF_official_exchange_rate_LCU_per_USD_2025-07-01.csv",
    "uk_prices/ons_IHYS_gdp_deflator_yoy_annual_release2025-09-30.csv",
)


@pytest.fixture(scope="session")
def bundle() -> BundleContents:
    return make_bundle()


@pytest.fixture(scope="session")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="session")
def quick_bundle(ingested: Callable[..., Path]) -> BundleContents:
    """experiments/quick.toml trained (untracked core) on the real files ingested into a tmp warehouse."""
    from forecasting.settings import PROJECT_ROOT
    from forecasting.training.config import load_config
    from forecasting.training.data import load_training_data
    from forecasting.training.pipeline import build_contents

    path = ingested(QUICK_FILES)
    cfg = load_config(PROJECT_ROOT / "experiments" / "quick.toml")
    data = load_training_data(cfg, warehouse_path=path)
    contents, _, _ = build_contents(cfg, data)
    return contents


@pytest.fixture(autouse=True)
def _today_before_the_fixture_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenario time is relative to today: the generated bundle forecasts 2025-2029, so its tests project
    as of the last day of 2024 (tests of scenario time pass their own ``today``)."""
    import datetime as dt

    from forecasting.scenarios import timing

    monkeypatch.setattr(timing, "today", lambda: dt.date(2024, 12, 31))
