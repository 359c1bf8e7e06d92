"""Scenario sensitivity of each cluster's forecast FDI growth (``forecasting.scenarios`` projections).

Why "downside": a board asks how exposed a cluster's investment outlook is; the metric is how many
percentage points the cluster's median forecast growth loses in the worst named scenario against the
baseline (0 when no scenario is worse). The same series and apportionment as ``forecast_fdi_growth``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards.forecast_metrics import BundleInfo, growth_from_levels, level_path
from forecasting.scorecards.metrics import MetricResult, unavailable

log = logging.getLogger(__name__)
NAMED = ("baseline", "global-downturn", "uk-investment-boom", "midlands-major-project")


def _median_at(result: Any, sid: str, period: str) -> float | None:
    """Scenario median of ``sid`` at ``period`` from a ``ScenarioResult`` (None when not projected)."""
    try:
        proj = result.get(sid)
    except KeyError:
        return None
    periods = [str(p) for p in proj.periods]
    if period not in periods:
        return None
    i = periods.index(period)
    j = np.flatnonzero(np.round(np.asarray(proj.quantiles, float), 6) == 0.5)
    return float(proj.scenario_q[j[0], i]) if len(j) else float(proj.scenario_mean[i])


def scenario_metric(
    info: BundleInfo | None, clusters: list[str], fdi: MetricResult, shares: pd.DataFrame | None
) -> MetricResult:
    if info is None:
        return unavailable(
            "scenario_downside", clusters, "no champion forecast bundle: scenarios not projected"
        )
    try:
        from forecasting.scenarios.definitions import load_scenario
        from forecasting.scenarios.project import project
    except ImportError as exc:
        return unavailable("scenario_downside", clusters, f"scenario projections not available ({exc})")
    used: dict[str, str] = fdi.extra.get("series", {}) if fdi.available else {}
    regional = [f"fdi_inward_position.{r}.all.A" for r in MIDLANDS_ITL1]
    own = sorted({s for s in used.values() if s.startswith("fdi_projects.MID.")})
    wanted = [s for s in regional + own if level_path(info, s) is not None]
    if not wanted:
        return unavailable("scenario_downside", clusters, "the bundle forecasts no FDI series to project")
    paths = {s: level_path(info, s) for s in wanted}
    growth: dict[str, dict[str, float]] = {}
    failed: list[str] = []
    for name in NAMED:
        try:
            res = project(info.contents, load_scenario(name), wanted)
        except Exception as exc:  # a scenario that cannot be projected is reported, not fatal
            failed.append(f"{name}: {exc}")
            continue
        med = {s: _median_at(res, s, paths[s].horizon_label) for s in wanted}
        per_cluster: dict[str, float] = {}
        for c in clusters:
            sid = used.get(c, "")
            if sid in med and med[sid] is not None:
                per_cluster[c] = float(
                    growth_from_levels(paths[sid].base, np.array([med[sid]]), paths[sid].years)[0]
                )
            elif shares is not None and all(med.get(s) is not None for s in regional):
                s = shares[c].reindex(list(MIDLANDS_ITL1)).fillna(0.0).to_numpy()
                base = sum(float(w) * paths[r].base for w, r in zip(s, regional, strict=True))
                lv = sum(float(w) * float(med[r]) for w, r in zip(s, regional, strict=True))
                per_cluster[c] = float(growth_from_levels(base, np.array([lv]), paths[regional[0]].years)[0])
        growth[name] = per_cluster
    if "baseline" not in growth or len(growth) < 2:
        why = "; ".join(failed) or "no scenario results"
        return unavailable("scenario_downside", clusters, f"scenario projections failed: {why}")
    table = pd.DataFrame(growth).reindex(clusters)
    worst = table.drop(columns="baseline").min(axis=1)
    downside = (table["baseline"] - worst).clip(lower=0.0)
    note = (
        f"Median forecast FDI growth to {paths[wanted[0]].horizon_label} under each named scenario "
        f"({', '.join(growth)}), model {info.label}; downside = baseline minus the worst scenario."
    )
    if failed:
        note += " Not projected: " + "; ".join(failed)
    r = MetricResult(
        "scenario_downside",
        downside,
        pd.Series(np.nan, index=clusters),
        f"to {paths[wanted[0]].horizon_label}",
        ["forecast bundle", "forecasting.scenarios"],
        info.data_vintage,
        fdi.is_synthetic,
        note=note,
    )
    r.extra["scenarios"] = {
        c: {k: (None if pd.isna(v) else float(v)) for k, v in table.loc[c].items()} for c in clusters
    }
    return r
