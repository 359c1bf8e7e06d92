"""Public- and partner-data metrics per cluster, each with its UK/GB benchmark and provenance.

Why one function per metric family: each family has one aggregation rule from the catalogue (sum,
apportioned sum, employment-weighted mean, ratio, growth) and one provenance note saying how the cluster
value was built, so a reader can trace any number on a scorecard back to the warehouse rows it came from.
Forecast metrics live in ``forecast_metrics.py`` (they need a bundle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.catalogue import ScorecardError
from forecasting.scorecards.inputs import Inputs

SYNTHETIC_LABEL = "synthetic (demo data)"


@dataclass
class MetricResult:
    """One metric for every cluster: values, benchmark, provenance; quantiles for forecast metrics."""

    metric: str
    values: pd.Series
    benchmark: pd.Series
    period: str
    sources: list[str]
    vintage: str | None
    is_synthetic: bool = False
    available: bool = True
    note: str = ""
    quantiles: pd.DataFrame | None = None  # clusters x quantile levels (forecast metrics)
    draw_groups: pd.Series | None = None  # cluster -> group id: clusters in a group share a forecast draw
    extra: dict[str, object] = field(default_factory=dict)


def unavailable(metric: str, clusters: list[str], note: str) -> MetricResult:
    nan = pd.Series(np.nan, index=clusters, dtype=float)
    return MetricResult(metric, nan, nan.copy(), "", [], None, available=False, note=note)


def provenance(*frames: pd.DataFrame) -> tuple[list[str], str | None, bool]:
    """Sources, latest vintage and synthetic flag of the rows a value was built from."""
    rows = [f for f in frames if f is not None and not f.empty]
    if not rows:
        return [], None, False
    df = pd.concat([f[["source", "vintage", "is_synthetic"]] for f in rows])
    return sorted(set(df["source"].astype(str))), str(df["vintage"].max()), bool(df["is_synthetic"].any())


def _year(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).year)


# ---- the BRES employment base shared by most metrics ------------------------------------------------


@dataclass
class EmploymentBase:
    year: int
    first_year: int
    cluster_emp: pd.DataFrame  # ITL2 x cluster, latest year
    cluster_emp_first: pd.DataFrame  # ITL2 x cluster, first year
    total_emp: pd.Series  # ITL2 total (all 2-digit slices), latest year
    total_emp_first: pd.Series
    rows: pd.DataFrame  # provenance rows
    midlands: list[str]
    cluster_div_emp: pd.DataFrame  # geography, cid, div, value (latest year, from 5-digit slices)
    div_emp: pd.DataFrame  # geography, div, value (latest year, 2-digit slices)

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


def _cluster_divisions(s5: pd.DataFrame, inp: Inputs) -> pd.DataFrame:
    """(geography, period, cid, div, value): 5-digit BRES slices summed into each cluster's basket."""
    codes = s5["cluster"].str[4:]
    members = pd.DataFrame(
        [(code, c.id) for code in codes.unique() for c in inp.clusters if c.covers(code)],
        columns=["code", "cid"],
    )
    emp = s5.assign(code=codes).merge(members, on="code")
    emp["div"] = emp["code"].str[:2]
    return emp.groupby(["geography", "period", "cid", "div"], as_index=False)["value"].sum()


def employment_base(inp: Inputs) -> EmploymentBase | None:
    """Cluster employment summed here from the 5-digit slices (not the warehouse's derived cluster rows).

    Why: a cluster made only of 2-digit entries gets derived rows from both BRES files (2- and 5-digit) with
    the same vintage, and the warehouse's current-value pick between them is arbitrary; summing the 5-digit
    slices ourselves keeps every build reproducible.
    """
    df = inp.get("bres_employment")
    clusters = inp.cluster_ids
    s5 = df[df["cluster"].str.match(r"^sic-\d{5}$")]
    tot = df[df["cluster"].str.match(r"^sic-\d{2}$")]
    if s5.empty or tot.empty:
        return None
    cd = _cluster_divisions(s5, inp)
    year, first = cd["period"].max(), cd["period"].min()

    def wide(when: pd.Timestamp) -> pd.DataFrame:
        w = cd[cd["period"] == when].pivot_table(
            index="geography", columns="cid", values="value", aggfunc="sum"
        )
        return w.reindex(columns=clusters)

    def total(when: pd.Timestamp) -> pd.Series:
        return tot[tot["period"] == when].groupby("geography")["value"].sum()

    s2 = tot[tot["period"] == year].assign(div=lambda d: d["cluster"].str[4:])[["geography", "div", "value"]]
    return EmploymentBase(
        _year(year),
        _year(first),
        wide(year),
        wide(first),
        total(year),
        total(first),
        pd.concat([s5, tot]),
        list(inp.midlands_itl2),
        cd[cd["period"] == year].drop(columns="period").reset_index(drop=True),
        s2.reset_index(drop=True),
    )


