"""Coherent forecast quantiles by reconciling joint samples (Panagiotelis et al. 2023, "probabilistic
forecast reconciliation"; Jabot-style sample coupling).

Quantiles of a sum are not sums of quantiles, so quantiles cannot be reconciled row by row. Instead:
draw samples from every series' marginal (the stored quantile grid read as an inverse CDF), couple them
across series with a copula, push every sample through the *same* reconciliation map as the mean, and
read quantiles off the reconciled samples. Each sample adds up, so the distribution is coherent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from scipy import stats

from forecasting.hierarchy.reconcile import Method, projection, shrinkage_covariance
from forecasting.hierarchy.structure import Hierarchy

Copula = Literal["auto", "empirical", "gaussian", "comonotonic", "independent"]


def quantile_inverse_cdf(probs: Sequence[float], values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse CDF from a quantile grid: linear in normal-score space between grid points and beyond them.

    Interpolating in ``z = Phi^-1(p)`` reproduces a Gaussian forecast exactly and gives it Gaussian-like
    tails beyond the outermost stored quantiles. ``values`` is ``(K, ...)`` for the ``K`` probabilities
    (sorted along axis 0 to make it monotone); ``u`` is ``(n, ...)`` with ``...`` = ``values.shape[1:]``;
    the result has the shape of ``u``.
    """
    p = np.asarray(probs, dtype=float)
    order = np.argsort(p)
    z = stats.norm.ppf(p[order])
    v = np.sort(np.asarray(values, dtype=float)[order], axis=0)
    zu = stats.norm.ppf(np.clip(u, 1e-12, 1 - 1e-12))
    if len(z) == 1:
        return np.broadcast_to(v[0], zu.shape).copy()
    k = np.clip(np.searchsorted(z, zu, side="right") - 1, 0, len(z) - 2)
    z0, z1 = z[k], z[k + 1]
    flat_v = v.reshape(len(z), -1)  # (K, m)
    flat_k = k.reshape(k.shape[0], -1)  # (n, m)
    cols = np.arange(flat_v.shape[1])[None, :]
    lo = flat_v[flat_k, cols].reshape(k.shape)
    hi = flat_v[flat_k + 1, cols].reshape(k.shape)
    return lo + (hi - lo) * (zu - z0) / (z1 - z0)


def _copula_uniforms(
    copula: str, n_series: int, n_samples: int, residuals: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """``(n_samples, n_series)`` uniforms with the requested dependence across series."""
    if copula == "comonotonic":
        return np.repeat(rng.random((n_samples, 1)), n_series, axis=1)
    if copula == "independent":
        return rng.random((n_samples, n_series))
    assert residuals is not None
    if copula == "gaussian":
        cov, _ = shrinkage_covariance(residuals)
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
        L = np.linalg.cholesky(corr)
        return stats.norm.cdf(rng.standard_normal((n_samples, n_series)) @ L.T)
    # empirical (checkerboard) copula: pick a residual period per sample, use each series' rank in it,
    # spread uniformly within its rank cell so the marginals stay exactly uniform; missing -> independent
    ok = np.isfinite(residuals)
    ranks = stats.rankdata(np.where(ok, residuals, np.nan), axis=1, nan_policy="omit")  # 1..n_i, NaN
    n_i = ok.sum(axis=1).astype(float)
    t = rng.integers(0, residuals.shape[1], n_samples)
    jitter = rng.random((n_samples, n_series))
    r = ranks[:, t].T  # (n_samples, n_series)
    u = (r - 1.0 + jitter) / n_i[None, :]
    return np.where(np.isfinite(u), u, rng.random((n_samples, n_series)))


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
    "gaussian": Gaussian copula with the shrinkage correlation of ``residuals``). One uniform per series
    and sample is used for every horizon step (paths keep their quantile level over time). Every sample
    is reconciled with the same map as the mean (``method``, ``residuals``, ``proportions``/``history``,
    ``non_negative`` as in ``reconcile``). If ``mean_reconciled`` (coherent, ``(n_all, h)``) is given the
    reconciled samples are shifted (at the bottom level, then re-aggregated) so their mean equals it; with
    ``non_negative`` shifted bottom values are floored at zero again, which can nudge means up.

    Returns quantiles at ``quantiles`` (default: the keys of ``base_quantiles``), monotone in q;
    with ``return_samples`` also the reconciled samples ``(n_all, n_samples, h)``. Deterministic in seed.
    """
    probs = sorted(float(q) for q in base_quantiles)
    if not probs or any(not 0 < q < 1 for q in probs):
        raise ValueError("base_quantiles needs probabilities in (0, 1)")
    grid = np.stack([np.asarray(base_quantiles[q], dtype=float) for q in probs])  # (K, n_all, h)
    if grid.ndim == 2:
        grid = grid[:, :, None]
    n_all = hierarchy.n_all
    if grid.shape[1] != n_all or not np.all(np.isfinite(grid)):
        raise ValueError(f"base quantiles must be finite arrays of shape ({n_all}, h)")
    h = grid.shape[2]
    kind, res = _pick_copula(copula, residuals, n_all)
    rng = np.random.default_rng(seed)
    u = _copula_uniforms(kind, n_all, int(n_samples), res, rng)  # (n_samples, n_all)
    u = np.repeat(u[:, :, None], h, axis=2)  # (n_samples, n_all, h)
    draws = quantile_inverse_cdf(probs, grid, u)  # (n_samples, n_all, h)

    proj = projection(hierarchy, method, residuals, proportions, history=history)
    flat = np.moveaxis(draws, 0, 1).reshape(n_all, -1)  # (n_all, n_samples * h)
    rec = proj.apply(flat, non_negative=non_negative).reshape(n_all, n_samples, h)
    if mean_reconciled is not None:
        rec = _recentre(
            rec, np.asarray(mean_reconciled, dtype=float).reshape(n_all, h), hierarchy, non_negative
        )

    out_q = sorted(float(q) for q in (quantiles if quantiles is not None else probs))
    qarr = np.quantile(rec, out_q, axis=1)  # (n_q, n_all, h)
    qarr = np.maximum.accumulate(qarr, axis=0)  # guard monotonicity against float noise
    result = {q: qarr[i] for i, q in enumerate(out_q)}
    return (result, rec) if return_samples else result


def _recentre(rec: np.ndarray, mean: np.ndarray, hierarchy: Hierarchy, non_negative: bool) -> np.ndarray:
    """Shift bottom samples so their mean is the bottom of ``mean``, then re-aggregate (stays coherent)."""
    b = hierarchy.bottom_rows
    if not np.allclose(
        hierarchy.aggregate(mean[b]), mean, rtol=1e-9, atol=1e-6 * max(1.0, float(np.abs(mean).max()))
    ):
        raise ValueError("mean_reconciled is not coherent; pass the output of reconcile()")
    bottom = rec[b] + (mean[b] - rec[b].mean(axis=1))[:, None, :]
    if non_negative:
        bottom = np.maximum(bottom, 0.0)
    return hierarchy.aggregate(bottom)


__all__ = ["Copula", "quantile_inverse_cdf", "reconcile_quantiles"]
