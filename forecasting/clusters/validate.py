"""Validation of the declared clusters against explicit criteria: a verdict with the numbers behind it.

Why: the 25 clusters were taken as given. Each is tested here for specialisation (location quotient against
Great Britain, with a range from BRES rounding and from the choice of basket), critical mass (jobs,
businesses), growth (employment with its shift-share split; GVA where the industry detail allows) and
geographic concentration across the Midlands ITL2 areas. Thresholds live in ``criteria.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.clusters.panel import Panel, area_lq
from forecasting.errors import InvestError
from forecasting.reference.clusters import Cluster

CRITERIA_FILE = Path(__file__).parent / "criteria.toml"
VERDICTS = ("validated", "emerging", "not evidenced")
# BRES open rounding grid [(largest value, step)], as in forecasting/scorecards/catalogue.toml.
_GRID_MEASURE = "bres_employment"


class CriteriaError(InvestError):
    """The criteria file is missing a threshold or holds a bad one."""


@lru_cache(maxsize=4)
def load_criteria(path: Path = CRITERIA_FILE) -> dict[str, Any]:
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    need = {
        "uncertainty": ("draws", "seed", "confidence", "share_spread"),
        "specialisation": ("midlands_lq", "hotspot_lq", "hotspot_jobs", "emerging_lq"),
        "critical_mass": ("jobs", "businesses"),
        "growth": ("competitive_min",),
        "concentration": ("concentrated_ratio",),
    }
    for sec, keys in need.items():
        for k in keys:
            if k not in data.get(sec, {}):
                raise CriteriaError(f"criteria file {path}: [{sec}] {k} is missing")
    return data


def bres_grid() -> list[tuple[float, float]]:
    """The BRES rounding grid from the scorecards catalogue (one definition of how BRES is rounded)."""
    from forecasting.scorecards.catalogue import load_catalogue

    return [(float(b), float(s)) for b, s in load_catalogue().input(_GRID_MEASURE).grid]


def rounding_redraws(matrix: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, *matrix.shape): each published cell re-drawn uniformly within half its rounding step."""
    grid = bres_grid()
    bounds = np.array([b for b, _ in grid])
    steps = np.array([s for _, s in grid])
    v = np.asarray(matrix, float)
    step = steps[np.minimum(np.searchsorted(bounds, v, side="left"), len(steps) - 1)]
    u = rng.uniform(-0.5, 0.5, size=(n, *v.shape))
    out = np.where(v > 0, v + u * step, (u + 0.5) * step / 2.0)
    return np.maximum(out, 0.0)


def basket_variants(cluster: Cluster, panel: Panel, spread: float) -> list[tuple[str, dict[str, float]]]:
    """(label, prefix -> factor) alternatives to the defined basket: one SIC group left out, shares moved.

    Groups are the 3-digit SIC groups the basket holds (5-digit codes when it holds a single group); a
    basket of one code has no leave-one-out variant. Shared codes move to (1 -+ spread) x their share.
    """
    w = panel.basket_weights(cluster)
    held = [c for c in w.index[w > 0] if panel.emp5[panel.year][c].sum() > 0]
    groups = sorted({c[:3] for c in held})
    units = groups if len(groups) > 1 else sorted(held)
    out: list[tuple[str, dict[str, float]]] = [("as defined", {})]
    if len(units) > 1:
        out += [(f"without {u}", {u: 0.0}) for u in units]
    for entry, share in cluster.shares.items():
        lo, hi = share * (1 - spread), min(1.0, share * (1 + spread))
        out += [
            (f"{entry} share {lo:.2g}", {entry: lo / share}),
            (f"{entry} share {hi:.2g}", {entry: hi / share}),
        ]
    return out


@dataclass
class Draws:
    """Per cluster: Midlands LQ and area LQs over draws, with the variant of each draw."""

    lq: np.ndarray  # (D,)
    area_lq: np.ndarray  # (D, A)
    variant_lq: dict[str, float]  # nominal LQ of each basket variant (no rounding)


