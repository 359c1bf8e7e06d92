"""Cluster evidence fixtures: a warehouse of the real published BRES, business count, GVA, FDI and regional
GFCF files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from forecasting.clusters.panel import Panel, load_panel

FILES = (
    "bres_itl2/bres_itl2_employment_sic5digit_2015_2021.csv.gz",
    "bres_itl2/bres_itl2_employment_sic2digit_2015_2021.csv",
    "bres_itl2/gb_business_counts_enterprises_sic5digit_sizeband_2016_2022.csv",
    "ons_regional_gva/Table_2c_ITL2_current_price_estimates_pounds_million_2024.csv",
    "ons_els/foreign-direct-investment.csv",
    "ons_regional_gfcf/ons_regional_gfcf_dwellings_buildings_long_release2023-12-08.parquet",
)


@pytest.fixture(scope="session")
def real_warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested(FILES, note="cluster evidence tests")


@pytest.fixture(scope="session")
def panel(real_warehouse: Path) -> Panel:
    return load_panel(real_warehouse)


@pytest.fixture(scope="session")
def built_world():
    """The scorecards on the in-memory world (tests/scorecard_world.py), for rendering the report."""
    from scorecard_world import make_bundle, make_inputs

    from forecasting.scorecards.build import build_scorecards

    return build_scorecards(
        "unused.duckdb", make_bundle(), None, 11, draws=200, replicates=10, inputs=make_inputs()
    )


@pytest.fixture(scope="session")
def inputs():
    from scorecard_world import make_inputs

    return make_inputs()
