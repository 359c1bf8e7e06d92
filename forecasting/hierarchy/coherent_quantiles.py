"""Coherent forecast quantiles by reconciling joint samples (Panagiotelis et al. 2023, "probabilistic
forecast reconciliation"; Jabot-style sample coupling).

Quantiles of a sum are not sums of quantiles, so quantiles cannot be reconciled row by row. Instead:
draw samples from every series' marginal (the stored quantile grid read as an inverse CDF), couple them
across series with a copula, push every sample through the *same* reconciliation map as the mean, and
read quantiles off the reconciled samples. Each sample adds up, so the distribution is coherent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from forecasting.hierarchy.reconcile import Method, _one_blas_thread, projection, shrinkage_covariance
from forecasting.hierarchy.structure import Hierarchy

Copula = Literal["auto", "empirical", "gaussian", "comonotonic", "independent"]


def quantile_inverse_cdf(probs: Sequence[float], values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse CDF from a quantile grid: linear in normal-score space between grid points and beyond them.

    Interpolating in ``z = Phi^-1(p)`` reproduces a Gaussian forecast exactly and gives it Gaussian-like
    tails beyond the outermost stored quantiles. ``values`` is ``(K, ...)`` for the ``K`` probabilities
    (sorted along axis 0 to make it monotone); ``u`` is ``(n, ...)``, broadcastable to
    ``(n, *values.shape[1:])``, which is the shape of the result.
    """
    p = np.asarray(probs, dtype=float)
    order = np.argsort(p)
    z = special.ndtri(p[order])
    v = np.sort(np.asarray(values, dtype=float)[order], axis=0)
    u = np.asarray(u, dtype=float)
    shape = (u.shape[0], *v.shape[1:])
    zu = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    if len(z) == 1:
        return np.broadcast_to(v[0], shape).copy()
    k = np.clip(np.searchsorted(z, zu, side="right") - 1, 0, len(z) - 2)
    slope = np.diff(v, axis=0) / np.diff(z).reshape(-1, *([1] * (v.ndim - 1)))  # (K-1, ...)
    k, zu = np.broadcast_to(k, shape), np.broadcast_to(zu, shape)
    m = int(np.prod(v.shape[1:]))
    flat_k = k.reshape(shape[0], m)
    cols = np.arange(m)[None, :]
    lo = v.reshape(len(z), m)[flat_k, cols].reshape(shape)
    sl = slope.reshape(len(z) - 1, m)[flat_k, cols].reshape(shape)
    return lo + sl * (zu - z[k])


@dataclass
class _Coupling:
    """Draws shared by every tree (so the copula also links trees) plus per-tree generators."""

    kind: str
    common_u: np.ndarray  # (n_samples,) comonotonic level
    periods: np.ndarray  # (n_samples,) residual period per sample (empirical copula)
    ranks: np.ndarray | None  # (n_all, T) ranks of residuals, NaN where missing
    residuals: np.ndarray | None


def _coupling(kind: str, residuals: np.ndarray | None, n_samples: int, rng: np.random.Generator) -> _Coupling:
    common_u = rng.random(n_samples)
    periods = rng.integers(0, residuals.shape[1], n_samples) if residuals is not None else np.zeros(0, int)
    ranks = None
    if kind == "empirical" and residuals is not None:
        ok = np.isfinite(residuals)
        ranks = stats.rankdata(np.where(ok, residuals, np.nan), axis=1, nan_policy="omit")
    return _Coupling(kind, common_u, periods, ranks, residuals)


