"""``log`` links: elasticities of the remaining targets on upstream drivers, shrunk (empirical Bayes) and
one chosen per target.

OLS on annual log-differences (``statistics.elasticity_ols``), each area's elasticity shrunk toward its
cluster's mean and cluster means toward zero (``shrink_hierarchical``); the link used is a driver of the
target's family first, then the one with the most weight on its own data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecasting.statistics import elasticity_ols, shrink_hierarchical
from forecasting.training.drivers import family, may_drive
from forecasting.training.links.histories import Histories, convert, log_units
from forecasting.training.links.record import Link
from forecasting.units import RateTable
from forecasting.vocabulary import parse_series_id

# The prior spread of an elasticity when fewer than three like links say how much they differ: most
# elasticities of activity to activity lie within +-1, so a prior sd of 0.5 around zero.
ELASTICITY_PRIOR_SD = 0.5


@dataclass
class Candidate:
    """A target's log link on one driver, with the histories pooling reads (the cluster's total)."""

    link: Link
    same_family: bool
    y: pd.Series
    x: pd.Series


def log_candidates(
    target: str, allowed: Sequence[str], hist: Histories, rates: RateTable | None, min_obs: int
) -> tuple[list[Candidate], list[Link]]:
    y = hist.get(target)
    if y is None:
        return [], []
    tm = parse_series_id(target)
    fam = family(tm.measure)
    cands: list[Candidate] = []
    refused: list[Link] = []
    for d in allowed:
        dm = parse_series_id(d).measure
        ok, why = may_drive(dm, tm.measure)
        if not ok:
            refused.append(Link(target, d, "log", 0.0, 0.0, "refused", 0, f"refused: {why}"))
            continue
        u = log_units(target, d, rates)
        if not u.ok:
            refused.append(Link(target, d, "log", 0.0, 0.0, "refused", 0, u.text, conversion=u.text))
            continue
        x = hist.get(d)
        if x is None:
            continue
        xc = convert(x, u, rates)
        got = elasticity_ols(y, xc, min_obs)
        if got is None:
            continue
        b, se, model, n, note = got
        same = fam is not None and family(dm) == fam
        link = Link(
            target,
            d,
            "log",
            b,
            se,
            model,
            n,
            note + (" [driver family]" if same else ""),
            conversion=u.text,
            dof=max(n - 2, 1),
        )
        cands.append(Candidate(link, same, y, xc))
    return cands, refused


def pool_log(cands: list[Candidate]) -> list[Candidate]:
    """Every elasticity shrunk toward its cluster's mean, cluster means toward zero (empirical Bayes).

    Like links are one driver's elasticities of one measure: areas within a cluster share a cluster mean
    (its se never below that of the regression on the cluster's total: the areas share their years), and
    cluster means are shrunk toward zero across clusters. A link on a handful of noisy points keeps a
    weight near zero on its own data; nothing is dropped or kept by a significance test."""
    by_like: dict[tuple[str, str], list[Candidate]] = {}
    for c in cands:
        by_like.setdefault((parse_series_id(c.link.target_id).measure, c.link.driver_id), []).append(c)
    out = {id(c): c for c in cands}
    for (measure, _driver), members in by_like.items():
        b = np.array([c.link.coefficient for c in members])
        # a t with few degrees of freedom has variance dof / (dof - 2) times its se^2: on 5 log-differences
        # (n = 6 years) that is 3, so a handful of points weighs what it is worth in the normal model
        dof = np.array([max(c.link.n_obs - 2, 3) for c in members], dtype=float)
        se = np.array([c.link.se for c in members]) * np.sqrt(dof / (dof - 2))
        clusters = [parse_series_id(c.link.target_id).cluster for c in members]
        floors: dict[object, float] = {}
        for cl in set(clusters):
            grp = [c for c, k in zip(members, clusters, strict=True) if k == cl]
            if len(grp) < 2:
                continue
            total = pd.concat([c.y for c in grp], axis=1, join="inner").sum(axis=1)
            agg = elasticity_ols(total, grp[0].x, 3) if len(total) else None
            if agg is not None:
                floors[cl] = agg[1] * math.sqrt(max(agg[3] - 2, 3) / max(agg[3] - 4, 1))
        inner, top = shrink_hierarchical(b, se, clusters, group_se_floor=floors, tau_few=ELASTICITY_PRIOR_SD)
        for i, c in enumerate(members):
            g = top[clusters[i]]
            pooled = (
                f"shrunk toward its cluster's mean elasticity {float(inner.prior[i]):.3f} (se "
                f"{float(inner.prior_se[i]):.3f}; {g.k} areas of {measure}/{clusters[i]}, the cluster means "
                f"shrunk toward zero across {len(top)} clusters, tau {g.tau:.3f}); within-cluster tau "
                f"{inner.tau:.3f}; weight on its own estimate {float(inner.weight[i]):.2f}"
            )
            note = c.link.note + (
                f"; own estimate {c.link.coefficient:.3f} (se {c.link.se:.3f}, n {c.link.n_obs})"
                + (
                    "; too little evidence of its own: it moves with its cluster's (shrunk) mean"
                    if inner.weight[i] < 0.2
                    else ""
                )
            )
            out[id(c)] = replace(
                c,
                link=replace(
                    c.link,
                    coefficient=float(inner.estimate[i]),
                    se=float(inner.se[i]),
                    pooled=pooled,
                    note=note,
                    model=c.link.model + "_shrunk",
                    own=(c.link.coefficient, c.link.se),
                    weight=float(inner.weight[i]),
                    dof=None,
                ),
            )
    return [out[id(c)] for c in cands]


def choose_used(cands: list[Candidate], allowed: Sequence[str]) -> list[Link]:
    """Mark the link projections use: a driver of the target's family first, then the one whose own
    data carry the most weight (evidence, not significance or sign), then the upstream order."""
    if not cands:
        return []
    pool = [c for c in cands if c.same_family] or cands
    best = max(pool, key=lambda c: (round(c.link.weight, 6), -allowed.index(c.link.driver_id)))
    why = "in the driver family" if pool is not cands else "no family driver"
    why = f"the most evidence of its own (weight {best.link.weight:.2f}), {why}"
    return [
        replace(c.link, used=c is best, note=c.link.note + (f"; used: {why}" if c is best else ""))
        for c in cands
    ]