# ---- business population ----------------------------------------------------------------------------


def bres_metrics(inp: Inputs, base: EmploymentBase) -> dict[str, MetricResult]:
    src, vint, syn = provenance(base.rows)
    mid, gb = base.mid_emp, base.gb_emp
    mid0 = agg.sum_areas(base.cluster_emp_first, base.midlands)
    gb0 = agg.sum_areas(base.cluster_emp_first)
    t_mid = base.total_emp.reindex(base.midlands).sum()
    t_gb = base.total_emp.sum()
    years = base.year - base.first_year
    span = f"{base.first_year}-{base.year}"
    gb_note = "BRES covers Great Britain (40 ITL2 areas), so the UK comparator is Great Britain."
    out = {
        "employment": MetricResult(
            "employment",
            mid,
            gb,
            str(base.year),
            src,
            vint,
            syn,
            note=f"Sum of the cluster's SIC slices over the six Midlands ITL2 areas. {gb_note}",
        ),
        "employment_growth": MetricResult(
            "employment_growth",
            agg.cagr(mid0, mid, years),
            agg.cagr(gb0, gb, years),
            span,
            src,
            vint,
            syn,
            note=f"Compound annual growth {span} of the Midlands sum. {gb_note}",
        ),
        "location_quotient": MetricResult(
            "location_quotient",
            (mid / t_mid) / (gb / t_gb),
            pd.Series(1.0, index=mid.index),
            str(base.year),
            src,
            vint,
            syn,
            note=f"(cluster / all Midlands employment) / (cluster / all GB employment). {gb_note}",
        ),
        "midlands_share": MetricResult(
            "midlands_share",
            mid / gb * 100.0,
            pd.Series(t_mid / t_gb * 100.0, index=mid.index),
            str(base.year),
            src,
            vint,
            syn,
            note="Benchmark: the Midlands share of all GB employment.",
        ),
    }
    return out


def business_count_metric(inp: Inputs, base: EmploymentBase, metric: str, measure: str) -> MetricResult:
    clusters = inp.cluster_ids
    df = inp.get(measure)
    df = df[(df["geography"] == "GB") & df["cluster"].isin(clusters)]
    if df.empty:
        return unavailable(metric, clusters, f"no {measure} cluster series in the warehouse")
    latest = df[df["period"] == df["period"].max()].set_index("cluster")["value"].reindex(clusters)
    share = base.mid_emp / base.gb_emp
    src, vint, syn = provenance(df, base.rows)
    y = _year(df["period"].max())
    return MetricResult(
        metric,
        latest * share,
        latest,
        str(y),
        src,
        vint,
        syn,
        note=(
            f"Published for Great Britain only: GB {y} count x Midlands share of GB cluster employment "
            f"(BRES {base.year}). Apportioned, not observed."
        ),
    )


def demography_rate_metric(inp: Inputs, base: EmploymentBase, metric: str, measure: str) -> MetricResult:
    clusters = inp.cluster_ids
    rates = inp.get(measure)
    lad = rates[rates["geography"].isin(inp.midlands_lads)]
    if lad.empty:
        return unavailable(metric, clusters, f"no LAD {measure} in the warehouse")
    when = lad["period"].max()
    lad = lad[lad["period"] == when]
    active = inp.get("active_businesses")
    active = active[(active["period"] == when) & active["geography"].isin(inp.midlands_lads)]
    w = active.set_index("geography")["value"] if not active.empty else pd.Series(1.0, index=lad["geography"])
    itl2 = agg.roll_up_rates(lad.set_index("geography")["value"], w, inp.itl2_of_lad)
    weights = base.cluster_emp.reindex(base.midlands)
    values = agg.weighted_mean(itl2, weights)
    uk = rates[(rates["geography"] == "UK") & (rates["period"] == when)]["value"]
    bench = pd.Series(float(uk.iloc[0]) if len(uk) else np.nan, index=clusters)
    src, vint, syn = provenance(lad, active, base.rows)
    return MetricResult(
        metric,
        values,
        bench,
        str(_year(when)),
        src,
        vint,
        syn,
        note=(
            f"Not split by industry: {lad['geography'].nunique()} Midlands LAD rates ({_year(when)}) rolled up to "
            f"ITL2 weighted by active businesses, then averaged with the cluster's BRES {base.year} employment "
            "in each ITL2 as weights: the rate of the places where the cluster works."
        ),
    )


