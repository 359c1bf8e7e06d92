"""The BRES employment base most metrics share: cluster employment by ITL2 area, division and SIC code.

Each 5-digit slice enters a cluster times the cluster's apportioning share of that code (30300: 0.9 to
aerospace, 0.1 to space) and, in a basket-uncertainty replicate, times the replicate's basket variant
(``Inputs.basket_factor``).

Why built here from the 5-digit slices (not the warehouse's derived cluster rows): a cluster made only of
2-digit entries gets derived rows from both BRES files with the same vintage, and the warehouse's
current-value pick between them is arbitrary; summing the 5-digit slices ourselves keeps every build
reproducible. Which row belongs to which cluster is worked out once per warehouse read and shared with the
Monte Carlo's input replicates, which only change values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.inputs import Inputs
from forecasting.scorecards.result import Provenance, provenance


@dataclass
class EmploymentBase:
    year: int
    first_year: int
    cluster_emp: pd.DataFrame  # ITL2 x cluster, reference year
    cluster_emp_first: pd.DataFrame  # ITL2 x cluster, first year
    total_emp: pd.Series  # ITL2 total (all 2-digit slices), reference year
    total_emp_first: pd.Series
    prov: Provenance
    midlands: list[str]
    cluster_code_emp: pd.DataFrame  # geography, cid, code (5-digit), value (reference year)
    code_emp: pd.DataFrame  # geography, code (5-digit), value: every published 5-digit slice (reference year)
    div_emp: pd.DataFrame  # geography, div, value (reference year, 2-digit slices)
    cluster_code_emp_first: pd.DataFrame | None = None  # as cluster_code_emp, first year
    code_emp_first: pd.DataFrame | None = None  # as code_emp, first year

    @cached_property
    def cluster_div_emp(self) -> pd.DataFrame:
        """geography, cid, div, value: the cluster's employment by SIC division."""
        d = self.cluster_code_emp.assign(div=self.cluster_code_emp["code"].str[:2])
        return d.groupby(["geography", "cid", "div"], as_index=False)["value"].sum()

    @property
    def mid_emp(self) -> pd.Series:
        return agg.sum_areas(self.cluster_emp, self.midlands)

    @property
    def gb_emp(self) -> pd.Series:
        return agg.sum_areas(self.cluster_emp)

    def region_emp(self, itl1_of_itl2: dict[str, str]) -> pd.DataFrame:
        """Cluster employment by ITL1 region (from ITL2)."""
        df = self.cluster_emp.copy()
        df["itl1"] = [itl1_of_itl2.get(c) for c in df.index]
        return df.dropna(subset=["itl1"]).groupby("itl1").sum()

    def region_total(self, itl1_of_itl2: dict[str, str]) -> pd.Series:
        s = self.total_emp.to_frame("v")
        s["itl1"] = [itl1_of_itl2.get(c) for c in s.index]
        return s.dropna(subset=["itl1"]).groupby("itl1")["v"].sum()


@dataclass(frozen=True)
class _Structure:
    """Row positions of the BRES slices used and the (row, cluster) membership pairs."""

    year: pd.Timestamp
    first: pd.Timestamp
    s5_rows: dict[str, np.ndarray]  # "year"/"first" -> row positions of 5-digit slices
    s5_geo: dict[str, np.ndarray]
    s5_code: dict[str, np.ndarray]
    pairs: dict[
        str, tuple[np.ndarray, np.ndarray, np.ndarray]
    ]  # -> (index into s5 arrays, cluster id, share)
    s2_rows: dict[str, np.ndarray]
    s2_geo: dict[str, np.ndarray]
    s2_div: dict[str, np.ndarray]
    prov: Provenance