def _block_uniforms(c: _Coupling, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(n_samples, len(rows))`` uniforms for one tree with the coupling's dependence."""
    n_samples, n = len(c.common_u), len(rows)
    if c.kind == "comonotonic":
        return np.repeat(c.common_u[:, None], n, axis=1)
    if c.kind == "independent":
        return rng.random((n_samples, n))
    assert c.residuals is not None
    if c.kind == "gaussian":  # block-diagonal correlation, as mint_shrink
        cov, _ = shrinkage_covariance(c.residuals[rows])
        sd = np.sqrt(np.diag(cov))
        L = np.linalg.cholesky(cov / np.outer(sd, sd))
        return stats.norm.cdf(rng.standard_normal((n_samples, n)) @ L.T)
    # empirical (checkerboard) copula: each sample takes one residual period, each series its rank in that
    # period, spread uniformly within the rank cell so marginals stay exactly uniform; missing -> independent
    assert c.ranks is not None
    ranks = c.ranks[rows]
    n_obs = np.isfinite(ranks).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (ranks[:, c.periods].T - 1.0 + rng.random((n_samples, n))) / n_obs[None, :]
    return np.where(np.isfinite(u), u, rng.random((n_samples, n)))


def _pick_copula(copula: str, residuals: np.ndarray | None, n_all: int) -> tuple[str, np.ndarray | None]:
    if residuals is None:
        if copula in ("empirical", "gaussian"):
            raise ValueError(f"copula {copula!r} needs residuals")
        return ("comonotonic" if copula == "auto" else copula), None
    res = np.asarray(residuals, dtype=float)
    if res.ndim != 2 or res.shape[0] != n_all:
        raise ValueError(f"residuals must be (n_all={n_all}, T), got {res.shape}")
    return ("empirical" if copula == "auto" else copula), res


def reconcile_quantiles(
    base_quantiles: Mapping[float, np.ndarray],
    mean_reconciled: np.ndarray | None,
    hierarchy: Hierarchy,
    method: Method,
    residuals: np.ndarray | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    *,
    copula: Copula = "auto",
    quantiles: Sequence[float] | None = None,
    non_negative: bool = False,
    proportions: np.ndarray | None = None,
    history: np.ndarray | None = None,
    return_samples: bool = False,
) -> dict[float, np.ndarray] | tuple[dict[float, np.ndarray], np.ndarray]:
    """Coherent quantiles ``{q: (n_all, h)}`` from base quantiles ``{q: (n_all, h)}`` (rows = ``all_ids``).

    Samples: each series' marginal is its quantile grid read as an inverse CDF; samples are coupled across
    series by ``copula`` ("auto": empirical copula of ``residuals`` ranks when given, else comonotonic;
    "gaussian": Gaussian copula with the shrinkage correlation of ``residuals`` within each tree;
    "independent"). Work is done tree by tree, so memory is one tree's samples. One uniform per series
    and sample is used for every horizon step (paths keep their quantile level over time). Every sample
    is reconciled with the same map as the mean (``method``, ``residuals``, ``proportions``/``history``,
    ``non_negative`` as in ``reconcile``). If ``mean_reconciled`` (coherent, ``(n_all, h)``) is given the
    reconciled samples are shifted (at the bottom level, then re-aggregated) so their mean equals it; with
    ``non_negative`` shifted bottom values are floored at zero again, which can nudge means up. With
    ``non_negative`` the samples are mapped linearly and their negative bottom values clipped before
    re-adding (the mean itself takes the exact non-negative projection): an exact NNLS per sample and
    step cost most of a training job's reconciliation (150,000 solves) and the recentring clips anyway.

    Returns quantiles at ``quantiles`` (default: the keys of ``base_quantiles``), monotone in q;
    with ``return_samples`` also the reconciled samples ``(n_all, n_samples, h)``. Deterministic in seed.
    """
    probs = sorted(float(q) for q in base_quantiles)
    if not probs or any(not 0 < q < 1 for q in probs):
        raise ValueError("base_quantiles needs probabilities in (0, 1)")
    grid = np.stack([np.asarray(base_quantiles[q], dtype=float) for q in probs])  # (K, n_all, h)
    if grid.ndim == 2:
        grid = grid[:, :, None]
    n_all, n_samples = hierarchy.n_all, int(n_samples)
    if grid.shape[1] != n_all or not np.all(np.isfinite(grid)):
        raise ValueError(f"base quantiles must be finite arrays of shape ({n_all}, h)")
    h = grid.shape[2]
    kind, res = _pick_copula(copula, residuals, n_all)
    means = None if mean_reconciled is None else np.asarray(mean_reconciled, dtype=float).reshape(n_all, h)
    out_q = sorted(float(q) for q in (quantiles if quantiles is not None else probs))
    qarr = np.empty((len(out_q), n_all, h))
    samples = np.empty((n_all, n_samples, h)) if return_samples else None

    proj = projection(hierarchy, method, residuals, proportions, history=history)
    seq = np.random.SeedSequence(seed)
    coupling = _coupling(kind, res, n_samples, np.random.default_rng(seq))
    rngs = [np.random.default_rng(child) for child in seq.spawn(len(proj.blocks))]
    with _one_blas_thread():
        for k, block in enumerate(proj.blocks):
            rows, n = block.rows, len(block.rows)
            u = np.repeat(
                _block_uniforms(coupling, rows, rngs[k])[:, :, None], h, axis=2
            )  # (n_samples, n, h)
            draws = quantile_inverse_cdf(probs, grid[:, rows], u)
            flat = np.moveaxis(draws, 0, 1).reshape(n, -1)  # (n, n_samples * h)
            rec = proj.apply_block(k, flat, False)
            if non_negative:  # clip the bottom and re-add: coherent and >= 0 (see the docstring)
                nb = block.S.shape[1]
                rec = block.S @ np.maximum(rec[-nb:], 0.0)
            rec = rec.reshape(n, n_samples, h)
            if means is not None:
                rec = _recentre(rec, means[rows], block.S, non_negative)
            qarr[:, rows] = np.quantile(rec, out_q, axis=1)
            if samples is not None:
                samples[rows] = rec
    qarr = np.maximum.accumulate(qarr, axis=0)  # guard monotonicity against float noise
    result = {q: qarr[i] for i, q in enumerate(out_q)}
    return (result, samples) if samples is not None else result


def _recentre(rec: np.ndarray, mean: np.ndarray, S: np.ndarray, non_negative: bool) -> np.ndarray:
    """Shift one tree's bottom samples so their mean is the bottom of ``mean``; re-aggregate (coherent)."""
    nb = S.shape[1]
    if not np.allclose(S @ mean[-nb:], mean, rtol=1e-9, atol=1e-6 * max(1.0, float(np.abs(mean).max()))):
        raise ValueError("mean_reconciled is not coherent; pass the output of reconcile()")
    bottom = rec[-nb:] + (mean[-nb:] - rec[-nb:].mean(axis=1))[:, None, :]
    if non_negative:
        bottom = np.maximum(bottom, 0.0)
    return (S @ bottom.reshape(nb, -1)).reshape(S.shape[0], *rec.shape[1:])


__all__ = ["Copula", "quantile_inverse_cdf", "reconcile_quantiles"]
