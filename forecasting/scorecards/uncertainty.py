"""Input replicates for the Monte Carlo, and the check that rank intervals cover re-drawn inputs.

Why recompute metrics from re-drawn inputs (rather than add noise to metric values): one rounded BRES cell
moves employment, the location quotient, the Midlands share, the R&D-intensive share and the apportionment
keys of FDI and GVA together; recomputing every affected metric through its registered function keeps those
correlations and needs no per-metric error formula. Only metrics that read a perturbed measure are
recomputed; forecast metrics draw from the bundle's quantiles instead.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from forecasting.scorecards import basket as basket_mod
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
    ctx: MetricContext,
    model: InputErrorModel,
    scored: list[str],
    values: np.ndarray,
    n: int,
    seed: int,
    *,
    basket: bool = False,
    as_defined: list[np.ndarray] | None = None,
) -> np.ndarray:
    """(n, C, M): the nominal values first, then n - 1 replicates from re-drawn inputs.

    ``basket``: each replicate also draws a basket variant per cluster (``forecasting.scorecards.basket``).
    ``as_defined``, when given a list, receives per replicate a (C,) bool: which clusters kept their basket
    as defined (so measurement noise can be sized on those alone).
    """
    rng = np.random.default_rng([seed, 1])
    brng = np.random.default_rng([seed, 3])
    reps = [np.asarray(values, float)]
    ids = ctx.inp.cluster_ids
    if as_defined is not None:
        as_defined.append(np.ones(len(ids), bool))
    affected = affected_metrics(ctx, model, scored)
    for _ in range(max(n, 1) - 1):
        inp = ctx.inp.with_values(model.draw(ctx.inp, rng))
        variant = basket_mod.draw(ctx.inp, brng) if basket else {}
        if variant:
            inp = inp.with_basket(variant)
        if as_defined is not None:
            as_defined.append(np.array([c not in variant for c in ids]))
        rep = ctx.replicate(inp)
        out = np.array(values, float, copy=True)
        for j, m in enumerate(scored):
            if m in affected:
                out[:, j] = rep.result(m).values.to_numpy(float)
        reps.append(out)
    return np.stack(reps)


def measurement_noise(reps: np.ndarray, as_defined: np.ndarray) -> np.ndarray:
    """(M,) one standard deviation of each metric from input-data error alone: per cluster the sd over the
    replicates that kept its basket as defined, then the median over clusters (0 when nothing is drawn)."""
    r = np.where(as_defined[:, :, None], reps, np.nan)  # (R, C, M)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(r, axis=0)  # (C, M)
        out = np.nanmedian(sd, axis=0)
    return np.nan_to_num(out, nan=0.0)


CHECK_SEED = 7_654_321  # the interval check's own stream: the Monte Carlo never draws from it


def check_replicates(
    ctx: MetricContext, model: InputErrorModel, scored: list[str], values: np.ndarray, n: int, seed: int
) -> np.ndarray:
    """(n, C, M) independently re-drawn inputs for the interval check (baskets as defined: the check is
    that intervals cover input-data error, which basket variants only widen), for the metrics ``scored``.

    A metric's column does not depend on which other metrics are listed, so these can be drawn for the
    candidate metrics before the build settles which are scored, and the columns picked afterwards.
    """
    return input_replicates(ctx, model, scored, values, n + 1, seed)[1:]


def redrawn_headline_ranks(sset: Any, n: int, seed: int, reps: np.ndarray | None = None) -> np.ndarray:
    """(n, C) headline ranks (nominal weights, headline normalisation) under independently re-drawn inputs.

    ``sset`` is a built ``ScorecardSet`` (not imported: the build imports this module). Every draw re-draws
    the published inputs (rounding, revisions) with a seed the Monte Carlo never used (``check_replicates``;
    ``reps`` when already drawn for ``sset.scored``), recomputes the affected metrics, and draws each
    forecast metric once from its quantile curve.
    """
    if reps is None:
        reps = check_replicates(
            sset.context, sset.error_model, sset.scored, sset.values.to_numpy(float), n, seed
        )
    rng = np.random.default_rng([seed, 2])
    out = np.empty((n, len(sset.cluster_ids)), int)
    signs = np.array([sset.catalogue.get(m).sign for m in sset.scored])
    for k in range(n):
        v = mc.sample_forecasts(reps[k], sset.forecast_draws, 1, rng)[0]
        norm = normalise(orient(v, signs), sset.normalisation, axis=0, noise=sset.noise)
        _, s = composite(norm, sset.metric_weights, sset.membership, sset.area_weights)
        out[k] = ranks(s)
    return out


def interval_coverage(
    sset: Any, n: int = 100, seed: int = CHECK_SEED, reps: np.ndarray | None = None
) -> dict[str, object]:
    """Share of re-drawn headline ranks inside each cluster's published 5-95% rank interval."""
    r = redrawn_headline_ranks(sset, n, seed, reps)
    lo, hi = sset.mc.rank_p05[None, :], sset.mc.rank_p95[None, :]
    inside = (r >= lo) & (r <= hi)
    return {
        "draws": n,
        "seed": seed,
        "pooled": float(inside.mean()),
        "per_cluster": {c: float(x) for c, x in zip(sset.cluster_ids, inside.mean(axis=0), strict=True)},
        "min_cluster": float(inside.mean(axis=0).min()),
    }
