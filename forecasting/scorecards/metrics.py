"""Public-data metrics per cluster, each with its UK/GB benchmark, provenance and details.

Why one registered function per metric id: the catalogue names what each metric reads (``series``) and how
it is explained (``method``); the function here is the one computation of that id, checked against the
catalogue at start. Every function reads its family's reference year from the context, so all metrics of a
family describe the same year.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.catalogue import MetricSpec
from forecasting.scorecards.context import MetricContext, to_calendar
from forecasting.scorecards.registry import metric
from forecasting.scorecards.result import MetricResult, merge_provenance, provenance, unavailable, year_of


def _template_parts(spec: MetricSpec, role: str) -> list[str]:
    return spec.series_template(role).split(".")


def _result(
    spec: MetricSpec, values: pd.Series, bench: pd.Series | float, period: str, prov, **details: object
) -> MetricResult:
    idx = values.index
    b = bench if isinstance(bench, pd.Series) else pd.Series(bench, index=idx, dtype=float)
    return MetricResult(
        spec.id,
        values,
        b,
        period,
        prov.sources,
        prov.vintage,
        pd.Series(prov.synthetic, index=idx),
        details=dict(details),
    )


# ---- business population ----------------------------------------------------------------------------


def _bres_totals(ctx: MetricContext) -> tuple[float, float]:
    b = ctx.base
    return float(b.total_emp.reindex(b.midlands).sum()), float(b.total_emp.sum())


@metric("employment")
def employment(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    b = ctx.base
    return _result(spec, b.mid_emp, b.gb_emp, str(b.year), b.prov, n_areas=len(b.midlands), year=b.year)


@metric("employment_growth")
def employment_growth(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    b = ctx.base
    years = b.year - b.first_year
    mid0 = agg.sum_areas(b.cluster_emp_first, b.midlands)
    gb0 = agg.sum_areas(b.cluster_emp_first)
    return _result(
        spec,
        agg.cagr(mid0, b.mid_emp, years),
        agg.cagr(gb0, b.gb_emp, years),
        f"{b.first_year}-{b.year}",
        b.prov,
        first_year=b.first_year,
        year=b.year,
    )


@metric("employment_competitive_effect")
def employment_competitive_effect(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """Shift-share: actual Midlands cluster growth minus growth at each SIC code's GB rate (% a year)."""
    b = ctx.base
    years = b.year - b.first_year
    gb0 = b.code_emp_first.groupby("code")["value"].sum()
    gb1 = b.code_emp.groupby("code")["value"].sum()
    rate = (gb1 / gb0.where(gb0 > 0)).fillna(1.0)
    first = b.cluster_code_emp_first
    first = first[first["geography"].isin(b.midlands)]
    mid0 = first.groupby("cid")["value"].sum()
    expected = (first["value"] * first["code"].map(rate).fillna(1.0).to_numpy()).groupby(first["cid"]).sum()
    mid1 = b.mid_emp
    actual = agg.cagr(mid0.reindex(mid1.index), mid1, years)
    exp_growth = agg.cagr(mid0.reindex(mid1.index), expected.reindex(mid1.index), years)
    t0, t1 = float(b.total_emp_first.sum()), float(b.total_emp.sum())
    national = ((t1 / t0) ** (1 / years) - 1) * 100 if years > 0 and t0 > 0 else float("nan")
    return _result(
        spec,
        actual - exp_growth,
        0.0,
        f"{b.first_year}-{b.year}",
        b.prov,
        first_year=b.first_year,
        year=b.year,
        national=f"{national:+.2f}",
    )


