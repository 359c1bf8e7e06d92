"""How cluster strength relates to inward FDI and GVA growth across GB areas: effect sizes, stated modestly.

Why area level: FDI positions are published by ITL1/ITL2 area (ONS subnational FDI, official statistics in
development), not by industry, so the question a cross-section can answer is whether areas with more of
their jobs in specialised clusters hold more inward FDI per job or grew GVA faster. With about 30-40 areas
this is an association with a wide interval, not an effect of clusters on investment.

Cluster strength of an area = the share of its employment in declared clusters in which the area is
specialised (area LQ >= ``STRONG_LQ``), each SIC code at its apportioning share, so no job counts twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.clusters.panel import Panel, area_lq
from forecasting.reference.clusters import Cluster

STRONG_LQ = 1.25
BOOT = 2000
SEED = 20261207


def cluster_strength(panel: Panel, clusters: list[Cluster]) -> pd.Series:
    """Share (%) of each area's employment in clusters it is specialised in (LQ >= STRONG_LQ)."""
    m = panel.emp5[panel.year]
    tot = panel.total[panel.year]
    strong = pd.Series(0.0, index=m.index)
    for c in clusters:
        w = panel.basket_weights(c)
        emp = pd.Series(m.to_numpy(float) @ w.to_numpy(float), index=m.index)
        lq = area_lq(emp, tot)
        strong += emp.where(lq >= STRONG_LQ, 0.0)
    return strong / tot * 100