def _lq_draws(
    panel: Panel, reps: np.ndarray, cluster: Cluster, spread: float, rng: np.random.Generator
) -> Draws:
    year = panel.year
    m = panel.emp5[year]
    tot = panel.total[year].to_numpy(float)
    mid = np.isin(m.index, panel.midlands)
    variants = basket_variants(cluster, panel, spread)
    wmat = np.stack([panel.basket_weights(cluster, f).to_numpy(float) for _, f in variants])  # (V, C)
    pick = rng.integers(0, len(variants), size=reps.shape[0])
    emp = np.einsum("rac,rc->ra", reps, wmat[pick])  # (D, A)
    gb_share = emp.sum(1) / tot.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        alq = (emp / tot[None, :]) / gb_share[:, None]
        lq = (emp[:, mid].sum(1) / tot[mid].sum()) / gb_share
    nominal = m.to_numpy(float) @ wmat.T  # (A, V)
    with np.errstate(invalid="ignore", divide="ignore"):
        vlq = (nominal[mid].sum(0) / tot[mid].sum()) / (nominal.sum(0) / tot.sum())
    return Draws(lq, alq, {label: float(v) for (label, _), v in zip(variants, vlq, strict=True)})


def _q(x: np.ndarray, p: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, p)) if len(x) else float("nan")


def _cagr(a: float, b: float, years: int) -> float:
    if a <= 0 or b <= 0 or years <= 0:
        return float("nan")
    return ((b / a) ** (1 / years) - 1) * 100


def shift_share(panel: Panel, w: pd.Series) -> dict[str, float]:
    """Midlands employment growth split into national, industry-mix and competitive effects (% a year).

    Expected Midlands employment = each code's first-year Midlands employment grown at that code's GB rate;
    competitive = actual Midlands growth minus expected (the part that is the Midlands' own).
    """
    y0, y1 = panel.first_year, panel.year
    n = y1 - y0
    m0, m1 = panel.emp5[y0], panel.emp5[y1]
    wv = w.reindex(m1.columns, fill_value=0.0)
    mid0 = m0.loc[panel.midlands] @ wv
    mid1 = m1.loc[panel.midlands] @ wv
    gb0_code, gb1_code = m0.sum(0), m1.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (gb1_code / gb0_code).where(gb0_code > 0, 1.0)
    expected = float((m0.loc[panel.midlands].sum(0) * wv * rate).sum())
    actual0, actual1 = float(mid0.sum()), float(mid1.sum())
    gb_all = _cagr(float(panel.total[y0].sum()), float(panel.total[y1].sum()), n)
    mid_growth = _cagr(actual0, actual1, n)
    exp_growth = _cagr(actual0, expected, n)
    gb_cluster = _cagr(float((gb0_code * wv).sum()), float((gb1_code * wv).sum()), n)
    return {
        "midlands_growth": mid_growth,
        "gb_growth": gb_cluster,
        "national_effect": gb_all,
        "industry_mix_effect": exp_growth - gb_all,
        "competitive_effect": mid_growth - exp_growth,
        "first_year": y0,
        "year": y1,
    }


def _gva_slices(panel: Panel) -> tuple[dict[str, str], dict[int, pd.DataFrame]]:
    """Division -> finest published GVA slice holding it, and per year the Midlands area x slice GVA."""
    from forecasting.scorecards.metrics import slice_span

    g = panel.gva[panel.gva["geography"].isin(panel.midlands)]
    slices: dict[str, str] = {}
    width: dict[str, int] = {}
    for code in g["cluster"].unique():
        span = slice_span(str(code))
        if span is None or "IMP" in str(code):
            continue
        for d in range(span[0], span[1] + 1):
            key = f"{d:02d}"
            if key not in width or span[1] - span[0] < width[key]:
                slices[key], width[key] = str(code), span[1] - span[0]
    by_year = {
        int(y): grp.pivot_table(index="geography", columns="cluster", values="value", aggfunc="sum")
        for y, grp in g.groupby(g["period"].dt.year)
    }
    return slices, by_year


