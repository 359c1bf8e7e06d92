"""Forecast reconciliation: make base forecasts add up across the geography trees of a ``Hierarchy``.

Every method is a linear map ``y_tilde = S G y_hat`` (Hyndman et al. 2011; Wickramasuriya, Athanasopoulos
& Hyndman 2019), built once per tree (block of ``S``) and applied to any number of columns, so the same
projection serves point forecasts and sample paths (``coherent_quantiles``). Trees are independent, so
building per block is exact for bottom_up/top_down/ols/wls_struct and, for mint_shrink, amounts to a
block-diagonal error covariance (no cross-tree terms, which short histories could not estimate anyway).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import linalg
from scipy.optimize import nnls

from forecasting.hierarchy.structure import Hierarchy

Method = Literal["bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"]
METHODS: tuple[str, ...] = ("bottom_up", "top_down", "ols", "wls_struct", "mint_shrink")


class ReconciliationWarning(UserWarning):
    """A requested method could not be used as asked (e.g. mint_shrink fell back to wls_struct)."""


@dataclass
class _Block:
    rows: np.ndarray  # into all_ids
    cols: np.ndarray  # into bottom_ids
    S: np.ndarray  # (len(rows), len(cols))
    G: np.ndarray  # (len(cols), len(rows)): bottom = G @ base
    method: str  # method actually used (after any fallback)
    M: np.ndarray | None  # S' W^-1 S (GLS methods): the metric of the non-negative projection


@dataclass
class Projection:
    """The reconciliation map for a whole hierarchy, one block per tree."""

    hierarchy: Hierarchy
    method: str
    blocks: list[_Block]

    @property
    def methods_used(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.blocks:
            out[b.method] = out.get(b.method, 0) + 1
        return out

    def apply(self, base: np.ndarray, non_negative: bool = False) -> np.ndarray:
        """Reconcile ``base`` of shape ``(n_all, k)`` (or ``(n_all,)``) for any ``k``."""
        base = np.asarray(base, dtype=float)
        squeeze = base.ndim == 1
        y = base.reshape(self.hierarchy.n_all, -1)
        if not np.all(np.isfinite(y)):
            raise ValueError("base forecasts contain NaN or inf")
        out = np.empty_like(y)
        with _one_blas_thread():
            for k, b in enumerate(self.blocks):
                out[b.rows] = self.apply_block(k, y[b.rows], non_negative)
        return out[:, 0] if squeeze else out

    def apply_block(self, k: int, base_rows: np.ndarray, non_negative: bool = False) -> np.ndarray:
        """Reconcile one tree: ``base_rows`` is ``(len(blocks[k].rows), m)`` (rows in ``blocks[k].rows``)."""
        b = self.blocks[k]
        bottom = b.G @ base_rows
        if non_negative:
            bottom = _non_negative(bottom, b)
        return b.S @ bottom


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """Blocks are small: threaded BLAS only adds contention (tens of times slower on a busy host). The
    models' limiter keeps one threadpoolctl controller: a new one per call scanned the loaded libraries
    each time (2.9 ms a call against 0.1 ms)."""
    from models.base import single_thread_blas

    return single_thread_blas()


def _non_negative(bottom: np.ndarray, b: _Block) -> np.ndarray:
    """GLS methods: exact projection min_{x >= 0} (y - S x)' W^-1 (y - S x) for the columns that went
    negative. With b = G y that equals min_{x >= 0} (x - b)' M (x - b), M = S' W^-1 S = R'R, i.e. NNLS of
    ``R x ~ R b`` (square, n_bottom-sized). bottom_up/top_down: negative bottom values set to zero."""
    bad = np.flatnonzero((bottom < 0).any(axis=0))
    if bad.size == 0:
        return bottom
    bottom = bottom.copy()
    if b.M is None:
        bottom[:, bad] = np.maximum(bottom[:, bad], 0.0)
        return bottom
    R = linalg.cholesky(b.M, lower=False)
    target = R @ bottom[:, bad]
    for k, j in enumerate(bad):
        try:
            x, _ = nnls(R, target[:, k], maxiter=50 * R.shape[1])
        except RuntimeError:  # iteration limit (not seen in practice): clipping is still coherent
            x = bottom[:, j]
        bottom[:, j] = np.maximum(x, 0.0)
    return bottom


def shrinkage_covariance(residuals: np.ndarray) -> tuple[np.ndarray, float]:
    """Schäfer & Strimmer (2005) shrinkage of the (uncentred) residual covariance towards its diagonal.

    Residuals are ``(n, T)``; NaN/inf entries are missing and every moment uses the periods both series
    observe (pairs seen in fewer than 2 periods get correlation 0). The intensity is raised when needed
    so the result is positive definite even for ``T < n``. Returns ``(covariance, lambda)``.
    """
    x = np.asarray(residuals, dtype=float)
    ok = np.isfinite(x)
    x0 = np.where(ok, x, 0.0)
    m = ok.astype(float)
    n_obs = m.sum(axis=1)
    if np.any(n_obs < 2):
        raise ValueError("every series needs at least 2 finite residuals")
    var = (x0**2).sum(axis=1) / n_obs
    pos = var[var > 0]
    if pos.size == 0:
        raise ValueError("all residuals are zero")
    var = np.maximum(var, 1e-6 * float(np.median(pos)))
    sd = np.sqrt(var)
    xs = x0 / sd[:, None]
    n_ij = m @ m.T
    s1 = xs @ xs.T  # sum of w_ijt = xs_it xs_jt
    s2 = (xs**2) @ (xs**2).T  # sum of w_ijt^2
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(n_ij >= 2, s1 / n_ij, 0.0)
        v = np.where(n_ij >= 2, (s2 - s1**2 / n_ij) / (n_ij * (n_ij - 1)), 0.0)
    np.fill_diagonal(r, 1.0)
    np.fill_diagonal(v, 0.0)
    off = ~np.eye(len(r), dtype=bool)
    denom = float((r[off] ** 2).sum())
    lam = 1.0 if denom <= 0 else float(np.clip(v[off].sum() / denom, 0.0, 1.0))
    eps, eye = 1e-6, np.eye(len(r))
    R = (1.0 - lam) * r + lam * eye
    try:  # cheap check that the smallest eigenvalue exceeds eps
        np.linalg.cholesky(R - eps * eye)
    except np.linalg.LinAlgError:  # eigenvalues of (1 - lam) r + lam I are (1 - lam) e + lam
        e_min = float(np.linalg.eigvalsh(r).min())
        lam = max(lam, (eps - e_min) / (1.0 - e_min))
        R = (1.0 - lam) * r + lam * eye
    return R * np.outer(sd, sd), lam


def _usable_residuals(res: np.ndarray) -> bool:
    ok = np.isfinite(res)
    return bool(res.size and np.all(ok.sum(axis=1) >= 2) and np.any(np.where(ok, res, 0.0) != 0))


def _gls_G(S: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G = (S' W^-1 S)^-1 S' W^-1 and M = S' W^-1 S; ``W`` is a diagonal (1-D) or a full covariance."""
    Wi_S = S / W[:, None] if W.ndim == 1 else linalg.cho_solve((linalg.cholesky(W, lower=True), True), S)
    M = S.T @ Wi_S
    M = (M + M.T) / 2
    return np.linalg.solve(M, Wi_S.T), M