# ---- support environment ----------------------------------------------------------------------------

_GVA_SLICE = re.compile(r"^sic-[A-Z]?(\d{2})(?:-(\d{2}))?$")
_SIC_SECTIONS = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
    "T": (97, 98),
}


def _slice_span(code: str) -> tuple[int, int] | None:
    """Divisions a published GVA industry covers: ``sic-29``, ``sic-11-12``, ``sic-C10-12`` or section ``sic-P``."""
    m = _GVA_SLICE.match(code)
    if m:
        return int(m.group(1)), int(m.group(2) or m.group(1))
    letter = code.removeprefix("sic-")
    return _SIC_SECTIONS.get(letter)


def _gva_slices(gva: pd.DataFrame) -> pd.DataFrame:
    """Published GVA industries -> (geography, div, slice): each division takes the finest slice holding it."""
    rows = []
    for code in gva["cluster"].unique():
        span = _slice_span(code)
        if span is None:
            continue
        lo, hi = span
        rows += [(code, f"{d:02d}", hi - lo) for d in range(lo, hi + 1)]
    spans = pd.DataFrame(rows, columns=["cluster", "div", "width"])
    out = gva.merge(spans, on="cluster")
    out = out.sort_values(["width", "cluster"]).drop_duplicates(["geography", "div"])
    return out[["geography", "div", "cluster", "value"]].rename(columns={"cluster": "slice", "value": "gva"})


def gva_per_job_metric(inp: Inputs, base: EmploymentBase) -> MetricResult:
    clusters = inp.cluster_ids
    gva = inp.get("gva_cp")
    when = pd.Timestamp(f"{base.year}-01-01")
    gva = gva[(gva["period"] == when) & gva["geography"].isin(base.cluster_emp.index)]
    if gva.empty:
        return unavailable("gva_per_job", clusters, f"no ITL2 GVA by industry for {base.year}")
    emp_cd = base.cluster_div_emp
    s2 = base.div_emp
    slices = _gva_slices(gva).merge(s2[["geography", "div", "value"]], on=["geography", "div"], how="left")
    slice_emp = slices.groupby(["geography", "slice"])["value"].sum().rename("slice_emp")
    slices = slices.join(slice_emp, on=["geography", "slice"])
    j = emp_cd.merge(slices[["geography", "div", "gva", "slice_emp"]], on=["geography", "div"])
    j = j[j["slice_emp"] > 0]
    j["cl_gva"] = j["gva"] * j["value"] / j["slice_emp"]
    by_geo = j.groupby(["geography", "cid"])[["cl_gva", "value"]].sum()

    def per_job(areas: list[str] | None) -> pd.Series:
        d = by_geo if areas is None else by_geo[by_geo.index.get_level_values(0).isin(areas)]
        t = d.groupby(level="cid").sum()
        return (t["cl_gva"] * 1e6 / t["value"].where(t["value"] > 0)).reindex(clusters)

    src, vint, syn = provenance(gva, base.rows)
    return MetricResult(
        "gva_per_job",
        per_job(base.midlands),
        per_job(None),
        str(base.year),
        src,
        vint,
        syn,
        note=(
            "ITL2 GVA (current prices) of each published industry (division or range) is shared to the "
            "cluster by its BRES employment within it; summed over Midlands ITL2 areas and divided by "
            "cluster employment. Benchmark: the same over all GB ITL2 areas."
        ),
    )


# ---- innovation -------------------------------------------------------------------------------------


def _region_weights(inp: Inputs, base: EmploymentBase) -> pd.DataFrame:
    return base.region_emp(inp.itl1_of_itl2).reindex(list(MIDLANDS_ITL1))


