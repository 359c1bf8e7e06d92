"""Read what the scorecards need from the warehouse once, keeping each row's provenance.

Why one loader: every metric shares the BRES employment base (shares, weights) and the provenance rules
(source, vintage, synthetic flag), so reading once keeps the build fast and the provenance consistent.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecasting.reference.clusters import Cluster, load_clusters
from forecasting.reference.geography import load_geography

PUBLIC_MEASURES = (
    "bres_employment",
    "business_count_enterprises",
    "business_count_enterprises_250plus",
    "business_birth_rate",
    "high_growth_rate",
    "survival_rate_3y",
    "active_businesses",
    "gva_cp",
    "berd",
    "public_rd",
    "fdi_inward_position",
    "fdi_uk_inward_position",
    "exports_value",
    "business_investment_cvm_sa",
)
PARTNER_MEASURES = ("company_count", "equity_amount_gbp", "equity_deals", "fdi_projects")


@dataclass
class Inputs:
    """Observations by measure (warehouse columns incl. source, vintage, is_synthetic) plus geography."""

    obs: dict[str, pd.DataFrame]
    clusters: list[Cluster]
    data_vintage: str | None
    midlands_itl2: list[str]
    midlands_lads: list[str]
    itl2_of_lad: dict[str, str]
    itl1_of_itl2: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def get(self, measure: str) -> pd.DataFrame:
        df = self.obs.get(measure)
        if df is None:
            cols = {
                "measure": object,
                "geography": object,
                "cluster": object,
                "frequency": object,
                "period": "datetime64[ns]",
                "value": float,
                "source": object,
                "vintage": object,
                "is_synthetic": bool,
            }
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
        return df

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.clusters]


def _geo_maps() -> tuple[list[str], list[str], dict[str, str], dict[str, str]]:
    geo = load_geography()
    itl2 = geo.descendants("MID", "itl2")
    lads = geo.descendants("MID", "lad")
    itl2_of_lad = {}
    for lad in lads:
        anc = [a for a in geo.ancestors(lad) if geo.level(a) == "itl2"]
        if anc:
            itl2_of_lad[lad] = anc[0]
    itl1_of_itl2 = {}
    for code in geo.codes("itl2"):
        anc = [a for a in geo.ancestors(code) if geo.level(a) == "itl1"]
        if anc:
            itl1_of_itl2[code] = anc[0]
    return itl2, lads, itl2_of_lad, itl1_of_itl2


def load_inputs(warehouse_path: Path, as_of: str | None = None) -> Inputs:
    """All scorecard observations from a (read-only) warehouse."""
    from forecasting.warehouse.store import Warehouse

    itl2, lads, itl2_of_lad, itl1_of_itl2 = _geo_maps()
    with Warehouse(Path(warehouse_path), read_only=True) as wh:
        with contextlib.suppress(Exception):  # the progress bar is cosmetic (older duckdb lacks the option)
            wh.con.execute("SET enable_progress_bar = false")
        obs = wh.observations(measures=list(PUBLIC_MEASURES + PARTNER_MEASURES), as_of=as_of)
        vintage = wh.latest_vintage() if as_of is None else as_of
    by_measure = {m: g.reset_index(drop=True) for m, g in obs.groupby("measure", sort=False)}
    return Inputs(by_measure, load_clusters(), vintage, itl2, lads, itl2_of_lad, itl1_of_itl2)
