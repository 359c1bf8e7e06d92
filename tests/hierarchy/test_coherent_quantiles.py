"""Coherent quantiles from reconciled joint samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forecasting.hierarchy.coherent_quantiles import quantile_inverse_cdf, reconcile_quantiles
from forecasting.hierarchy.reconcile import METHODS, reconcile
from forecasting.vocabulary import QUANTILE_GRID
from models.base import gaussian_quantiles


def gaussian_base(hier, seed: int, h: int = 3):
    """Gaussian base quantiles on the stored grid, means near coherent, plus correlated residuals."""
    rng = np.random.default_rng(seed)
    mean = hier.S @ rng.uniform(2.0, 6.0, (hier.n_bottom, h)) + rng.normal(0, 0.5, (hier.n_all, h))
    sd = np.sqrt(hier.S.sum(axis=1))[:, None] * np.linspace(1.0, 1.5, h)[None, :]
    q = gaussian_quantiles(mean, sd, QUANTILE_GRID)
    common = rng.normal(size=(1, 20))
    res = 0.7 * common + 0.7 * rng.normal(size=(hier.n_all, 20))
    history = hier.S @ rng.uniform(1.0, 5.0, (hier.n_bottom, 10))
    return mean, q, res, history


def sample_incoherence(samples: np.ndarray, hier) -> float:
    flat = samples.reshape(hier.n_all, -1)
    return float(np.abs(hier.S @ flat[hier.bottom_rows] - flat).max())


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("method", METHODS)
def test_samples_and_means_coherent(random_hierarchy, seed: int, method: str) -> None:
    hier = random_hierarchy(seed)
    mean, q, res, history = gaussian_base(hier, seed)
    out, samples = reconcile_quantiles(
        q, None, hier, method, residuals=res, n_samples=400, seed=seed, history=history, return_samples=True
    )
    assert samples.shape == (hier.n_all, 400, 3)
    assert sample_incoherence(samples, hier) < 1e-6
    assert sample_incoherence(samples.mean(axis=1), hier) < 1e-6
    stacked = np.stack([out[p] for p in QUANTILE_GRID])
    assert np.all(np.diff(stacked, axis=0) >= 0)  # monotone in probability
    # one linear map for samples and mean: sample means estimate the reconciled mean
    expected = reconcile(mean, hier, method, residuals=res, history=history)
    sd = (q[0.975] - q[0.025]) / 3.92
    tol = 6 * (np.abs(hier.S) @ sd[hier.bottom_rows] + sd.max(axis=0)) / np.sqrt(400)
    assert np.all(np.abs(samples.mean(axis=1) - expected) < tol)


@pytest.mark.parametrize("copula", ["empirical", "gaussian", "comonotonic", "independent"])
def test_recentred_on_reconciled_mean(random_hierarchy, copula: str) -> None:
    hier = random_hierarchy(1)
    mean, q, res, _ = gaussian_base(hier, 1)
    rec_mean = reconcile(mean, hier, "mint_shrink", residuals=res)
    out, samples = reconcile_quantiles(
        q, rec_mean, hier, "mint_shrink", residuals=res, n_samples=300, copula=copula, return_samples=True
    )
    np.testing.assert_allclose(samples.mean(axis=1), rec_mean, atol=1e-8)
    assert sample_incoherence(samples, hier) < 1e-6
    with pytest.raises(ValueError, match="not coherent"):
        reconcile_quantiles(q, mean, hier, "ols", n_samples=50)


def test_deterministic_for_a_seed(random_hierarchy) -> None:
    hier = random_hierarchy(2)
    _, q, res, _ = gaussian_base(hier, 2)
    a = reconcile_quantiles(q, None, hier, "wls_struct", residuals=res, n_samples=200, seed=7)
    b = reconcile_quantiles(q, None, hier, "wls_struct", residuals=res, n_samples=200, seed=7)
    c = reconcile_quantiles(q, None, hier, "wls_struct", residuals=res, n_samples=200, seed=8)
    for p in QUANTILE_GRID:
        np.testing.assert_array_equal(a[p], b[p])
    assert any(not np.array_equal(a[p], c[p]) for p in QUANTILE_GRID)


def test_comonotonic_bottom_up_quantiles_add_up(random_hierarchy) -> None:
    """Comonotone sums are the one case where quantiles of the sum are sums of quantiles."""
    hier = random_hierarchy(4)
    _, q, _, _ = gaussian_base(hier, 4)
    out = reconcile_quantiles(q, None, hier, "bottom_up", n_samples=2000)
    for p in QUANTILE_GRID:
        np.testing.assert_allclose(hier.S @ out[p][hier.bottom_rows], out[p], atol=1e-8)


def test_bottom_marginals_kept_and_dependence_matters(random_hierarchy) -> None:
    hier = random_hierarchy(3)
    _, q, res, _ = gaussian_base(hier, 3)
    indep = reconcile_quantiles(q, None, hier, "bottom_up", n_samples=4000, copula="independent")
    emp = reconcile_quantiles(q, None, hier, "bottom_up", residuals=res, n_samples=4000)
    b = hier.bottom_rows
    for p in (0.1, 0.5, 0.9):  # bottom_up leaves bottom marginals as forecast (up to Monte Carlo error)
        scale = q[0.975][b] - q[0.025][b]
        assert np.all(np.abs(indep[p][b] - q[p][b]) < 0.08 * scale)
        assert np.all(np.abs(emp[p][b] - q[p][b]) < 0.08 * scale)
    top = hier.index[hier.blocks[0][0]]
    width = {k: v[0.9][top] - v[0.1][top] for k, v in {"indep": indep, "emp": emp}.items()}
    sum_of_widths = hier.S[top] @ (q[0.9][b] - q[0.1][b])
    assert np.all(width["indep"] < width["emp"])  # positively correlated residuals widen the total
    assert np.all(width["emp"] < sum_of_widths + 1e-9)  # but not beyond comonotone


def test_non_negative_samples(random_hierarchy) -> None:
    hier = random_hierarchy(0)
    mean, q, res, _ = gaussian_base(hier, 0)
    q = {p: v - 4.0 for p, v in q.items()}  # plenty of mass below zero
    out, samples = reconcile_quantiles(
        q, None, hier, "ols", residuals=res, n_samples=300, non_negative=True, return_samples=True
    )
    assert samples.min() >= 0 and min(v.min() for v in out.values()) >= 0
    assert sample_incoherence(samples, hier) < 1e-6


def test_inverse_cdf_reproduces_gaussian() -> None:
    u = np.array([[0.001], [0.03], [0.3], [0.5], [0.77], [0.999]])
    vals = np.array([[stats.norm.ppf(p, loc=2, scale=3)] for p in QUANTILE_GRID])
    got = quantile_inverse_cdf(QUANTILE_GRID, vals, u)
    np.testing.assert_allclose(got, stats.norm.ppf(u, loc=2, scale=3), atol=1e-9)
    # unsorted grid values are made monotone
    assert np.all(
        np.diff(quantile_inverse_cdf([0.1, 0.5, 0.9], np.array([[3.0], [1.0], [2.0]]), u), axis=0) >= 0
    )


def test_bad_inputs(random_hierarchy) -> None:
    hier = random_hierarchy(0)
    _, q, _, _ = gaussian_base(hier, 0)
    with pytest.raises(ValueError, match="needs residuals"):
        reconcile_quantiles(q, None, hier, "ols", copula="empirical")
    with pytest.raises(ValueError, match="shape"):
        reconcile_quantiles({0.5: np.zeros((1, 3))}, None, hier, "ols")
