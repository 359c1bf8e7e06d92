"""Monte Carlo over input data, forecast draws, weights and normalisation: a rank interval for every cluster.

Why: a composite ranking looks precise but depends on uncertain inputs (rounded and revised statistics,
forecasts) and on choices (weights, normalisation). Each draw takes (1) one input replicate: the metric
values recomputed from re-drawn published inputs (``input_error.py``; draw d uses replicate d mod R),
(2) every forecast metric from its quantile curve (inverse-CDF, linear between the stored quantiles;
clusters whose forecast comes from the same series share a draw), (3) every metric and area weight uniformly
within +-``weight_spread`` of its nominal value, (4) one normalisation method. All draws are computed at once
as ``(draws, clusters, metrics)`` arrays; the seed fixes everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasting.scorecards.composite import composite, ranks
from forecasting.scorecards.normalise import METHODS, Method, normalise, orient

WEIGHT_SPREAD = 0.5  # each weight drawn uniformly within +-50% of its nominal value


@dataclass(frozen=True)
class ForecastDraws:
    """A forecast metric's quantile curve per cluster and which clusters share a draw."""

    column: int  # metric column in the value matrix
    probs: np.ndarray  # (Q,) increasing quantile levels
    quantiles: np.ndarray  # (C, Q)
    groups: np.ndarray  # (C,) int: equal ids share one uniform draw


@dataclass(frozen=True)
class MonteCarloResult:
    ranks: np.ndarray  # (draws, C) int, 1 = best
    scores: np.ndarray  # (draws, C)
    methods: np.ndarray  # (draws,) index into METHODS
    median_rank: np.ndarray
    rank_p05: np.ndarray
    rank_p95: np.ndarray
    p_top5: np.ndarray
    draws: int
    seed: int


def sample_forecasts(
    values: np.ndarray, fc: list[ForecastDraws], draws: int, rng: np.random.Generator
) -> np.ndarray:
    """(draws, C, M) values with forecast columns replaced by draws from their quantile curves.

    ``values`` is (C, M), or (R, C, M) input replicates of which draw d takes replicate d mod R.
    """
    vals = np.asarray(values, float)
    if vals.ndim == 2:
        out = np.broadcast_to(vals, (draws, *vals.shape)).copy()
    else:
        out = vals[np.arange(draws) % vals.shape[0]].copy()
    for f in fc:
        uniq, inv = np.unique(f.groups, return_inverse=True)
        u = rng.uniform(f.probs[0], f.probs[-1], size=(draws, len(uniq)))
        for c in range(out.shape[1]):
            q = f.quantiles[c]
            if np.isnan(q).any():
                out[:, c, f.column] = np.nan
                continue
            out[:, c, f.column] = np.interp(u[:, inv[c]], f.probs, np.maximum.accumulate(q))
    return out


def run(
    values: np.ndarray,
    signs: np.ndarray,
    membership: np.ndarray,
    metric_w: np.ndarray,
    area_w: np.ndarray,
    forecasts: list[ForecastDraws] | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    weight_spread: float = WEIGHT_SPREAD,
    methods: tuple[Method, ...] = METHODS,
    noise: np.ndarray | None = None,
) -> MonteCarloResult:
    """values (C, M) or (R, C, M) replicates, raw; signs (M,); membership (M, K); nominal weights (M,), (K,);
    ``noise`` (M,) each metric's measurement sd, which no normalisation stretches (``normalise``)."""
    rng = np.random.default_rng(seed)
    v = sample_forecasts(np.asarray(values, float), forecasts or [], draws, rng)
    v = orient(v, signs)
    pick = rng.integers(0, len(methods), size=draws)
    norm = np.empty_like(v)
    for i, m in enumerate(methods):
        sel = pick == i
        if sel.any():
            norm[sel] = normalise(v[sel], m, axis=-2, noise=noise)
    mw = metric_w * rng.uniform(1 - weight_spread, 1 + weight_spread, size=(draws, len(metric_w)))
    aw = area_w * rng.uniform(1 - weight_spread, 1 + weight_spread, size=(draws, len(area_w)))
    _, score = composite(norm, mw, membership, aw)
    r = ranks(score)
    return MonteCarloResult(
        ranks=r,
        scores=score,
        methods=pick,
        median_rank=np.quantile(r, 0.5, axis=0, method="inverted_cdf"),
        rank_p05=np.quantile(r, 0.05, axis=0, method="inverted_cdf"),
        rank_p95=np.quantile(r, 0.95, axis=0, method="inverted_cdf"),
        p_top5=(r <= 5).mean(axis=0),
        draws=draws,
        seed=seed,
    )


def tiers(median_rank: np.ndarray, p05: np.ndarray, p95: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Tiers that are genuinely separated, and each cluster's overlapping peers.

    Clusters are ordered by median rank; a tier boundary falls between two positions only when every
    cluster above it has a 95th-percentile rank better than every cluster below it has a 5th-percentile
    rank, so no two clusters in different tiers have overlapping 5-95% intervals. Returns the tier
    number (1 = top) per cluster and, per cluster, the indices of the others whose intervals overlap its own.
    """
    order = np.lexsort((p05, median_rank))
    n = len(order)
    tier = np.zeros(n, int)
    current = 1
    for k in range(n):
        if k > 0 and p95[order[:k]].max() < p05[order[k:]].min():
            current += 1
        tier[order[k]] = current
    overlap = [[j for j in range(n) if j != i and p05[j] <= p95[i] and p05[i] <= p95[j]] for i in range(n)]
    return tier, overlap


BANDS = {1: "top half", 2: "could be either half", 3: "bottom half"}


def bands(p05: np.ndarray, p95: np.ndarray) -> np.ndarray:
    """1 when the whole 5-95% interval is in the top half of the ranking, 3 when in the bottom half, else 2.

    A statement about each cluster against the middle rank, not a pairwise separation claim: clusters in
    the same band, or with overlapping intervals, are never presented as ranked apart.
    """
    n = len(p05)
    half = (n + 1) / 2
    return np.where(p95 < half, 1, np.where(p05 > half, 3, 2))