def rd_intensity_metric(inp: Inputs, base: EmploymentBase, metric: str, measure: str) -> MetricResult:
    clusters = inp.cluster_ids
    rd = inp.get(measure)
    gva = inp.get("gva_cp")
    gva = gva[gva["cluster"] == "all"]
    geos = [*MIDLANDS_ITL1, "UK"]
    rd = rd[rd["geography"].isin(geos)]
    years = sorted(set(rd["period"]) & set(gva["period"]))
    if not years:
        return unavailable(metric, clusters, f"no year with both {measure} and GVA")
    when = years[-1]
    r = rd[rd["period"] == when].set_index("geography")["value"]
    g = gva[(gva["period"] == when) & gva["geography"].isin(geos)].set_index("geography")["value"]
    intensity = r / g * 100.0
    values = agg.weighted_mean(intensity.reindex(list(MIDLANDS_ITL1)), _region_weights(inp, base))
    bench = pd.Series(float(intensity.get("UK", np.nan)), index=clusters)
    src, vint, syn = provenance(rd[rd["period"] == when], gva[gva["period"] == when])
    return MetricResult(
        metric,
        values,
        bench,
        str(_year(when)),
        src,
        vint,
        syn,
        note=(
            f"Not split by industry: East and West Midlands {measure} / GVA ({_year(when)}), weighted by the "
            f"cluster's BRES {base.year} employment in each region. Differences between clusters reflect "
            "only where they are located."
        ),
    )


# ---- investment stocks and trends -------------------------------------------------------------------


# ONS "FDI involving UK companies" industry groups (``ind-<slug>`` slices) -> SIC 2007 divisions (approximate).
FDI_INDUSTRY_DIVISIONS: dict[str, tuple[int, ...]] = {
    "agriculture-forest-fishing": (1, 2, 3),
    "mining-quarrying": (5, 6, 7, 8, 9),
    "food-products-beverages-tobacco-products": (10, 11, 12),
    "textiles-wood-activities": (13, 14, 15, 16, 17, 18),
    "petroleum-chemicals-pharmaceuticals-rubber-plastic-products": (19, 20, 21, 22),
    "metal-and-machinery-products": (24, 25, 28),
    "computer-electronic-and-optical-products": (26,),
    "transport-equipment": (29, 30),
    "other-manufacturing": (23, 27, 31, 32, 33),
    "electricity-gas-water-and-waste": (35, 36, 37, 38, 39),
    "construction": (41, 42, 43),
    "retail-wholesale-trade-repair-of-motor-vehicles-motor-cycles": (45, 46, 47),
    "transportation-storage": (49, 50, 51, 52, 53),
    "information-and-communication": (58, 59, 60, 61, 62, 63),
    "financial-services": (64, 65, 66),
    "professional-scientific-technical-services": (69, 70, 71, 72, 73, 74, 75),
    "administrative-and-support-service-activities": (77, 78, 79, 80, 81, 82),
    "other-services": (55, 56, 68, 84, 85, 86, 87, 88, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99),
}


def fdi_intensity(inp: Inputs, base: EmploymentBase) -> tuple[pd.Series, pd.DataFrame]:
    """UK inward FDI position per GB job by SIC division (from the ONS industry split), and its rows."""
    pos = inp.get("fdi_uk_inward_position")
    pos = pos[pos["cluster"].str.startswith("ind-")]
    if pos.empty:
        return pd.Series(dtype=float), pos
    pos = pos[pos["period"] == pos["period"].max()]
    by_ind = pos.set_index(pos["cluster"].str[4:])["value"]
    gb_div = base.div_emp.groupby("div")["value"].sum()
    out = {}
    for ind, divs in FDI_INDUSTRY_DIVISIONS.items():
        keys = [f"{d:02d}" for d in divs]
        jobs = gb_div.reindex(keys).sum()
        if ind in by_ind.index and jobs > 0:
            for k in keys:
                out[k] = max(float(by_ind[ind]), 0.0) / jobs
    return pd.Series(out, dtype=float), pos


def fdi_shares(inp: Inputs, base: EmploymentBase) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """Each cluster's share of each Midlands region's FDI, by FDI-intensity-weighted employment.

    W(c, r) = sum over divisions of cluster employment x UK FDI position per job of the division; the
    cluster's share of region r is W(c, r) / W(all, r). Falls back to plain employment shares when the
    industry split is missing. Returns (regions x clusters shares, how-note, provenance rows).
    """
    intensity, rows = fdi_intensity(inp, base)
    region_of = inp.itl1_of_itl2
    if intensity.empty:
        shares = agg.employment_shares(base.region_emp(region_of), base.region_total(region_of))
        return shares.reindex(list(MIDLANDS_ITL1)), "the cluster's share of the region's employment", rows
    cd = base.cluster_div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
    cd["itl1"] = cd["geography"].map(region_of)
    wc = cd.groupby(["itl1", "cid"])["w"].sum().unstack().reindex(columns=inp.cluster_ids)
    dv = base.div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
    dv["itl1"] = dv["geography"].map(region_of)
    wall = dv.groupby("itl1")["w"].sum()
    shares = wc.div(wall.reindex(wc.index), axis=0).reindex(list(MIDLANDS_ITL1))
    year = rows["period"].max().year
    how = (
        f"the cluster's share of the region's employment weighted by each industry's UK inward FDI position "
        f"per job (ONS FDI by industry, {year}; approximate SIC mapping)"
    )
    return shares, how, rows