def _slope_r(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``stats.linregress(x, y)``'s slope and r by its own arithmetic (the same numbers, bit for bit), without
    its p-value and argument handling: 8,000 bootstrap fits spent most of their time there."""
    ssxm, ssxym, _, ssym = np.cov(x, y, bias=1).flat
    if ssxm == 0.0 or ssym == 0.0:
        r = np.asarray(np.nan if ssxym == 0 else 0.0)[()]
    else:
        r = min(max(ssxym / np.sqrt(ssxm * ssym), -1.0), 1.0)
    return ssxym / ssxm, r


def _effect(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    """OLS slope, Pearson r, Spearman rho, and bootstrap 90% intervals (pairs resampled)."""
    n = len(x)
    if n < 8:
        return {"n": n, "available": False, "reason": f"only {n} areas with both numbers"}
    slope, intercept, r, p, se = stats.linregress(x, y)
    rho = stats.spearmanr(x, y).statistic
    idx = rng.integers(0, n, size=(BOOT, n))
    bs, br = [], []
    for i in idx:
        xi, yi = x[i], y[i]
        if np.std(xi) == 0:
            continue
        s, rr = _slope_r(xi, yi)
        bs.append(s)
        br.append(rr)
    return {
        "n": n,
        "available": True,
        "slope": float(slope),
        "slope_90": [float(np.quantile(bs, 0.05)), float(np.quantile(bs, 0.95))],
        "r": float(r),
        "r_90": [float(np.quantile(br, 0.05)), float(np.quantile(br, 0.95))],
        "spearman_rho": float(rho),
        "p_value": float(p),
    }


def _cagr(a: pd.Series, b: pd.Series, years: int) -> pd.Series:
    return ((b / a) ** (1 / years) - 1) * 100


def investment_relationship(
    panel: Panel, clusters: list[Cluster], validation: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Area cluster strength against FDI per job, FDI growth, GFCF per job and GVA growth, with effect sizes."""
    rng = np.random.default_rng(SEED)
    strength = cluster_strength(panel, clusters)
    tot = panel.total[panel.year]
    out: dict[str, Any] = {
        "strength_definition": (
            f"share of an area's employment (BRES {panel.year}) in declared clusters where the area's location "
            f"quotient is at least {STRONG_LQ}"
        ),
        "areas": len(strength),
        "outcomes": {},
        "caveat": (
            "A cross-section of GB ITL2 areas: associations, not effects. Areas differ in size, sector mix and "
            "the location of head offices (FDI positions are recorded where the investing company reports), "
            "and intervals are wide. Domestic investment is regional GFCF in buildings and dwellings only (the "
            "experimental ONS series has no machinery, ICT or intangibles), so it says little about business "
            "investment in plant."
        ),
    }
    fdi = panel.fdi
    if not fdi.empty:
        f = fdi[fdi["geography"].isin(strength.index)]
        years = sorted(f["period"].dt.year.unique())
        if years:
            last, first = years[-1], years[0]
            fl = f[f["period"].dt.year == last].set_index("geography")["value"]
            ff = f[f["period"].dt.year == first].set_index("geography")["value"]
            per_job = (fl * 1e6 / tot.reindex(fl.index)).dropna()
            per_job = per_job[per_job > 0]
            x = strength.reindex(per_job.index).to_numpy(float)
            out["outcomes"]["fdi_position_per_job"] = {
                "label": f"log inward FDI position {last} per job (BRES {panel.year})",
                "unit": "change in log(£ per job) per percentage point of employment in strong clusters",
                "source": "ONS subnational FDI (official statistics in development); ONS BRES",
                **_effect(x, np.log(per_job.to_numpy(float)), rng),
            }
            g = _cagr(ff, fl.reindex(ff.index), last - first).replace([np.inf, -np.inf], np.nan).dropna()
            out["outcomes"]["fdi_position_growth"] = {
                "label": f"inward FDI position growth {first}-{last}",
                "unit": "pp a year per percentage point of employment in strong clusters",
                "source": "ONS subnational FDI (official statistics in development)",
                **_effect(strength.reindex(g.index).to_numpy(float), g.to_numpy(float), rng),
            }
    gfcf = panel.gfcf
    if not gfcf.empty:
        g = gfcf[gfcf["geography"].isin(strength.index)]
        if len(g):
            last = int(g["period"].dt.year.max())
            gl = g[g["period"].dt.year == last].set_index("geography")["value"]
            per_job = (gl * 1e6 / tot.reindex(gl.index)).dropna()
            per_job = per_job[per_job > 0]
            out["outcomes"]["gfcf_per_job"] = {
                "label": f"log regional GFCF {last} per job (dwellings and other buildings and structures; BRES "
                f"{panel.year})",
                "unit": "change in log(£ per job) per percentage point of employment in strong clusters",
                "source": "ONS experimental regional GFCF by asset (dwellings; other buildings and structures "
                "only: no machinery, ICT or intangibles); ONS BRES",
                **_effect(
                    strength.reindex(per_job.index).to_numpy(float), np.log(per_job.to_numpy(float)), rng
                ),
            }
    gva = panel.gva
    if not gva.empty:
        a = gva[gva["cluster"] == "all"]
        y0, y1 = panel.first_year, int(a["period"].dt.year.max()) if len(a) else panel.year
        g0 = a[a["period"].dt.year == y0].set_index("geography")["value"]
        g1 = a[a["period"].dt.year == y1].set_index("geography")["value"]
        growth = _cagr(g0, g1.reindex(g0.index), y1 - y0).dropna()
        growth = growth[growth.index.isin(strength.index)]
        out["outcomes"]["gva_growth"] = {
            "label": f"GVA growth {y0}-{y1} (current prices)",
            "unit": "pp a year per percentage point of employment in strong clusters",
            "source": "ONS regional GVA (balanced) by ITL2",
            **_effect(strength.reindex(growth.index).to_numpy(float), growth.to_numpy(float), rng),
        }
    out["midlands"] = {
        a: {"name": panel.names.get(a, a), "strength": round(float(strength[a]), 2)} for a in panel.midlands
    }
    out["gb_median_strength"] = round(float(strength.median()), 2)
    for v in out["outcomes"].values():
        if v.get("available"):
            lo, hi = v["slope_90"]
            v["reading"] = (
                "no clear association (the 90% interval of the slope includes zero)"
                if lo <= 0 <= hi
                else ("positive" if lo > 0 else "negative") + " association (90% interval excludes zero)"
            )
    return out
