"""Everything the area profiles read from the warehouse, read once for all areas.

Why one read: about 70 Midlands profiles share the same national comparators, industry tables and peer
candidates; reading per area would repeat the same scans seventy times. Synthetic rows (demo partner files)
are dropped here, so nothing synthetic can ever be stated as evidence in a profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecasting.reference.geography import Geography, load_geography
from forecasting.reference.measures import Measure, load_measures
from forecasting.reference.memberships import load_memberships

# Measures a profile reports on, by section. A measure the warehouse does not hold is simply absent: its
# section then says "not published at this level" rather than drawing an empty chart.
ECONOMY = ("gva_cp", "gdp_cp", "population", "gva_per_filled_job", "gva_per_hour_worked")
BUSINESS = (
    "active_businesses",
    "business_birth_rate",
    "business_death_rate",
    "high_growth_rate",
    "survival_rate_3y",
)
INVESTMENT_FDI = ("fdi_inward_position", "fdi_outward_position")
EXPORTS = ("exports_value",)
RD = ("berd", "public_rd")
INDUSTRY_MEASURE = "gva_cp"  # GVA by industry (cluster slices sic-<section>) for structure and peers
EMPLOYMENT_MEASURE = "bres_employment"  # BRES employment by cluster (ITL2) for cluster specialisation
# Regional GFCF by asset (ONS experimental: dwellings; other buildings and structures), LA to ITL1.
GFCF_MEASURES = ("gfcf_dwellings_cp", "gfcf_other_buildings_cp")

OBS_COLUMNS = ["measure", "geography", "cluster", "period", "value", "source", "release", "vintage"]


@dataclass
class ProfileInputs:
    """Observations (non-synthetic, annual) by measure, with the lookups the builder needs."""

    obs: dict[str, pd.DataFrame]
    data_vintage: str | None
    geography: Geography = field(default_factory=load_geography)
    measures: dict[str, Measure] = field(default_factory=load_measures)
    memberships: dict[str, tuple[str, ...]] = field(default_factory=load_memberships)

    def get(self, measure: str) -> pd.DataFrame:
        df = self.obs.get(measure)
        return df if df is not None else pd.DataFrame(columns=OBS_COLUMNS)

    def series(self, measure: str, geography: str, cluster: str = "all") -> pd.DataFrame:
        """One series' rows sorted by period (empty when not published)."""
        cache = self.__dict__.setdefault("_series_cache", {})
        key = (measure, geography, cluster)
        if key not in cache:
            df = self.get(measure)
            idx = self._groups(measure).get((geography, cluster)) if not df.empty else None
            cache[key] = df.iloc[idx].sort_values("period") if idx is not None else df.iloc[0:0]
        return cache[key]

    def _groups(self, measure: str) -> dict[tuple[str, str], list[int]]:
        cache = self.__dict__.setdefault("_group_cache", {})
        if measure not in cache:
            df = self.get(measure)
            cache[measure] = {
                k: list(v) for k, v in df.groupby(["geography", "cluster"], sort=False).indices.items()
            }
        return cache[measure]

    def gfcf_measures(self) -> list[str]:
        return [m for m in GFCF_MEASURES if m in self.obs]


def all_measures(available: set[str]) -> list[str]:
    base = [*ECONOMY, *BUSINESS, *INVESTMENT_FDI, *EXPORTS, *RD, EMPLOYMENT_MEASURE]
    return sorted(m for m in (*base, *GFCF_MEASURES) if m in available)


def load_profile_inputs(warehouse_path: Path, as_of: str | None = None) -> ProfileInputs:
    """Read the profile measures (annual, every area) from a read-only warehouse."""
    from forecasting.warehouse.snapshot import open_snapshot

    with open_snapshot(Path(warehouse_path), as_of) as wh:
        obs = wh.observations(measures=all_measures(set(wh.measures())), frequency="A")
        vintage = wh.vintage
    obs = obs[~obs["is_synthetic"].astype(bool)]
    # BRES: the 2-digit slices sum to all employment; the 5-digit slices and cluster ids are parts of it.
    by_measure = {m: g[OBS_COLUMNS].reset_index(drop=True) for m, g in obs.groupby("measure", sort=False)}
    return ProfileInputs(by_measure, vintage)
