"""Innovation and R&D metrics that separate clusters, from BRES 5-digit industry evidence.

Why not regional R&D spending: BERD and public R&D are published by region, not industry, so weighted by
where each cluster works they only restate the East/West split and cancel out in an area score (every cluster
scored 50). The employment structure of the cluster's own SIC basket is industry-level: the share of its jobs
in industries Eurostat classes as R&D-intensive says how much of the cluster does R&D-heavy work. The second
metric, scientific R&D services (SIC 72) near the cluster, is place-level by design and labelled so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.catalogue import MetricSpec
from forecasting.scorecards.context import MetricContext
from forecasting.scorecards.registry import metric
from forecasting.scorecards.result import MetricResult


def _in_codes(ctx: MetricContext, table: str, codes: pd.Series, prefixes: list[str]) -> np.ndarray:
    """Rows whose SIC code starts with one of ``prefixes`` (cached: replicates keep the same rows)."""
    key = f"sic-mask:{table}:{ctx.base.year}:{','.join(prefixes)}"
    return ctx.inp.cached(key, lambda: codes.astype(str).str.startswith(tuple(prefixes)).to_numpy())


def _codes_label(prefixes: list[str]) -> str:
    return "SIC " + ", ".join(p if len(p) <= 2 else f"{p[:2]}.{p[2:]}" for p in prefixes)


@metric("rd_intensive_share")
def rd_intensive_share(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """% of cluster employment in Eurostat R&D-intensive classes (Midlands; comparator Great Britain)."""
    b = ctx.base
    prefixes = [str(p) for p in spec.param("codes")]
    cc = b.cluster_code_emp
    rd = cc[_in_codes(ctx, "cluster", cc["code"], prefixes)]

    def share(areas: list[str] | None) -> pd.Series:
        sel_rd = rd if areas is None else rd[rd["geography"].isin(areas)]
        sel = cc if areas is None else cc[cc["geography"].isin(areas)]
        num = sel_rd.groupby("cid")["value"].sum().reindex(ctx.clusters).fillna(0.0)
        den = sel.groupby("cid")["value"].sum().reindex(ctx.clusters)
        return num / den.where(den > 0) * 100.0

    return MetricResult(
        spec.id,
        share(b.midlands),
        share(None),
        str(b.year),
        b.prov.sources,
        b.prov.vintage,
        pd.Series(b.prov.synthetic, index=ctx.clusters),
        details={"year": b.year, "codes": _codes_label(prefixes), "n_codes": len(prefixes)},
    )


@metric("rd_services_proximity")
def rd_services_proximity(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """SIC 72 jobs per 1,000 in the Midlands ITL2 areas, weighted by the cluster's employment there."""
    b = ctx.base
    prefixes = [str(p) for p in spec.param("codes")]
    ce = b.code_emp
    rd = ce[_in_codes(ctx, "all", ce["code"], prefixes)].groupby("geography")["value"].sum()
    total = b.total_emp
    per_1000 = (rd.reindex(total.index).fillna(0.0) / total.where(total > 0) * 1000.0).dropna()
    weights = b.cluster_emp.reindex(b.midlands)
    values = agg.weighted_mean(per_1000, weights)
    bench = float(rd.sum() / total.sum() * 1000.0)
    return MetricResult(
        spec.id,
        values,
        pd.Series(bench, index=ctx.clusters),
        str(b.year),
        b.prov.sources,
        b.prov.vintage,
        pd.Series(b.prov.synthetic, index=ctx.clusters),
        details={"year": b.year, "n_areas": len(b.midlands), "codes": _codes_label(prefixes)},
    )
