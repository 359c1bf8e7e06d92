"""Partner-list metrics (licensed exports: company list, equity deals, FDI projects) per cluster.

Why the synthetic flag travels per cluster: without ``INVEST_PARTNER_DIR`` the warehouse holds generated demo
files in the partner layouts, ingested with ``is_synthetic``. Those values are shown only in the licensed data
preview and never scored; licensed exports (ingested without the synthetic mark) score like public data and
are labelled "partner data". When both are held, licensed rows win.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.catalogue import MetricSpec
from forecasting.scorecards.context import MetricContext
from forecasting.scorecards.registry import metric
from forecasting.scorecards.result import MetricResult, provenance, unavailable


def partner_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Licensed rows when any are held, else whatever (synthetic) rows there are."""
    if df.empty or "is_synthetic" not in df:
        return df
    real = df[~df["is_synthetic"].astype(bool)]
    return real if not real.empty else df


def _partner(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """Midlands sum over the last ``years`` of the list, or % change against the years before ('growth')."""
    clusters = ctx.clusters
    role = next(iter(spec.series))
    measure = spec.measure(role)
    df = ctx.inp.get(measure)
    df = partner_rows(df[df["geography"].isin(ctx.inp.midlands_lads) & df["cluster"].isin(clusters)])
    if df.empty or not ctx.has_year(spec.family):
        return unavailable(
            spec.id,
            clusters,
            f"partner data absent: no {measure} rows (set INVEST_PARTNER_DIR to a licensed export)",
        )
    years = int(spec.param("years"))
    last = ctx.year(spec.family)
    yr = df["period"].dt.year
    recent = df[(yr > last - years) & (yr <= last)].groupby("cluster")["value"].sum()
    recent = recent.reindex(clusters).fillna(0.0)
    label = f"{last - years + 1}-{last}" if years > 1 else str(last)
    if spec.param("how") == "growth":
        before = df[(yr > last - 2 * years) & (yr <= last - years)].groupby("cluster")["value"].sum()
        values = agg.pct_change(before.reindex(clusters).fillna(0.0), recent)
        label = f"{last - years + 1}-{last} vs {last - 2 * years + 1}-{last - years}"
    else:
        values = recent * float(spec.params.get("scale", 1.0))
    prov = provenance(df)
    return MetricResult(
        spec.id,
        values,
        pd.Series(np.nan, index=clusters),
        label,
        prov.sources,
        prov.vintage,
        pd.Series(prov.synthetic, index=clusters),
        details={"n_lads": int(df["geography"].nunique()), "label": label, "year": last},
    )


for _id in ("partner_companies", "equity_raised", "fdi_projects_3y", "domestic_investment_trend"):
    metric(_id)(_partner)