def fdi_metrics(inp: Inputs, base: EmploymentBase) -> dict[str, MetricResult]:
    clusters = inp.cluster_ids
    fdi = inp.get("fdi_inward_position")
    fdi = fdi[fdi["geography"].isin([*MIDLANDS_ITL1, "UK"])]
    if fdi.empty:
        return {
            m: unavailable(m, clusters, "no ITL1 inward FDI positions")
            for m in ("fdi_position", "fdi_position_growth")
        }
    wide = fdi.pivot_table(index="period", columns="geography", values="value")
    shares, how_share, ind_rows = fdi_shares(inp, base)
    first, last = wide.index.min(), wide.index.max()
    stock = agg.apportion(wide.loc[last, list(MIDLANDS_ITL1)], shares)
    stock0 = agg.apportion(wide.loc[first, list(MIDLANDS_ITL1)], shares)
    years = _year(last) - _year(first)
    uk_last, uk_first = wide.loc[last].get("UK", np.nan), wide.loc[first].get("UK", np.nan)
    intensity, _ = fdi_intensity(inp, base)
    if intensity.empty:
        uk_bench = base.gb_emp / base.total_emp.sum() * uk_last
    else:
        cd = base.cluster_div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
        gb_w = cd.groupby("cid")["w"].sum().reindex(clusters)
        all_w = (base.div_emp["value"] * base.div_emp["div"].map(intensity).fillna(0.0)).sum()
        uk_bench = gb_w / all_w * uk_last
    src, vint, syn = provenance(fdi, ind_rows, base.rows)
    how = (
        f"Published by region, not industry: East and West Midlands positions x {how_share}, BRES "
        f"{base.year} (apportioned, not observed)."
    )
    return {
        "fdi_position": MetricResult(
            "fdi_position",
            stock,
            uk_bench,
            str(_year(last)),
            src,
            vint,
            syn,
            note=how + " Benchmark: the UK position apportioned the same way over GB.",
        ),
        "fdi_position_growth": MetricResult(
            "fdi_position_growth",
            agg.cagr(stock0, stock, years),
            pd.Series(agg.cagr(uk_first, uk_last, years), index=clusters),
            f"{_year(first)}-{_year(last)}",
            src,
            vint,
            syn,
            note=how + " Shares held fixed, so growth mixes the two regions' growth.",
        ),
    }


def exports_metric(inp: Inputs, base: EmploymentBase) -> MetricResult:
    clusters = inp.cluster_ids
    ex = inp.get("exports_value")
    mid = ex[ex["geography"].isin(base.midlands)]
    if mid.empty:
        return unavailable("exports", clusters, "no ITL2 exports for the Midlands")
    when = mid["period"].max()
    vals = mid[mid["period"] == when].set_index("geography")["value"]
    shares = agg.employment_shares(base.cluster_emp, base.total_emp)
    uk = ex[(ex["geography"] == "UK") & (ex["period"] == when)]["value"]
    gb_share = base.gb_emp / base.total_emp.sum()
    src, vint, syn = provenance(mid[mid["period"] == when], base.rows)
    return MetricResult(
        "exports",
        agg.apportion(vals, shares),
        gb_share * (float(uk.iloc[0]) if len(uk) else np.nan),
        str(_year(when)),
        src,
        vint,
        syn,
        note=(
            f"Not split by industry: each Midlands ITL2 area's {_year(when)} exports x the cluster's share of "
            f"its BRES {base.year} employment, summed (apportioned, not observed)."
        ),
    )


