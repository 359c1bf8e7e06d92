"""Discovery: candidate clusters the declared list misses, from the industry structure of GB areas.

Two routes, both over BRES ITL2 x SIC employment:

* specialised groups: SIC groups (3-digit) that are specialised (location quotient) and sizeable in the
  Midlands or one of its ITL2 areas, and mostly outside the declared baskets;
* co-locating groups: SIC groups whose location quotients rise and fall together across the 40 GB ITL2
  areas (Pearson correlation of log LQ, the co-location measure of Delgado, Porter and Stern's cluster
  mapping), joined by hierarchical clustering (average linkage, cut at ``colocation_cut`` on 1 - r);
  a joined group is a candidate when it is specialised and sizeable in the Midlands.

Each candidate carries its specialisation (LQ with a range from BRES rounding), size (jobs, enterprises)
and the share of its Midlands jobs already in each declared cluster's basket.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from forecasting.clusters.panel import Panel
from forecasting.clusters.validate import load_criteria, rounding_redraws
from forecasting.reference.clusters import Cluster


def _group_name(members: list[str], names: dict[str, str], show: int = 3) -> str:
    """'A + B + C and N more' from the SIC group names (the full list is in ``sic``)."""
    parts = [names.get(m, f"SIC {m}") for m in members[:show]]
    more = len(members) - show
    return " + ".join(parts) + (f" and {more} more groups" if more > 0 else "")


def _group_matrix(panel: Panel, level: int) -> tuple[pd.DataFrame, pd.Series]:
    """Area x SIC group employment (reference year) and each code's group."""
    m = panel.emp5[panel.year]
    group = pd.Series([c[:level] for c in m.columns], index=m.columns)
    return m.T.groupby(group).sum().T, group


def _overlap(panel: Panel, codes: list[str], clusters: list[Cluster]) -> dict[str, float]:
    """Share of the candidate's Midlands jobs that each declared cluster's basket already holds."""
    mid = panel.emp5[panel.year].loc[panel.midlands, codes].sum(0)
    total = float(mid.sum())
    out = {}
    if total <= 0:
        return out
    for c in clusters:
        held = float(sum(mid[code] * c.share(code) for code in codes))
        if held / total >= 0.005:
            out[c.id] = round(held / total, 3)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _evidence(
    panel: Panel, codes: list[str], reps: np.ndarray, conf: float, clusters: list[Cluster]
) -> dict[str, Any]:
    """Specialisation (with rounding range), size and overlap of a set of SIC codes."""
    m = panel.emp5[panel.year]
    tot = panel.total[panel.year]
    mid = panel.midlands
    w = np.isin(m.columns, codes).astype(float)
    emp = pd.Series(m.to_numpy(float) @ w, index=m.index)
    lq_area = (emp / tot) / (emp.sum() / tot.sum())
    lq = float((emp[mid].sum() / tot[mid].sum()) / (emp.sum() / tot.sum()))
    d = reps @ w  # (D, A)
    is_mid = np.isin(m.index, mid)
    t = tot.to_numpy(float)
    lq_d = (d[:, is_mid].sum(1) / t[is_mid].sum()) / (d.sum(1) / t.sum())
    best = lq_area[mid].idxmax()
    biz = panel.businesses_gb
    businesses = None
    if len(biz):
        gb_code = m[codes].sum(0)
        share = (m.loc[mid, codes].sum(0) / gb_code).where(gb_code > 0, 0.0)
        businesses = round(float((biz.reindex(codes, fill_value=0.0) * share).sum()))
    overlap = _overlap(panel, codes, clusters)
    return {
        "midlands_lq": round(lq, 3),
        "lq_low": round(float(np.quantile(lq_d, 1 - conf)), 3),
        "lq_high": round(float(np.quantile(lq_d, conf)), 3),
        "jobs": round(float(emp[mid].sum())),
        "gb_jobs": round(float(emp.sum())),
        "businesses": businesses,
        "best_area": {
            "area": best,
            "name": panel.names.get(best, best),
            "lq": round(float(lq_area[best]), 3),
            "jobs": round(float(emp[best])),
        },
        "overlap": overlap,
        "declared_share": round(sum(overlap.values()), 3),
    }