def gva_growth(panel: Panel, w: pd.Series) -> dict[str, Any]:
    """Midlands cluster GVA growth (current prices) between the BRES years, where the detail allows.

    Published GVA by industry is by division or group of divisions; a cluster's GVA is each slice's GVA
    times the cluster's share of the slice's employment in the area (BRES), so it is "exact" only when the
    cluster holds whole slices at share 1, otherwise "apportioned by employment".
    """
    if panel.gva.empty:
        return {"available": False, "reason": "no regional GVA by industry in the warehouse"}
    if "gva_slices" not in panel.memo:
        panel.memo["gva_slices"] = _gva_slices(panel)
    slices, by_year = panel.memo["gva_slices"]
    y0, y1 = panel.first_year, panel.year
    if y0 not in by_year or y1 not in by_year:
        return {"available": False, "reason": f"regional GVA by industry does not cover {y0} and {y1}"}
    codes = pd.Index(panel.codes)
    divs = sorted({c[:2] for c in w.index[w > 0]})
    missing = [d for d in divs if d not in slices]
    if missing:
        return {"available": False, "reason": f"no published GVA slice for SIC divisions {missing}"}
    slice_of_code = pd.Series([slices.get(c[:2], "") for c in codes], index=codes)
    used = sorted({slices[d] for d in divs})
    in_used = slice_of_code.isin(used)
    exact = bool((w[in_used] >= 1).all())
    out = {}
    for y in (y0, y1):
        m = panel.emp5[y].loc[panel.midlands]
        slice_emp = m.T.groupby(slice_of_code).sum().T  # area x slice
        clus_emp = (m * w).T.groupby(slice_of_code).sum().T
        gv = by_year[y].reindex(index=panel.midlands, columns=used)
        with np.errstate(invalid="ignore", divide="ignore"):
            part = gv * clus_emp.reindex(columns=used) / slice_emp.reindex(columns=used)
        out[y] = float(np.nansum(part.to_numpy(float)))
    return {
        "available": True,
        "gva_first_gbp_m": round(out[y0], 1),
        "gva_last_gbp_m": round(out[y1], 1),
        "growth": _cagr(out[y0], out[y1], y1 - y0),
        "detail": "exact (whole published slices)"
        if exact
        else "apportioned by BRES employment within slices",
        "unit": "% a year, current prices",
        "first_year": y0,
        "year": y1,
    }


def _hhi(x: np.ndarray) -> float:
    s = x.sum()
    return float(((x / s) ** 2).sum()) if s > 0 else float("nan")


