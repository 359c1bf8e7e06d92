"""Scenario sensitivity of each cluster's forecast FDI growth (``forecasting.scenarios`` projections).

Why "downside": a board asks how exposed a cluster's investment outlook is; the metric is how many
percentage points the cluster's median forecast growth loses in the worst named scenario against the
baseline (0 when no scenario is worse). The same series and apportionment as ``forecast_fdi_growth``.
Everything this module needs from the scenario engine goes through ``scenario_medians`` so that a change in
the projection result's shape is absorbed in one small function.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards.catalogue import MetricSpec
from forecasting.scorecards.context import MetricContext
from forecasting.scorecards.forecast_metrics import growth_from_levels, level_path
from forecasting.scorecards.metrics import fdi_shares
from forecasting.scorecards.registry import metric
from forecasting.scorecards.result import MetricResult, unavailable

log = logging.getLogger(__name__)


def scenario_medians(engine: Any, scenario: str, at: dict[str, str]) -> dict[str, float | None]:
    """Median of each series ``sid`` at period ``at[sid]`` under the named scenario (None when absent).

    The one place that projects (``engine``: the bundle's ``ScenarioEngine``) and reads the result: per
    series a projection with ``periods``, ``quantiles`` and ``scenario_q`` (or ``scenario_mean``).
    """
    from forecasting.scenarios.definitions import load_scenario

    res = engine.project(load_scenario(scenario), list(at))
    out: dict[str, float | None] = {}
    for sid, period in at.items():
        try:
            proj = res.get(sid)
        except KeyError:
            out[sid] = None
            continue
        periods = [str(p) for p in proj.periods]
        if period not in periods:
            out[sid] = None
            continue
        i = periods.index(period)
        j = np.flatnonzero(np.round(np.asarray(proj.quantiles, float), 6) == 0.5)
        out[sid] = float(proj.scenario_q[j[0], i]) if len(j) else float(proj.scenario_mean[i])
    return out


@metric("scenario_downside")
def scenario_downside(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    clusters, info = ctx.clusters, ctx.info
    if info is None:
        return unavailable(spec.id, clusters, "no champion forecast bundle: scenarios not projected")
    fdi = ctx.result("forecast_fdi_growth")
    used: dict[str, str] = fdi.extra.get("series", {}) if fdi.available else {}
    regional = [spec.series_id("regional", region=r) for r in MIDLANDS_ITL1]
    own = sorted({s for s in used.values() if s not in regional and info.has(s)})
    wanted = [s for s in regional + own if level_path(info, s) is not None]
    if not wanted:
        return unavailable(spec.id, clusters, "the bundle forecasts no FDI series to project")
    paths = {s: level_path(info, s) for s in wanted}
    shares = fdi_shares(ctx)[0]
    growth: dict[str, dict[str, float]] = {}
    failed: list[str] = []
    for name in spec.param("scenarios"):
        try:
            med = scenario_medians(info.scenario_engine, name, {s: paths[s].horizon_label for s in wanted})
        except Exception as exc:  # a scenario that cannot be projected is reported, not fatal
            failed.append(f"{name}: {exc}")
            continue
        per_cluster: dict[str, float] = {}
        for c in clusters:
            sid = used.get(c, "")
            if sid in med and med[sid] is not None:
                per_cluster[c] = float(
                    growth_from_levels(paths[sid].base, np.array([med[sid]]), paths[sid].years)[0]
                )
            elif all(med.get(s) is not None for s in regional):
                w = shares[c].reindex(list(MIDLANDS_ITL1)).fillna(0.0).to_numpy()
                base = sum(float(x) * paths[r].base for x, r in zip(w, regional, strict=True))
                lv = sum(float(x) * float(med[r]) for x, r in zip(w, regional, strict=True))
                per_cluster[c] = float(growth_from_levels(base, np.array([lv]), paths[regional[0]].years)[0])
        growth[name] = per_cluster
    if "baseline" not in growth or len(growth) < 2:
        why = "; ".join(failed) or "no scenario results"
        return unavailable(spec.id, clusters, f"scenario projections failed: {why}")
    table = pd.DataFrame(growth).reindex(clusters)
    worst = table.drop(columns="baseline").min(axis=1)
    downside = (table["baseline"] - worst).clip(lower=0.0)
    horizon = paths[wanted[0]].horizon_label
    r = MetricResult(
        spec.id,
        downside,
        pd.Series(np.nan, index=clusters),
        f"to {horizon}",
        ["forecast bundle", "forecasting.scenarios"],
        info.data_vintage,
        pd.Series(
            [any(paths[s].is_synthetic for s in wanted if s == used.get(c)) for c in clusters], index=clusters
        ),
        details={
            "horizon": horizon,
            "scenarios": ", ".join(growth),
            "model": info.label,
            "failed": ("Not projected: " + "; ".join(failed)) if failed else "",
        },
    )
    r.extra["scenarios"] = {
        c: {k: (None if pd.isna(v) else float(v)) for k, v in table.loc[c].items()} for c in clusters
    }
    return r