def colocation(
    panel: Panel, level: int, min_gb_jobs: float, exclude: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """Correlation across GB areas of the log location quotients of every sizeable SIC group."""
    g, _ = _group_matrix(panel, level)
    tot = panel.total[panel.year]
    g = g.drop(columns=[c for c in exclude if c in g.columns])
    g = g.loc[:, g.sum(0) >= min_gb_jobs]
    lq = g.div(tot, axis=0) / (g.sum(0) / tot.sum())
    x = np.log(np.maximum(lq.to_numpy(float), 0.05))
    keep = x.std(0) > 0
    cols = list(g.columns[keep])
    r = np.corrcoef(x[:, keep].T)
    return pd.DataFrame(r, index=cols, columns=cols), cols


def discover(
    panel: Panel, clusters: list[Cluster], names: dict[str, str] | None = None, criteria: dict | None = None
) -> dict[str, Any]:
    """Candidate clusters (specialised groups and co-locating groups) with their evidence."""
    crit = criteria or load_criteria()
    dc = crit["discovery"]
    conf = float(crit["uncertainty"]["confidence"])
    level = int(dc["group_level"])
    names = names or {}
    rng = np.random.default_rng(int(crit["uncertainty"]["seed"]) + 1)
    reps = rounding_redraws(panel.emp5[panel.year].to_numpy(float), int(crit["uncertainty"]["draws"]), rng)
    g, group_of = _group_matrix(panel, level)
    g = g.drop(columns=[c for c in dc.get("exclude_groups", []) if c in g.columns])
    codes_of = {k: list(v.index) for k, v in group_of.groupby(group_of)}

    def qualifies(ev: dict[str, Any]) -> bool:
        spec = ev["midlands_lq"] >= dc["min_lq"] or (
            ev["best_area"]["lq"] >= dc["min_lq"] and ev["best_area"]["jobs"] >= dc["min_area_jobs"]
        )
        return bool(
            spec
            and ev["jobs"] >= dc["min_midlands_jobs"]
            and ev["declared_share"] <= dc["max_declared_overlap"]
        )

    found: list[dict[str, Any]] = []
    screened = 0
    for grp in g.columns[g.sum(0) >= dc["min_gb_jobs"]]:
        screened += 1
        ev = _evidence(panel, codes_of[grp], reps, conf, clusters)
        if qualifies(ev):
            found.append(
                {
                    "id": f"sic-{grp}",
                    "name": names.get(grp, f"SIC {grp}"),
                    "kind": "specialised group",
                    "sic": [grp],
                    **ev,
                }
            )
    r, cols = colocation(panel, level, dc["min_gb_jobs"], tuple(dc.get("exclude_groups", [])))
    dist = np.clip(1 - r.to_numpy(float), 0, 2)
    np.fill_diagonal(dist, 0)
    tree = linkage(squareform(dist, checks=False), method="average")
    labels = fcluster(tree, t=float(dc["colocation_cut"]), criterion="distance")
    groups = 0
    for lab in np.unique(labels):
        members = [c for c, lab2 in zip(cols, labels, strict=True) if lab2 == lab]
        if len(members) < 2:
            continue
        groups += 1
        codes = [code for grp in members for code in codes_of[grp]]
        ev = _evidence(panel, codes, reps, conf, clusters)
        if not qualifies(ev):
            continue
        sub = r.loc[members, members].to_numpy(float)
        mean_r = float(sub[np.triu_indices(len(members), 1)].mean())
        found.append(
            {
                "id": "coloc-" + "-".join(members),
                "name": _group_name(members, names),
                "kind": "co-locating groups",
                "sic": members,
                "colocation_mean_r": round(mean_r, 3),
                **ev,
            }
        )
    found.sort(key=lambda c: (-c["lq_low"], -c["jobs"]))
    # Both routes are shown: the best co-locating groups take up to half the places.
    cap = int(dc["max_candidates"])
    coloc = [c for c in found if c["kind"] == "co-locating groups"][: cap // 2]
    single = [c for c in found if c["kind"] != "co-locating groups"][: cap - len(coloc)]
    chosen = sorted(coloc + single, key=lambda c: (-c["lq_low"], -c["jobs"]))
    return {
        "criteria": dc,
        "year": panel.year,
        "screened_groups": screened,
        "colocation_groups": groups,
        "candidates": chosen,
        "more": len(found) - len(chosen),
        "provenance": panel.provenance(),
        "method": (
            f"SIC {level}-digit groups with at least {dc['min_gb_jobs']:,} GB jobs are screened: a candidate has a "
            f"Midlands LQ of at least {dc['min_lq']} (or an ITL2 area with that LQ and {dc['min_area_jobs']:,} jobs), "
            f"{dc['min_midlands_jobs']:,}+ Midlands jobs and at most {dc['max_declared_overlap']:.0%} of them in "
            "declared baskets. Co-location: Pearson correlation of log LQ across the GB ITL2 areas, average-linkage "
            f"hierarchical clustering cut at 1 - r = {dc['colocation_cut']}. LQ ranges re-draw BRES rounding."
        ),
    }