def _structure(inp: Inputs, measure: str, year: int) -> _Structure | None:
    df = inp.get(measure)
    cl = df["cluster"].astype(str)
    is5 = cl.str.match(r"^sic-\d{5}$").to_numpy()
    is2 = cl.str.match(r"^sic-\d{2}$").to_numpy()
    if not is5.any() or not is2.any():
        return None
    periods = df["period"]
    when = pd.Timestamp(f"{year}-01-01")
    held = sorted(set(periods[is5]) & set(periods[is2]))
    held = [p for p in held if p <= when]
    if not held or held[-1] != when:
        return None
    first = held[0]
    codes_all = cl.str[4:].to_numpy()
    geo_all = df["geography"].astype(str).to_numpy()
    members: dict[str, list[tuple[str, float]]] = {}
    for code in np.unique(codes_all[is5]):
        members[code] = [(c.id, c.share(code)) for c in inp.clusters if c.covers(code)]
    out: dict[str, dict] = {
        k: {} for k in ("s5_rows", "s5_geo", "s5_code", "pairs", "s2_rows", "s2_geo", "s2_div")
    }
    for key, t in (("year", when), ("first", first)):
        at = (periods == t).to_numpy()
        rows5 = np.flatnonzero(is5 & at)
        rows2 = np.flatnonzero(is2 & at)
        code5 = codes_all[rows5]
        idx, cid, share = [], [], []
        for i, code in enumerate(code5):
            for c, w in members.get(code, ()):
                idx.append(i)
                cid.append(c)
                share.append(w)
        out["s5_rows"][key], out["s5_geo"][key], out["s5_code"][key] = rows5, geo_all[rows5], code5
        out["pairs"][key] = (np.asarray(idx, int), np.asarray(cid, object), np.asarray(share, float))
        out["s2_rows"][key], out["s2_geo"][key], out["s2_div"][key] = rows2, geo_all[rows2], codes_all[rows2]
    return _Structure(when, first, **out, prov=provenance(df[is5 | is2]))


def employment_base(inp: Inputs, measure: str, year: int) -> EmploymentBase | None:
    """Cluster employment (reference ``year`` and the first BRES year held) from the 5-digit slices."""
    st = inp.cached(f"bres-structure:{measure}:{year}", lambda: _structure(inp, measure, year))
    if st is None:
        return None
    v = inp.get(measure)["value"].to_numpy(float)
    clusters = inp.cluster_ids

    def cluster_codes(key: str) -> pd.DataFrame:
        rows = st.s5_rows[key]
        idx, cid, share = st.pairs[key]
        weight = share * inp.basket_factor(cid, st.s5_code[key][idx])
        return pd.DataFrame(
            {
                "geography": st.s5_geo[key][idx],
                "cid": cid,
                "code": st.s5_code[key][idx],
                "value": v[rows][idx] * weight,
            }
        )

    def wide(cc: pd.DataFrame) -> pd.DataFrame:
        w = cc.groupby(["geography", "cid"])["value"].sum().unstack("cid")
        return w.reindex(columns=clusters)

    def total(key: str) -> pd.Series:
        rows = st.s2_rows[key]
        return pd.Series(v[rows], index=st.s2_geo[key]).groupby(level=0).sum()

    rows5 = st.s5_rows["year"]
    rows2 = st.s2_rows["year"]
    rows5f = st.s5_rows["first"]
    codes, codes_first = cluster_codes("year"), cluster_codes("first")  # once each: every replicate
    return EmploymentBase(
        year=int(st.year.year),
        first_year=int(st.first.year),
        cluster_emp=wide(codes),
        cluster_emp_first=wide(codes_first),
        total_emp=total("year"),
        total_emp_first=total("first"),
        prov=st.prov,
        midlands=list(inp.midlands_itl2),
        cluster_code_emp=codes,
        code_emp=pd.DataFrame(
            {"geography": st.s5_geo["year"], "code": st.s5_code["year"], "value": v[rows5]}
        ),
        div_emp=pd.DataFrame({"geography": st.s2_geo["year"], "div": st.s2_div["year"], "value": v[rows2]}),
        cluster_code_emp_first=codes_first,
        code_emp_first=pd.DataFrame(
            {"geography": st.s5_geo["first"], "code": st.s5_code["first"], "value": v[rows5f]}
        ),
    )


def latest_bres_year(inp: Inputs, measure: str) -> int | None:
    df = inp.get(measure)
    if df.empty:
        return None
    return int(df["period"].max().year)
