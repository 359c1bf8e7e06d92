"""Profile fixtures: a warehouse of the real published files the profiles read, ingested once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from forecasting.profiles.inputs import ProfileInputs, load_profile_inputs
from forecasting.sources.manifest import get_source

# The sources a profile reads: ELS local statistics, regional GVA (totals, ITL3 by industry), population,
# BRES employment by industry (clusters), and local-authority GVA where its adapter is pinned as public.
PROFILE_SOURCES = (
    "ons_els_fdi",
    "ons_els_business_demography",
    "ons_els_gva_per_job",
    "ons_els_exports",
    "ons_els_berd",
    "ons_els_public_rd",
    "ons_gva_itl_total",
    "ons_gva_industry_3c",
    "ons_population",
    "bres_employment_sic2",
    "bres_employment_sic5",
)
OPTIONAL_SOURCES = (
    "ons_la_gdp_2025",
    "ons_rgva_industry_itl_2025",
    "ons_rgva_industry_lad_2025",
    "ons_regional_gfcf_2023",
)


@pytest.fixture(scope="session")
def profile_warehouse(ingested: Callable[..., Path]) -> Path:
    ids = list(PROFILE_SOURCES) + [s for s in OPTIONAL_SOURCES if get_source(s).ingestible]
    return ingested([get_source(s).path for s in ids], note="profile tests")


@pytest.fixture(scope="session")
def profile_inputs(profile_warehouse: Path) -> ProfileInputs:
    return load_profile_inputs(profile_warehouse)
