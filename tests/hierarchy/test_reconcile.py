"""Reconciliation: every method adds up, on random grouped hierarchies, with and without non_negative."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from forecasting.hierarchy.reconcile import (
    METHODS,
    ReconciliationWarning,
    historical_proportions,
    projection,
    reconcile,
    shrinkage_covariance,
)

SEEDS = range(8)


def incoherence(y: np.ndarray, hier) -> float:
    return float(np.abs(hier.S @ y[hier.bottom_rows] - y).max())


def inputs(hier, seed: int, h: int = 5, T: int = 12):
    """Base forecasts near a coherent truth (some negative), residuals with gaps, positive history."""
    rng = np.random.default_rng(seed)
    truth = hier.S @ rng.uniform(0.0, 3.0, (hier.n_bottom, h))
    base = truth + rng.normal(0.0, 2.0, truth.shape)
    res = rng.normal(0.0, 1.0, (hier.n_all, T)) * rng.uniform(0.5, 2.0, (hier.n_all, 1))
    res[rng.random(res.shape) < 0.1] = np.nan
    res[:, :2] = rng.normal(size=(hier.n_all, 2))  # every series keeps >= 2 values
    history = hier.S @ rng.uniform(1.0, 5.0, (hier.n_bottom, T))
    return base, res, history


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("non_negative", [False, True])
def test_every_method_is_coherent(random_hierarchy, seed: int, method: str, non_negative: bool) -> None:
    hier = random_hierarchy(seed)
    base, res, history = inputs(hier, seed)
    assert (base < 0).any()  # the non_negative branch is exercised
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReconciliationWarning)  # mint_shrink must use these residuals
        y = reconcile(base, hier, method, residuals=res, non_negative=non_negative, history=history)
    assert y.shape == base.shape
    assert incoherence(y, hier) < 1e-6
    if non_negative:
        assert y.min() >= 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_bottom_up_is_sums(random_hierarchy, seed: int) -> None:
    hier = random_hierarchy(seed)
    base, _, _ = inputs(hier, seed)
    y = reconcile(base, hier, "bottom_up")
    np.testing.assert_allclose(y, hier.S @ base[hier.bottom_rows], atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("method", ["ols", "wls_struct", "mint_shrink"])
def test_projections_leave_coherent_input_unchanged(random_hierarchy, seed: int, method: str) -> None:
    hier = random_hierarchy(seed)
    _, res, history = inputs(hier, seed)
    coherent = history[:, :4]
    np.testing.assert_allclose(reconcile(coherent, hier, method, residuals=res), coherent, atol=1e-8)


def test_top_down_proportions(random_hierarchy) -> None:
    hier = random_hierarchy(3)
    rng = np.random.default_rng(3)
    base, _, _ = inputs(hier, 3)
    shares = rng.uniform(0.1, 1.0, hier.n_bottom)
    history = hier.S @ (shares[:, None] * np.linspace(1, 2, 10)[None, :])  # constant shares per tree
    props = historical_proportions(history, hier)
    y_hist = reconcile(base, hier, "top_down", history=history)
    y_prop = reconcile(base, hier, "top_down", proportions=props)
    np.testing.assert_allclose(y_hist, y_prop)
    for rows, cols in hier.block_indices():
        top = rows[0]
        np.testing.assert_allclose(props[cols], shares[cols] / shares[cols].sum())
        np.testing.assert_allclose(y_prop[top], base[top])  # the top keeps its own forecast
    with pytest.raises(ValueError, match="proportions or history"):
        reconcile(base, hier, "top_down")


def test_mint_shrink_uses_residuals_and_falls_back(random_hierarchy) -> None:
    hier = random_hierarchy(5)
    base, res, _ = inputs(hier, 5, T=4)  # T < n: shrinkage keeps W positive definite
    assert res.shape[1] < hier.n_all
    mint = reconcile(base, hier, "mint_shrink", residuals=res)
    wls = reconcile(base, hier, "wls_struct")
    assert not np.allclose(mint, wls)
    assert projection(hier, "mint_shrink", res).methods_used == {"mint_shrink": len(hier.blocks)}
    bad = res.copy()
    bad[hier.index[hier.blocks[0][0]], :] = np.nan  # the top of the first tree: no residuals
    with pytest.warns(ReconciliationWarning, match="wls_struct"):
        p = projection(hier, "mint_shrink", bad)
    assert p.methods_used == {"wls_struct": 1, "mint_shrink": len(hier.blocks) - 1}
    with pytest.warns(ReconciliationWarning):
        y = reconcile(base, hier, "mint_shrink", residuals=None)
    np.testing.assert_allclose(y, wls)


def test_blocks_reconcile_independently(random_hierarchy) -> None:
    hier = random_hierarchy(6)
    base, res, _ = inputs(hier, 6)
    whole = reconcile(base, hier, "mint_shrink", residuals=res)
    for block in hier.blocks:
        sub = hier.subset(block)
        rows = [hier.index[s] for s in sub.all_ids]
        part = reconcile(base[rows], sub, "mint_shrink", residuals=res[rows])
        np.testing.assert_allclose(whole[rows], part, atol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_non_negative_is_a_better_projection_than_clipping(random_hierarchy, seed: int) -> None:
    hier = random_hierarchy(seed)
    base, _, _ = inputs(hier, seed)
    nn = reconcile(base, hier, "ols", non_negative=True)
    clipped = hier.S @ np.maximum(reconcile(base, hier, "ols")[hier.bottom_rows], 0.0)
    assert nn.min() >= 0
    dist_nn = np.linalg.norm(base - nn, axis=0)
    dist_clip = np.linalg.norm(base - clipped, axis=0)
    assert np.all(dist_nn <= dist_clip + 1e-9)
    rng = np.random.default_rng(seed)
    positive = hier.S @ rng.uniform(5.0, 10.0, (hier.n_bottom, 3)) + rng.normal(0.0, 0.1, (hier.n_all, 3))
    assert reconcile(positive, hier, "ols").min() > 0  # nothing to project: same answer
    np.testing.assert_allclose(
        reconcile(positive, hier, "ols", non_negative=True), reconcile(positive, hier, "ols")
    )


def test_shrinkage_covariance() -> None:
    rng = np.random.default_rng(0)
    n, T = 30, 8
    common = rng.normal(size=(1, T))
    x = 0.8 * common + 0.6 * rng.normal(size=(n, T))
    x[0, 3] = np.nan
    cov, lam = shrinkage_covariance(x)
    assert 0.0 <= lam <= 1.0
    assert np.allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    big = 0.8 * rng.normal(size=(1, 5000)) + 0.6 * rng.normal(size=(3, 5000))
    cov_big, lam_big = shrinkage_covariance(big)
    assert lam_big < 0.05  # plenty of data: little shrinkage
    np.testing.assert_allclose(cov_big, big @ big.T / 5000, rtol=0.1, atol=0.02)
    with pytest.raises(ValueError):
        shrinkage_covariance(np.array([[1.0, np.nan, np.nan], [1.0, 2.0, 3.0]]))


def test_bad_inputs(random_hierarchy) -> None:
    hier = random_hierarchy(0)
    base, _, _ = inputs(hier, 0)
    with pytest.raises(ValueError, match="unknown"):
        reconcile(base, hier, "middle_out")  # type: ignore[arg-type]
    base[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reconcile(base, hier, "ols")


@pytest.mark.parametrize("method", METHODS)
def test_sparse_summing_matrix_gives_same_answers(random_hierarchy, method: str) -> None:
    dense, sp = random_hierarchy(2), random_hierarchy(2, sparse_s=True)
    assert sp.is_sparse and not dense.is_sparse
    base, res, history = inputs(dense, 2)
    for nn in (False, True):
        np.testing.assert_allclose(
            reconcile(base, sp, method, residuals=res, history=history, non_negative=nn),
            reconcile(base, dense, method, residuals=res, history=history, non_negative=nn),
            atol=1e-10,
        )