@metric("location_quotient")
def location_quotient(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    b = ctx.base
    t_mid, t_gb = _bres_totals(ctx)
    lq = (b.mid_emp / t_mid) / (b.gb_emp / t_gb)
    return _result(spec, lq, 1.0, str(b.year), b.prov, year=b.year)


@metric("midlands_share")
def midlands_share(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    b = ctx.base
    t_mid, t_gb = _bres_totals(ctx)
    return _result(spec, b.mid_emp / b.gb_emp * 100.0, t_mid / t_gb * 100.0, str(b.year), b.prov, year=b.year)


def _gb_count(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """A count published for Great Britain only, apportioned by the Midlands share of GB employment."""
    measure, geography, _, _ = _template_parts(spec, "count")
    clusters = ctx.clusters
    year = ctx.year(spec.family)
    df = ctx.inp.get(measure)
    df = df[(df["geography"] == geography) & df["cluster"].isin(clusters) & (df["period"].dt.year == year)]
    if df.empty:
        return unavailable(spec.id, clusters, f"no {measure} cluster series for {geography} in {year}")
    b = ctx.base
    gb = df.set_index("cluster")["value"].reindex(clusters)
    prov = merge_provenance(provenance(df), b.prov)
    return _result(spec, gb * b.mid_emp / b.gb_emp, gb, str(year), prov, year=year)


metric("business_count")(_gb_count)
metric("large_enterprises")(_gb_count)


def _demography_itl2(
    ctx: MetricContext, rate_m: str, active_m: str, year: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    rates = to_calendar(ctx.inp.get(rate_m), ctx.catalogue.input(rate_m), year)
    lad = rates[rates["geography"].isin(ctx.inp.midlands_lads)]
    active = to_calendar(ctx.inp.get(active_m), ctx.catalogue.input(active_m), year)
    active = active[active["geography"].isin(ctx.inp.midlands_lads)]
    w = (
        active.set_index("geography")["value"]
        if not active.empty
        else pd.Series(1.0, index=lad["geography"].unique())
    )
    itl2 = (
        agg.roll_up_rates(lad.set_index("geography")["value"], w, ctx.inp.itl2_of_lad)
        if not lad.empty
        else None
    )
    return lad, active, itl2, rates


def _demography_rate(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """LAD rates (all industries) rolled up to ITL2 by active businesses, then cluster-employment weighted."""
    clusters = ctx.clusters
    year = ctx.year(spec.family)
    rate_m, active_m = spec.measure("rate"), spec.measure("active")
    # The rates and their ITL2 roll-up do not depend on BRES, so replicates reuse them.
    key = f"demography:{rate_m}:{active_m}:{year}"
    lad, active, itl2, rates = ctx.stable(
        key, [rate_m, active_m], lambda: _demography_itl2(ctx, rate_m, active_m, year)
    )
    if lad.empty:
        return unavailable(spec.id, clusters, f"no Midlands LAD {rate_m} observed in {year}")
    b = ctx.base
    values = agg.weighted_mean(itl2, b.cluster_emp.reindex(b.midlands))
    _, bgeo, _, _ = _template_parts(spec, "benchmark")
    uk = rates[rates["geography"] == bgeo]["value"]
    prov = merge_provenance(provenance(lad, active), b.prov)
    lag = ctx.catalogue.input(rate_m).observed_lag
    return _result(
        spec,
        values,
        float(uk.iloc[0]) if len(uk) else np.nan,
        str(year),
        prov,
        n_lads=lad["geography"].nunique(),
        year=year,
        cohort=year - lag,
        weight_year=b.year,
    )


metric("business_birth_rate")(_demography_rate)
metric("high_growth_rate")(_demography_rate)
metric("survival_rate_3y")(_demography_rate)


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


def slice_span(code: str) -> tuple[int, int] | None:
    """Divisions a published GVA industry covers: ``sic-29``, ``sic-11-12``, ``sic-C10-12`` or section ``sic-P``."""
    m = _GVA_SLICE.match(code)
    if m:
        return int(m.group(1)), int(m.group(2) or m.group(1))
    return _SIC_SECTIONS.get(code.removeprefix("sic-"))


def gva_slices(gva: pd.DataFrame) -> pd.DataFrame:
    """Published GVA industries -> (geography, div, slice): each division takes the finest slice holding it."""
    return gva_slice_frame(gva, _gva_slice_rows(gva))


def _gva_slice_rows(gva: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(row position in ``gva``, division) of the finest published slice of every division (value-free)."""
    rows = []
    for code in gva["cluster"].unique():
        span = slice_span(code)
        if span is None:
            continue
        lo, hi = span
        rows += [(code, f"{d:02d}", hi - lo) for d in range(lo, hi + 1)]
    spans = pd.DataFrame(rows, columns=["cluster", "div", "width"])
    g = gva[["geography", "cluster"]].assign(pos=np.arange(len(gva)))
    out = g.merge(spans, on="cluster")
    out = out.sort_values(["width", "cluster"]).drop_duplicates(["geography", "div"])
    return out["pos"].to_numpy(), out["div"].to_numpy()


def gva_slice_frame(gva: pd.DataFrame, picks: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    pos, div = picks
    return pd.DataFrame(
        {
            "geography": gva["geography"].to_numpy()[pos],
            "div": div,
            "slice": gva["cluster"].to_numpy()[pos],
            "gva": gva["value"].to_numpy(float)[pos],
        }
    )


@metric("gva_per_job")
def gva_per_job(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters = ctx.clusters
    b = ctx.base
    year = ctx.year(spec.family)
    areas = list(b.cluster_emp.index)
    gva = ctx.inp.rows(
        spec.measure("gva"),
        f"{year}:{','.join(areas)}",
        lambda d: (d["period"].dt.year == year) & d["geography"].isin(areas),
    )
    if gva.empty:
        return unavailable(spec.id, clusters, f"no ITL2 GVA by industry for {year}")
    picks = ctx.inp.cached(f"gva-slices:{year}:{','.join(areas)}", lambda: _gva_slice_rows(gva))
    slices = gva_slice_frame(gva, picks).merge(b.div_emp, on=["geography", "div"], how="left")
    slice_emp = slices.groupby(["geography", "slice"])["value"].sum().rename("slice_emp")
    slices = slices.join(slice_emp, on=["geography", "slice"])
    j = b.cluster_div_emp.merge(slices[["geography", "div", "gva", "slice_emp"]], on=["geography", "div"])
    j = j[j["slice_emp"] > 0]
    j["cl_gva"] = j["gva"] * j["value"] / j["slice_emp"]
    by_geo = j.groupby(["geography", "cid"])[["cl_gva", "value"]].sum()

    def per_job(areas: list[str] | None) -> pd.Series:
        d = by_geo if areas is None else by_geo[by_geo.index.get_level_values(0).isin(areas)]
        t = d.groupby(level="cid").sum()
        return (t["cl_gva"] * 1e6 / t["value"].where(t["value"] > 0)).reindex(clusters)

    prov = merge_provenance(provenance(gva), b.prov)
    return _result(spec, per_job(b.midlands), per_job(None), str(year), prov, year=year)


# ---- regional R&D (context) -------------------------------------------------------------------------


def _rd_intensity(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """Regional R&D / GVA in one calendar year (financial years converted first), cluster-weighted."""
    clusters = ctx.clusters
    if not ctx.has_year(spec.family):
        return unavailable(spec.id, clusters, "R&D and GVA share no calendar year")
    year = ctx.year(spec.family)
    rd_m = spec.measure("rd")
    geos = [*MIDLANDS_ITL1, "UK"]
    rd = ctx.inp.get(rd_m)
    rd = to_calendar(rd[rd["geography"].isin(geos)], ctx.catalogue.input(rd_m), year)
    gva_m, _, gcl, _ = _template_parts(spec, "gva")
    gva = ctx.inp.get(gva_m)
    gva = gva[(gva["cluster"] == gcl) & gva["geography"].isin(geos) & (gva["period"].dt.year == year)]
    if rd.empty or gva.empty:
        return unavailable(spec.id, clusters, f"no {rd_m} or GVA for calendar {year}")
    intensity = rd.set_index("geography")["value"] / gva.set_index("geography")["value"] * 100.0
    b = ctx.base
    weights = b.region_emp(ctx.inp.itl1_of_itl2).reindex(list(MIDLANDS_ITL1))
    values = agg.weighted_mean(intensity.reindex(list(MIDLANDS_ITL1)), weights)
    prov = merge_provenance(provenance(rd, gva), b.prov)
    return _result(
        spec,
        values,
        float(intensity.get("UK", np.nan)),
        str(year),
        prov,
        year=year,
        weight_year=b.year,
        fy_before=f"{year - 1}/{str(year)[2:]}",
        fy_after=f"{year}/{str(year + 1)[2:]}",
    )


metric("berd_intensity")(_rd_intensity)
metric("public_rd_intensity")(_rd_intensity)


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


def fdi_intensity(ctx: MetricContext) -> tuple[pd.Series, pd.DataFrame]:
    """UK inward FDI position per GB job by SIC division (from the ONS industry split), and its rows."""
    return ctx.cached("fdi-intensity", lambda: _fdi_intensity(ctx))


def _fdi_intensity(ctx: MetricContext) -> tuple[pd.Series, pd.DataFrame]:
    pos = ctx.inp.get(ctx.catalogue.shared["fdi_by_industry"])
    pos = pos[pos["cluster"].str.startswith("ind-")]
    if pos.empty:
        return pd.Series(dtype=float), pos
    pos = pos[pos["period"] == pos["period"].max()]
    by_ind = pos.set_index(pos["cluster"].str[4:])["value"]
    gb_div = ctx.base.div_emp.groupby("div")["value"].sum()
    out = {}
    for ind, divs in FDI_INDUSTRY_DIVISIONS.items():
        keys = [f"{d:02d}" for d in divs]
        jobs = gb_div.reindex(keys).sum()
        if ind in by_ind.index and jobs > 0:
            for k in keys:
                out[k] = max(float(by_ind[ind]), 0.0) / jobs
    return pd.Series(out, dtype=float), pos


def fdi_shares(ctx: MetricContext) -> tuple[pd.DataFrame, dict[str, object], pd.DataFrame]:
    """Each cluster's share of each Midlands region's FDI, by FDI-intensity-weighted employment.

    W(c, r) = sum over divisions of cluster employment x UK FDI position per job of the division; the
    cluster's share of region r is W(c, r) / W(all, r). Falls back to plain employment shares when the
    industry split is missing. Returns (regions x clusters shares, details, provenance rows).
    """

    def build() -> tuple[pd.DataFrame, dict[str, object], pd.DataFrame]:
        b = ctx.base
        intensity, rows = fdi_intensity(ctx)
        region_of = ctx.inp.itl1_of_itl2
        if intensity.empty:
            shares = agg.employment_shares(b.region_emp(region_of), b.region_total(region_of))
            return (
                shares.reindex(list(MIDLANDS_ITL1)),
                {"how_share": "the cluster's share of employment"},
                rows,
            )
        cd = b.cluster_div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
        cd["itl1"] = cd["geography"].map(region_of)
        wc = cd.groupby(["itl1", "cid"])["w"].sum().unstack().reindex(columns=ctx.clusters)
        dv = b.div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
        dv["itl1"] = dv["geography"].map(region_of)
        wall = dv.groupby("itl1")["w"].sum()
        shares = wc.div(wall.reindex(wc.index), axis=0).reindex(list(MIDLANDS_ITL1))
        how = (
            "the cluster's share of each region's employment weighted by its industries' UK inward FDI "
            f"position per job (ONS FDI by industry, {year_of(rows['period'].max())}; approximate SIC mapping)"
        )
        return shares, {"how_share": how, "key_year": year_of(rows["period"].max())}, rows

    return ctx.cached("fdi-shares", build)


def _fdi_wide(ctx: MetricContext, spec: MetricSpec) -> pd.DataFrame:
    measure, _, cl, _ = _template_parts(spec, "position")
    fdi = ctx.inp.get(measure)
    fdi = fdi[fdi["geography"].isin([*MIDLANDS_ITL1, "UK"]) & (fdi["cluster"] == cl)]
    year = ctx.year(spec.family)
    return fdi[fdi["period"].dt.year <= year]


@metric("fdi_position")
def fdi_position(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters = ctx.clusters
    fdi = _fdi_wide(ctx, spec)
    if fdi.empty:
        return unavailable(spec.id, clusters, "no ITL1 inward FDI positions")
    wide = fdi.pivot_table(index="period", columns="geography", values="value")
    shares, how, ind_rows = fdi_shares(ctx)
    last = wide.index.max()
    stock = agg.apportion(wide.loc[last, list(MIDLANDS_ITL1)], shares)
    b = ctx.base
    intensity, _ = fdi_intensity(ctx)
    uk_last = wide.loc[last].get("UK", np.nan)
    if intensity.empty:
        uk_bench = b.gb_emp / b.total_emp.sum() * uk_last
    else:
        cd = b.cluster_div_emp.assign(w=lambda d: d["value"] * d["div"].map(intensity).fillna(0.0))
        gb_w = cd.groupby("cid")["w"].sum().reindex(clusters)
        all_w = (b.div_emp["value"] * b.div_emp["div"].map(intensity).fillna(0.0)).sum()
        uk_bench = gb_w / all_w * uk_last
    prov = merge_provenance(provenance(fdi, ind_rows), b.prov)
    return _result(
        spec, stock, uk_bench, str(year_of(last)), prov, year=year_of(last), weight_year=b.year, **how
    )


@metric("fdi_position_growth")
def fdi_position_growth(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters = ctx.clusters
    fdi = _fdi_wide(ctx, spec)
    if fdi.empty:
        return unavailable(spec.id, clusters, "no ITL1 inward FDI positions")
    wide = fdi.pivot_table(index="period", columns="geography", values="value")
    shares, how, ind_rows = fdi_shares(ctx)
    first, last = wide.index.min(), wide.index.max()
    stock = agg.apportion(wide.loc[last, list(MIDLANDS_ITL1)], shares)
    stock0 = agg.apportion(wide.loc[first, list(MIDLANDS_ITL1)], shares)
    years = year_of(last) - year_of(first)
    uk = agg.cagr(wide.loc[first].get("UK", np.nan), wide.loc[last].get("UK", np.nan), years)
    prov = merge_provenance(provenance(fdi, ind_rows), ctx.base.prov)
    return _result(
        spec,
        agg.cagr(stock0, stock, years),
        float(uk),
        f"{year_of(first)}-{year_of(last)}",
        prov,
        first_year=year_of(first),
        year=year_of(last),
        **how,
    )


@metric("exports")
def exports(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters = ctx.clusters
    b = ctx.base
    measure = spec.measure("exports")
    year = ctx.year(spec.family)
    ex = ctx.inp.get(measure)
    ex = ex[ex["period"].dt.year == year]
    mid = ex[ex["geography"].isin(b.midlands)]
    if mid.empty:
        return unavailable(spec.id, clusters, f"no ITL2 exports for the Midlands in {year}")
    vals = mid.set_index("geography")["value"]
    shares = agg.employment_shares(b.cluster_emp, b.total_emp)
    _, bgeo, _, _ = _template_parts(spec, "benchmark")
    uk = ex[ex["geography"] == bgeo]["value"]
    gb_share = b.gb_emp / b.total_emp.sum()
    prov = merge_provenance(provenance(mid), b.prov)
    return _result(
        spec,
        agg.apportion(vals, shares),
        gb_share * (float(uk.iloc[0]) if len(uk) else np.nan),
        str(year),
        prov,
        year=year,
        weight_year=b.year,
    )


@metric("uk_business_investment_growth")
def uk_business_investment_growth(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters = ctx.clusters
    measure, geography, cl, _ = _template_parts(spec, "investment")
    bi = ctx.inp.get(measure)
    bi = bi[(bi["geography"] == geography) & (bi["cluster"] == cl)].sort_values("period")
    years = int(spec.param("years"))
    n = 4 * years + 4
    if len(bi) < n:
        return unavailable(spec.id, clusters, "UK business investment series too short")
    v = bi["value"].to_numpy()
    g = agg.cagr(v[-n : -n + 4].mean(), v[-4:].mean(), float(years))
    last = bi["period"].iloc[-1]
    label = f"{years} years to {last.year}Q{(last.month - 1) // 3 + 1}"
    return _result(
        spec, pd.Series(g, index=clusters), g, label, provenance(bi), label=label, year=year_of(last)
    )
