"""Input replicates for the Monte Carlo, and the check that rank intervals cover re-drawn inputs.

Why recompute metrics from re-drawn inputs (rather than add noise to metric values): one rounded BRES cell
moves employment, the location quotient, the Midlands share, the R&D-intensive share and the apportionment
keys of FDI and GVA together; recomputing every affected metric through its registered function keeps those
correlations and needs no per-metric error formula. Only metrics that read a perturbed measure are
recomputed; forecast metrics draw from the bundle's quantiles instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.composite import composite, ranks
from forecasting.scorecards.context import MetricContext
from forecasting.scorecards.input_error import InputErrorModel
from forecasting.scorecards.normalise import normalise, orient

NOT_RECOMPUTED = ("forecast", "scenario")


def affected_metrics(ctx: MetricContext, model: InputErrorModel, scored: list[str]) -> list[str]:
    """Scored metrics that read a perturbed measure (forecast and scenario metrics draw quantiles instead)."""
    reading = set(ctx.catalogue.metrics_reading(set(model.measures(ctx.inp))))
    return [m for m in scored if m in reading and ctx.catalogue.get(m).aggregation not in NOT_RECOMPUTED]


def input_replicates(
    ctx: MetricContext, model: InputErrorModel, scored: list[str], values: np.ndarray, n: int, seed: int
) -> np.ndarray:
    """(n, C, M): the nominal values first, then n - 1 replicates from re-drawn inputs."""
    rng = np.random.default_rng([seed, 1])
    reps = [np.asarray(values, float)]
    affected = affected_metrics(ctx, model, scored)
    for _ in range(max(n, 1) - 1):
        rep = ctx.replicate(ctx.inp.with_values(model.draw(ctx.inp, rng)))
        out = np.array(values, float, copy=True)
        for j, m in enumerate(scored):
            if m in affected:
                out[:, j] = rep.result(m).values.to_numpy(float)
        reps.append(out)
    return np.stack(reps)


def redrawn_headline_ranks(sset: Any, n: int, seed: int) -> np.ndarray:
    """(n, C) headline ranks (nominal weights, headline normalisation) under independently re-drawn inputs.

    ``sset`` is a built ``ScorecardSet`` (not imported: the build imports this module). Every draw re-draws
    the published inputs (rounding, revisions) with a seed the Monte Carlo never used,
    recomputes the affected metrics, and draws each forecast metric once from its quantile curve.
    """
    reps = input_replicates(
        sset.context, sset.error_model, sset.scored, sset.values.to_numpy(float), n + 1, seed
    )[1:]
    rng = np.random.default_rng([seed, 2])
    out = np.empty((n, len(sset.cluster_ids)), int)
    signs = np.array([sset.catalogue.get(m).sign for m in sset.scored])
    for k in range(n):
        v = mc.sample_forecasts(reps[k], sset.forecast_draws, 1, rng)[0]
        norm = normalise(orient(v, signs), sset.normalisation, axis=0)
        _, s = composite(norm, sset.metric_weights, sset.membership, sset.area_weights)
        out[k] = ranks(s)
    return out


def interval_coverage(sset: Any, n: int = 100, seed: int = 7_654_321) -> dict[str, object]:
    """Share of re-drawn headline ranks inside each cluster's published 5-95% rank interval."""
    r = redrawn_headline_ranks(sset, n, seed)
    lo, hi = sset.mc.rank_p05[None, :], sset.mc.rank_p95[None, :]
    inside = (r >= lo) & (r <= hi)
    return {
        "draws": n,
        "seed": seed,
        "pooled": float(inside.mean()),
        "per_cluster": {c: float(x) for c, x in zip(sset.cluster_ids, inside.mean(axis=0), strict=True)},
        "min_cluster": float(inside.mean(axis=0).min()),
    }
