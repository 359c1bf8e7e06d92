"""Read what the scorecards need from the warehouse once, keeping each row's provenance.

Why one loader: every metric shares the BRES employment base (shares, weights) and the provenance rules
(source, vintage, synthetic flag), so reading once keeps the build fast and the provenance consistent. The
measures read are the catalogue's; measures with a "revision" error model also bring every release held,
so the Monte Carlo can size revisions from the publisher's own releases.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.clusters import Cluster, load_clusters
from forecasting.reference.geography import load_geography

COLUMNS = {
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


@dataclass
class Inputs:
    """Observations by measure (warehouse columns incl. source, vintage, is_synthetic) plus geography.

    ``releases`` holds, for measures whose revisions are drawn, every release's rows (not only the current
    value). ``memo`` caches value-independent structure (which row belongs to which cluster); replicates with
    perturbed values share it because their rows are the same rows in the same order.
    """

    obs: dict[str, pd.DataFrame]
    clusters: list[Cluster]
    data_vintage: str | None
    midlands_itl2: list[str]
    midlands_lads: list[str]
    itl2_of_lad: dict[str, str]
    itl1_of_itl2: dict[str, str]
    releases: dict[str, pd.DataFrame] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    basket: dict[str, dict[str, float]] = field(default_factory=dict)  # cluster -> SIC prefix -> factor

    def basket_factor(self, cids: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Multiplier of each (cluster, 5-digit code) pair under this replicate's basket variant (1 = as defined)."""
        out = np.ones(len(cids), float)
        if not self.basket:
            return out
        text = np.asarray(codes).astype(str)  # once, not per prefix: 40 replicates x every prefix
        for cid, prefixes in self.basket.items():
            mine = np.flatnonzero(cids == cid)
            if not mine.size:
                continue
            own = text[mine]
            for prefix, factor in prefixes.items():
                out[mine[np.char.startswith(own, prefix)]] *= factor
        return out

    def with_basket(self, basket: dict[str, dict[str, float]]) -> Inputs:
        """The same rows under another basket variant (structure cache shared: rows do not change)."""
        return replace(self, basket=basket)

    def get(self, measure: str) -> pd.DataFrame:
        df = self.obs.get(measure)
        if df is None:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
        return df

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.clusters]

    def cached(self, key: str, build: Any) -> Any:
        """Value-independent structure computed once and shared with every replicate."""
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def with_values(self, values: dict[str, np.ndarray]) -> Inputs:
        """The same rows with new values for some measures (an input replicate); structure cache shared."""
        obs = dict(self.obs)
        for m, v in values.items():
            df = self.obs[m].copy(deep=False)
            df["value"] = v
            obs[m] = df
        return replace(self, obs=obs)

    def rows(self, measure: str, key: str, select: Any) -> pd.DataFrame:
        """Rows of ``measure`` picked by ``select(frame) -> bool mask``; the pick is cached by ``key``."""
        df = self.get(measure)
        pos = self.cached(f"rows:{measure}:{key}", lambda: np.flatnonzero(np.asarray(select(df), bool)))
        return df.iloc[pos]


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


def load_inputs(warehouse_path: Path, as_of: str | None = None, catalogue: Any | None = None) -> Inputs:
    """All scorecard observations from a (read-only) warehouse: the catalogue's measures."""
    from forecasting.scorecards.catalogue import load_catalogue
    from forecasting.warehouse.snapshot import open_snapshot

    cat = catalogue or load_catalogue()
    itl2, lads, itl2_of_lad, itl1_of_itl2 = _geo_maps()
    revised = [m for m, spec in cat.inputs.items() if spec.error == "revision"]
    geos = sorted(set(itl1_of_itl2) | set(itl1_of_itl2.values()) | {"UK"})
    with open_snapshot(Path(warehouse_path), as_of) as wh:
        obs = wh.observations(measures=cat.measures(), columns=list(COLUMNS))  # the columns used
        vintage = wh.vintage
        releases = {}
        if revised:
            cols = ["measure", "geography", "cluster", "frequency", "period", "value", "source", "release"]
            rel = wh.release_rows(measures=revised, geographies=geos)[cols]
            releases = {m: g.reset_index(drop=True) for m, g in rel.groupby("measure", sort=False)}
    by_measure = {m: g.reset_index(drop=True) for m, g in obs.groupby("measure", sort=False)}
    return Inputs(
        by_measure, load_clusters(), vintage, itl2, lads, itl2_of_lad, itl1_of_itl2, releases=releases
    )
