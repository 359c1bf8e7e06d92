"""The industry panel validation and discovery read from the warehouse: BRES by ITL2 x SIC, business counts.

Why a panel of its own (not the scorecards' employment base): validation and discovery need every year and
every SIC code of every GB area (co-location is measured across all 40 ITL2 areas), while the scorecards
read one reference year of the cluster baskets. The numbers are the warehouse's current values with their
source and vintage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import InvestError
from forecasting.reference.clusters import Cluster
from forecasting.reference.geography import load_geography

EMPLOYMENT = "bres_employment"
BUSINESSES = "business_count_enterprises"
GVA = "gva_cp"
FDI = "fdi_inward_position"
GFCF = ("gfcf_dwellings_cp", "gfcf_other_buildings_cp")  # regional GFCF by asset, summed


class ClusterEvidenceError(InvestError):
    """The warehouse lacks what cluster validation or discovery needs; says which measure and how to get it."""


@dataclass
class Panel:
    """BRES employment by (year, ITL2) x 5-digit SIC code, area totals, GB enterprises by code."""

    emp5: dict[int, pd.DataFrame]  # year -> ITL2 x 5-digit code (persons)
    total: dict[int, pd.Series]  # year -> ITL2 total employment (sum of the 2-digit slices)
    businesses_gb: pd.Series  # 5-digit code -> GB enterprises (business_year)
    business_year: int | None
    midlands: list[str]  # Midlands ITL2 codes in the panel
    names: dict[str, str]  # area code -> name
    sources: list[str]
    vintage: str | None
    gva: pd.DataFrame = field(default_factory=pd.DataFrame)  # geography, cluster (slice), period, value
    fdi: pd.DataFrame = field(default_factory=pd.DataFrame)  # geography, period, value (£m)
    # regional GFCF (dwellings + other buildings and structures, ONS experimental), £m by area and year
    gfcf: pd.DataFrame = field(default_factory=pd.DataFrame)  # geography, period, value (£m)
    memo: dict[str, object] = field(default_factory=dict)  # value-derived structure computed once

    @property
    def years(self) -> list[int]:
        return sorted(self.emp5)

    @property
    def year(self) -> int:
        return self.years[-1]

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def areas(self) -> list[str]:
        return list(self.emp5[self.year].index)

    @cached_property
    def codes(self) -> list[str]:
        return list(self.emp5[self.year].columns)

    @cached_property
    def code_array(self) -> np.ndarray:
        return np.asarray(self.codes, dtype=str)

    def basket_weights(self, cluster: Cluster, factors: dict[str, float] | None = None) -> pd.Series:
        """Weight of every 5-digit code in ``cluster`` (its share, times a basket-variant factor per prefix)."""
        codes = self.code_array
        w = np.zeros(len(codes), float)
        for entry in cluster.sic:
            w[np.char.startswith(codes, entry)] = cluster.shares.get(entry, 1.0)
        for prefix, f in (factors or {}).items():
            w[np.char.startswith(codes, prefix)] *= f
        return pd.Series(w, index=self.codes)

    def provenance(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "data_vintage": self.vintage,
            "employment": f"ONS BRES (open, rounded), ITL2 x SIC 5-digit, {self.first_year}-{self.year}",
            "note": (
                f"The copy of open BRES in this collection ends in {self.year}; business counts are read for "
                f"{self.business_year}."
            ),
        }


def _read(
    warehouse: Path, as_of: str | None, held: Mapping[str, pd.DataFrame] | None = None
) -> tuple[pd.DataFrame, str | None]:
    """The panel's rows; a measure in ``held`` (warehouse rows by measure, read by the caller at the same
    ``as_of``) is taken from there instead of read again. Rows come in the warehouse's order either way."""
    from forecasting.warehouse.snapshot import open_snapshot

    if not Path(warehouse).is_file():
        raise ClusterEvidenceError(
            f"warehouse {warehouse} not found: run `invest data pull && invest data ingest`"
        )
    held = held or {}

    def read(wh: Any, measures: list[str], **filters: Any) -> dict[str, pd.DataFrame]:
        missing = [m for m in measures if m not in held]
        got = wh.observations(measures=missing, **filters) if missing else pd.DataFrame()
        out = {m: g for m, g in got.groupby("measure", sort=False)} if len(got) else {}
        for m in measures:
            if m in held:
                rows = held[m]
                geos = filters.get("geographies")
                out[m] = rows[rows["geography"].isin(geos)] if geos else rows  # as the query filters
        return out

    with open_snapshot(Path(warehouse), as_of) as wh:
        parts = read(wh, [EMPLOYMENT, BUSINESSES, FDI])
        emp = parts.get(EMPLOYMENT)
        areas = sorted(emp["geography"].unique()) if emp is not None else []
        more = read(wh, [GVA, *GFCF], geographies=areas)
        vintage = wh.vintage
    # measure order as one query sorted by series id (measure first) would give
    frames = [parts[m] for m in sorted(parts)] + [more[m] for m in sorted(more)]
    cols = ["measure", "geography", "cluster", "period", "value", "source"]
    obs = pd.concat([f[cols] for f in frames], ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return obs, vintage


def load_panel(
    warehouse: Path, as_of: str | None = None, held: Mapping[str, pd.DataFrame] | None = None
) -> Panel:
    """Read the panel (``held``: rows by measure already read, see ``_read``); a warehouse without 5-digit
    BRES is a ``ClusterEvidenceError``."""
    obs, vintage = _read(warehouse, as_of, held)
    return panel_from_observations(obs, vintage)


def panel_from_observations(obs: pd.DataFrame, vintage: str | None) -> Panel:
    """Build the panel from warehouse rows (``measure, geography, cluster, period, value, source``)."""
    bres = obs[obs["measure"] == EMPLOYMENT]
    cl = bres["cluster"].astype(str)
    s5 = bres[cl.str.fullmatch(r"sic-\d{5}")]
    s2 = bres[cl.str.fullmatch(r"sic-\d{2}")]
    if s5.empty or s2.empty:
        raise ClusterEvidenceError(
            f"no {EMPLOYMENT} by ITL2 x SIC 5- and 2-digit in the warehouse: ingest the BRES files "
            "(`invest data ingest`, sources bres_employment_sic5 and bres_employment_sic2)"
        )
    s5 = s5.assign(year=pd.to_datetime(s5["period"]).dt.year, code=s5["cluster"].str[4:])
    s2 = s2.assign(year=pd.to_datetime(s2["period"]).dt.year)
    years = sorted(set(s5["year"]) & set(s2["year"]))
    emp5, total = {}, {}
    for y in years:
        w = s5[s5["year"] == y].pivot_table(index="geography", columns="code", values="value", aggfunc="sum")
        emp5[y] = w.fillna(0.0).sort_index().sort_index(axis=1)
        total[y] = s2[s2["year"] == y].groupby("geography")["value"].sum().reindex(emp5[y].index)
    codes = emp5[years[-1]].columns
    for y in years:
        emp5[y] = emp5[y].reindex(columns=codes, fill_value=0.0)
    biz = obs[(obs["measure"] == BUSINESSES) & obs["cluster"].astype(str).str.fullmatch(r"sic-\d{5}")]
    biz = biz.assign(year=pd.to_datetime(biz["period"]).dt.year)
    byear = None
    bgb = pd.Series(dtype=float)
    if not biz.empty:
        held = sorted(set(biz["year"]))
        byear = max([y for y in held if y <= years[-1]] or held)
        bgb = biz[biz["year"] == byear].groupby(biz["cluster"].str[4:])["value"].sum()
    geo = load_geography()
    mid = set(geo.descendants("MID", "itl2"))
    areas = list(emp5[years[-1]].index)
    names = {}
    for a in areas:
        with contextlib.suppress(Exception):
            names[a] = geo.name(a)
    gva = obs[obs["measure"] == GVA][["geography", "cluster", "period", "value"]]
    fdi = obs[(obs["measure"] == FDI) & (obs["cluster"] == "all")][["geography", "period", "value"]]
    parts = obs[obs["measure"].isin(GFCF) & (obs["cluster"] == "all")]
    # both asset groups in a year, summed (an area-year missing one of them is left out, not half counted)
    both = parts.groupby(["geography", "period"])["measure"].nunique() == len(GFCF)
    gfcf = parts.groupby(["geography", "period"])["value"].sum()[both].reset_index()
    sources = sorted(set(bres["source"].astype(str)) | set(biz["source"].astype(str)))
    return Panel(
        emp5=emp5,
        total=total,
        businesses_gb=bgb,
        business_year=byear,
        midlands=[a for a in areas if a in mid],
        names=names,
        sources=sources,
        vintage=vintage,
        gva=gva.assign(period=pd.to_datetime(gva["period"])),
        fdi=fdi.assign(period=pd.to_datetime(fdi["period"])),
        gfcf=gfcf.assign(period=pd.to_datetime(gfcf["period"])) if len(gfcf) else pd.DataFrame(),
    )


def cluster_employment(panel: Panel, weights: pd.Series, year: int | None = None) -> pd.Series:
    """Employment by area of a basket given as code weights."""
    y = panel.year if year is None else year
    m = panel.emp5[y]
    return (
        m.to_numpy(float)
        @ weights.reindex(m.columns, fill_value=0.0).to_numpy(float)
        * pd.Series(1.0, index=m.index)
    )


def location_quotient(emp_area: pd.Series, total_area: pd.Series, midlands: list[str]) -> float:
    """(basket / all Midlands employment) / (basket / all GB employment)."""
    gb = float(emp_area.sum())
    if gb <= 0:
        return float("nan")
    return float(emp_area[midlands].sum() / total_area[midlands].sum()) / (gb / float(total_area.sum()))


def area_lq(emp_area: pd.Series, total_area: pd.Series) -> pd.Series:
    """Location quotient of every area against GB."""
    gb_share = float(emp_area.sum()) / float(total_area.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return (emp_area / total_area) / gb_share if gb_share > 0 else emp_area * np.nan