def validate_cluster(
    panel: Panel, cluster: Cluster, reps: np.ndarray, crit: dict[str, Any], rng: np.random.Generator
) -> dict[str, Any]:
    """Every criterion's numbers and pass/fail, and the verdict, for one cluster."""
    unc, spec, mass = crit["uncertainty"], crit["specialisation"], crit["critical_mass"]
    conf = float(unc["confidence"])
    year = panel.year
    w = panel.basket_weights(cluster)
    m = panel.emp5[year]
    emp_area = pd.Series(
        m.to_numpy(float) @ w.reindex(m.columns, fill_value=0.0).to_numpy(float), index=m.index
    )
    tot = panel.total[year]
    mid = panel.midlands
    lq_area = area_lq(emp_area, tot)
    lq = float((emp_area[mid].sum() / tot[mid].sum()) / (emp_area.sum() / tot.sum()))
    d = _lq_draws(panel, reps, cluster, float(unc["share_spread"]), rng)
    lo_q, hi_q = 1 - conf, conf
    lq_lo, lq_hi = _q(d.lq, lo_q), _q(d.lq, hi_q)
    area_idx = {a: i for i, a in enumerate(m.index)}
    areas = []
    hotspots = []
    for a in mid:
        i = area_idx[a]
        a_lo = _q(d.area_lq[:, i], lo_q)
        row = {
            "area": a,
            "name": panel.names.get(a, a),
            "jobs": round(float(emp_area[a])),
            "lq": round(float(lq_area[a]), 3),
            "lq_low": round(a_lo, 3),
            "lq_high": round(_q(d.area_lq[:, i], hi_q), 3),
        }
        areas.append(row)
        if a_lo >= spec["hotspot_lq"] and emp_area[a] >= spec["hotspot_jobs"]:
            hotspots.append(a)
    jobs = float(emp_area[mid].sum())
    biz_gb = panel.businesses_gb
    if len(biz_gb):
        gb_code = m.sum(0)
        mid_code = m.loc[mid].sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mid_share = (mid_code / gb_code).where(gb_code > 0, 0.0)
        businesses = float(
            (
                biz_gb.reindex(m.columns, fill_value=0.0) * w.reindex(m.columns, fill_value=0.0) * mid_share
            ).sum()
        )
    else:
        businesses = float("nan")
    ss = shift_share(panel, w)
    gva = gva_growth(panel, w)
    emp_mid = emp_area[mid].to_numpy(float)
    conc = _hhi(emp_mid) / _hhi(tot[mid].to_numpy(float))
    top = max(areas, key=lambda r: r["jobs"]) if areas else None

    region_wide = lq_lo >= spec["midlands_lq"]
    specialised = bool(region_wide or hotspots)
    has_mass = bool(jobs >= mass["jobs"] and (np.isnan(businesses) or businesses >= mass["businesses"]))
    growing = bool(
        np.isfinite(ss["competitive_effect"])
        and ss["competitive_effect"] >= crit["growth"]["competitive_min"]
    )
    near = bool(lq_hi >= spec["emerging_lq"] or any(r["lq_high"] >= spec["hotspot_lq"] for r in areas))
    concentrated = bool(conc >= crit["concentration"]["concentrated_ratio"])
    if specialised and has_mass:
        verdict, why = "validated", "specialised and of critical mass"
    elif specialised:
        verdict, why = "emerging", "specialised but below critical mass"
    elif has_mass and growing and (near or concentrated):
        verdict, why = (
            "emerging",
            "of critical mass, outgrowing GB in the same industries, near-specialised or concentrated",
        )
    else:
        parts = []
        if not specialised:
            thr = spec["midlands_lq"]
            if lq >= thr:
                parts.append(
                    f"specialisation not robust (Midlands LQ {lq:.2f}, but {lq_lo:.2f} in the low draws against "
                    f"{thr:.2f}; no hotspot)"
                )
            else:
                parts.append(f"not specialised (Midlands LQ {lq:.2f}, low {lq_lo:.2f}; no hotspot)")
        if not has_mass:
            parts.append("below critical mass")
        if not growing:
            parts.append("not outgrowing GB in its industries")
        verdict, why = "not evidenced", "; ".join(parts)
    return {
        "cluster": cluster.id,
        "name": cluster.name,
        "verdict": verdict,
        "reason": why,
        "specialisation": {
            "midlands_lq": round(lq, 3),
            "lq_low": round(lq_lo, 3),
            "lq_high": round(lq_hi, 3),
            "lq_basket_range": [round(min(d.variant_lq.values()), 3), round(max(d.variant_lq.values()), 3)],
            "basket_variants": {k: round(v, 3) for k, v in d.variant_lq.items()},
            "region_wide": bool(region_wide),
            "hotspots": hotspots,
            "passed": specialised,
        },
        "critical_mass": {
            "jobs": round(jobs),
            "businesses": None if np.isnan(businesses) else round(businesses),
            "business_year": panel.business_year,
            "passed": has_mass,
        },
        "growth": {
            **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in ss.items()},
            "gva": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in gva.items()},
            "passed": growing,
        },
        "concentration": {
            "hhi_ratio": round(conc, 3),
            "top_area": top["area"] if top else None,
            "top_area_share": round(top["jobs"] / jobs, 3) if top and jobs > 0 else None,
            "areas": areas,
            "passed": concentrated,
        },
    }


def validate(panel: Panel, clusters: list[Cluster], criteria: dict[str, Any] | None = None) -> dict[str, Any]:
    """All clusters' verdicts with the criteria used and provenance (a JSON-ready document)."""
    crit = criteria or load_criteria()
    unc = crit["uncertainty"]
    rng = np.random.default_rng(int(unc["seed"]))
    reps = rounding_redraws(panel.emp5[panel.year].to_numpy(float), int(unc["draws"]), rng)
    rows = [validate_cluster(panel, c, reps, crit, rng) for c in clusters]
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    return {
        "criteria": {k: v for k, v in crit.items() if k != "discovery"},
        "year": panel.year,
        "first_year": panel.first_year,
        "midlands_areas": [{"area": a, "name": panel.names.get(a, a)} for a in panel.midlands],
        "counts": counts,
        "clusters": rows,
        "provenance": panel.provenance(),
        "method": (
            "Location quotients against Great Britain from BRES (ITL2 x SIC 5-digit), each SIC code times the "
            "cluster's share of it. Ranges: the {lo:.0%}-{hi:.0%} quantiles of {n} draws that re-draw every BRES "
            "cell within its rounding step and pick a basket variant (as defined, one SIC group left out, a shared "
            "code's share moved). Growth: compound annual employment growth split by shift-share into national, "
            "industry-mix and competitive effects; GVA from regional GVA by industry apportioned by employment."
        ).format(lo=1 - unc["confidence"], hi=unc["confidence"], n=unc["draws"]),
    }