def _top_row(S: np.ndarray) -> int:
    full = np.flatnonzero(S.sum(axis=1) == S.shape[1])
    if full.size == 0:
        raise ValueError("top_down needs one series covering the whole tree (a single top)")
    return int(full[0])


def historical_proportions(history: np.ndarray, hierarchy: Hierarchy) -> np.ndarray:
    """Gross–Sohl average historical proportions: mean over periods of bottom / top of its tree.

    ``history`` is ``(n_all, T)`` aligned with ``all_ids`` (NaN = unobserved). Periods with a missing or
    zero top are skipped; proportions are renormalised to sum to 1 per tree (equal shares, with a
    warning, when a tree has no usable period). Returns ``(n_bottom,)`` aligned with ``bottom_ids``.
    """
    hist = np.asarray(history, dtype=float).reshape(hierarchy.n_all, -1)
    p = np.zeros(hierarchy.n_bottom)
    for rows, cols in hierarchy.block_indices():
        S = hierarchy.S_block(rows, cols)
        top = hist[rows[_top_row(S)]]
        bot = hist[hierarchy.bottom_rows[cols]]
        use = np.isfinite(top) & (top != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = bot[:, use] / top[use]
        share = np.where(np.isfinite(share), share, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pb = np.nanmean(share, axis=1) if share.shape[1] else np.full(len(cols), np.nan)
        pb = np.where(np.isfinite(pb), np.maximum(pb, 0.0), 0.0)
        p[cols] = pb
    return p


def _block_proportions(p: np.ndarray, block: str) -> np.ndarray:
    total = p.sum()
    if not np.isfinite(total) or total <= 0:
        warnings.warn(
            f"top_down: no usable proportions for tree {block!r}; using equal shares",
            ReconciliationWarning,
            stacklevel=4,
        )
        return np.full(len(p), 1.0 / len(p))
    return p / total


def _build_blocks(
    hierarchy: Hierarchy, method: str, res: np.ndarray | None, props: np.ndarray | None
) -> tuple[list[_Block], int]:
    """One ``_Block`` per tree and the number of trees where mint_shrink fell back to wls_struct."""
    blocks: list[_Block] = []
    fallbacks = 0
    for rows, cols in hierarchy.block_indices():
        S = hierarchy.S_block(rows, cols)
        nb, nr = S.shape[1], S.shape[0]
        used, M = method, None
        if method == "bottom_up":
            G = np.zeros((nb, nr))
            G[:, nr - nb :] = np.eye(nb)
        elif method == "top_down":
            assert props is not None
            G = np.zeros((nb, nr))
            G[:, _top_row(S)] = _block_proportions(props[cols], hierarchy.all_ids[rows[0]])
        else:
            if method == "mint_shrink" and (res is None or not _usable_residuals(res[rows])):
                used = "wls_struct"
                fallbacks += res is not None
            if used == "ols":
                W = np.ones(nr)
            elif used == "wls_struct":
                W = S.sum(axis=1)
            else:
                assert res is not None
                W, _ = shrinkage_covariance(res[rows])
            G, M = _gls_G(S, W)
        blocks.append(_Block(rows=rows, cols=cols, S=S, G=G, method=used, M=M))
    return blocks, fallbacks


def projection(
    hierarchy: Hierarchy,
    method: Method,
    residuals: np.ndarray | None = None,
    proportions: np.ndarray | None = None,
    *,
    history: np.ndarray | None = None,
) -> Projection:
    """Build the reconciliation map once (reuse it for many columns / samples). Arguments as ``reconcile``."""
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; known: {list(METHODS)}")
    n_all = hierarchy.n_all
    res = None
    if method == "mint_shrink":
        if residuals is None:
            warnings.warn(
                "mint_shrink without residuals: using wls_struct", ReconciliationWarning, stacklevel=3
            )
        else:
            res = np.asarray(residuals, dtype=float)
            if res.ndim != 2 or res.shape[0] != n_all:
                warnings.warn(
                    f"mint_shrink: residuals shape {res.shape} does not match ({n_all}, T); using wls_struct",
                    ReconciliationWarning,
                    stacklevel=3,
                )
                res = None
    props = None
    if method == "top_down":
        if proportions is not None:
            props = np.asarray(proportions, dtype=float).ravel()
            if props.shape != (hierarchy.n_bottom,):
                raise ValueError(f"proportions must have shape ({hierarchy.n_bottom},), got {props.shape}")
        elif history is not None:
            props = historical_proportions(history, hierarchy)
        else:
            raise ValueError("top_down needs proportions or history (n_all, T) to average them from")

    with _one_blas_thread():
        blocks, fallbacks = _build_blocks(hierarchy, method, res, props)
    if fallbacks:
        warnings.warn(
            f"mint_shrink: residuals unusable (fewer than 2 finite values per series, or all zero) "
            f"for {fallbacks} of {len(blocks)} trees; used wls_struct there",
            ReconciliationWarning,
            stacklevel=3,
        )
    return Projection(hierarchy=hierarchy, method=method, blocks=blocks)


def reconcile(
    base: np.ndarray,
    hierarchy: Hierarchy,
    method: Method,
    residuals: np.ndarray | None = None,
    non_negative: bool = False,
    proportions: np.ndarray | None = None,
    *,
    history: np.ndarray | None = None,
) -> np.ndarray:
    """Coherent forecasts ``(n_all, h)`` from base forecasts ``(n_all, h)`` aligned with ``all_ids``.

    - bottom_up: sums of the bottom forecasts.
    - top_down: the top of each tree split by ``proportions`` (``(n_bottom,)``, renormalised per tree) or,
      when absent, by average historical proportions from ``history`` (``(n_all, T)``).
    - ols / wls_struct: GLS projection with W = I / W = diag(number of bottom series under each node).
    - mint_shrink: W = Schäfer–Strimmer shrinkage covariance of ``residuals`` (``(n_all, T)``, in-sample
      or backtest errors, NaN allowed); trees whose residuals are unusable fall back to wls_struct with a
      ``ReconciliationWarning``.

    ``non_negative``: for ols/wls_struct/mint_shrink an exact projection onto the non-negative coherent set
    in the method's own metric (``scipy.optimize.nnls`` on the equivalent bottom-level problem, only for
    the horizons whose bottom level went negative); for bottom_up/top_down negative bottom values are set
    to zero and re-aggregated. Either way the output adds up and has no negative value.
    """
    return projection(hierarchy, method, residuals, proportions, history=history).apply(base, non_negative)


__all__ = [
    "METHODS",
    "Method",
    "Projection",
    "ReconciliationWarning",
    "historical_proportions",
    "projection",
    "reconcile",
    "shrinkage_covariance",
]