def business_investment_metric(inp: Inputs) -> MetricResult:
    clusters = inp.cluster_ids
    bi = inp.get("business_investment_cvm_sa")
    bi = bi[bi["geography"] == "UK"].sort_values("period")
    if len(bi) < 24:
        return unavailable(
            "uk_business_investment_growth", clusters, "UK business investment series too short"
        )
    v = bi["value"].to_numpy()
    g = agg.cagr(v[-24:-20].mean(), v[-4:].mean(), 5.0)
    src, vint, syn = provenance(bi)
    last = bi["period"].iloc[-1]
    label = f"{_year(last)}Q{(last.month - 1) // 3 + 1}"
    return MetricResult(
        "uk_business_investment_growth",
        pd.Series(g, index=clusters),
        pd.Series(g, index=clusters),
        f"5 years to {label}",
        src,
        vint,
        syn,
        note="UK only (no regional or industry split published): the same for every cluster, shown as context.",
    )


# ---- partner metrics --------------------------------------------------------------------------------


def partner_metric(inp: Inputs, metric: str, measure: str, how: str, years: int) -> MetricResult:
    """Partner measures by LAD x cluster: Midlands sum over the last ``years`` (or % change for 'growth')."""
    clusters = inp.cluster_ids
    df = inp.get(measure)
    df = df[df["geography"].isin(inp.midlands_lads) & df["cluster"].isin(clusters)]
    if df.empty:
        return unavailable(
            metric,
            clusters,
            f"partner data absent: no {measure} rows (set INVEST_PARTNER_DIR to a licensed export)",
        )
    last = _year(df["period"].max())
    yr = df["period"].dt.year
    recent = df[yr > last - years].groupby("cluster")["value"].sum().reindex(clusters).fillna(0.0)
    src, vint, syn = provenance(df)
    label = f"{last - years + 1}-{last}" if years > 1 else str(last)
    note = f"Sum over {df['geography'].nunique()} Midlands Local Authorities, {label}."
    if how == "growth":
        before = df[(yr > last - 2 * years) & (yr <= last - years)].groupby("cluster")["value"].sum()
        values = agg.pct_change(before.reindex(clusters).fillna(0.0), recent)
        label = f"{last - years + 1}-{last} vs {last - 2 * years + 1}-{last - years}"
        note = f"Change in the Midlands total, {label}; blank where the earlier period had none."
    else:
        values = recent / 1e6 if measure == "equity_amount_gbp" else recent
    if syn:
        note = f"{SYNTHETIC_LABEL.capitalize()}: generated partner file, not real companies or deals. " + note
    return MetricResult(metric, values, pd.Series(np.nan, index=clusters), label, src, vint, syn, note=note)


# ---- all public and partner metrics -----------------------------------------------------------------


def compute_data_metrics(inp: Inputs) -> dict[str, MetricResult]:
    """Every non-forecast metric of the catalogue, keyed by metric id."""
    clusters = inp.cluster_ids
    base = employment_base(inp)
    if base is None:
        raise ScorecardError("the warehouse holds no BRES cluster employment: run `invest data ingest` first")
    out: dict[str, MetricResult] = {}
    out |= bres_metrics(inp, base)
    out["business_count"] = business_count_metric(inp, base, "business_count", "business_count_enterprises")
    out["large_enterprises"] = business_count_metric(
        inp, base, "large_enterprises", "business_count_enterprises_250plus"
    )
    for metric in ("business_birth_rate", "high_growth_rate", "survival_rate_3y"):
        out[metric] = demography_rate_metric(inp, base, metric, metric)
    out["gva_per_job"] = gva_per_job_metric(inp, base)
    out["berd_intensity"] = rd_intensity_metric(inp, base, "berd_intensity", "berd")
    out["public_rd_intensity"] = rd_intensity_metric(inp, base, "public_rd_intensity", "public_rd")
    out |= fdi_metrics(inp, base)
    out["exports"] = exports_metric(inp, base)
    out["uk_business_investment_growth"] = business_investment_metric(inp)
    out["partner_companies"] = partner_metric(inp, "partner_companies", "company_count", "sum", 1)
    out["equity_raised"] = partner_metric(inp, "equity_raised", "equity_amount_gbp", "sum", 5)
    out["fdi_projects_3y"] = partner_metric(inp, "fdi_projects_3y", "fdi_projects", "sum", 3)
    out["domestic_investment_trend"] = partner_metric(
        inp, "domestic_investment_trend", "equity_deals", "growth", 3
    )
    for r in out.values():
        r.values = r.values.reindex(clusters).astype(float)
        r.benchmark = pd.Series(r.benchmark, dtype=float).reindex(clusters)
    return out
