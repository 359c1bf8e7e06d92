"""Conditional forecasts from the bundle's macro block (a VAR estimated at training time).

How a scenario conditions the VAR: the scenario fixes the deviation of some variables from their
baseline (World FDI growth, the UK flows' share of GDP, business investment growth ...) in some years.
Deviations from the baseline path are y_dev[h] = sum_j Psi_j u[h - j] with the innovations u ~ N(0,
sigma); only the innovations of the scenario's own years are free (the scenario is news when it happens,
so nothing moves before it starts). The conditional mean of those innovations given R y_dev = delta is
Omega M_R' (M_R Omega M_R')^-1 delta (Gaussian conditioning; Waggoner and Zha's hard conditions), and
y_dev = M u*. Because it is linear in delta, the response splits exactly into one part per condition,
which is the decomposition by assumption. Parameter uncertainty: (A, sigma) drawn from the flat-prior
posterior (sigma inverse Wishart, coefficients matrix normal) and the same conditions applied per draw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from forecasting.registry.schema import MacroBlock
from forecasting.statistics import shrink_toward


@dataclass(frozen=True)
class Condition:
    """The deviation of ``variable`` in year index ``h`` (1 = the year after the VAR sample).

    ``value`` is the central deviation, ``draws`` one value per draw (None: the same in every draw);
    ``parts`` splits it among the scenario assumptions it comes from (fractions summing to one).
    """

    variable: str
    h: int
    value: float
    draws: np.ndarray | None
    parts: Mapping[str, float]


@dataclass(frozen=True)
class MacroModel:
    """The block's arrays, read once per bundle (read-only numpy)."""

    names: tuple[str, ...]
    transforms: Mapping[str, str]
    series: Mapping[str, tuple[str, ...]]
    units: Mapping[str, str]
    lags: int
    coefs: np.ndarray  # p x k x k
    sigma: np.ndarray
    b_hat: np.ndarray  # m x k stacked [const; lag blocks; exog]
    xtx_inv: np.ndarray
    resid_cross: np.ndarray
    dof: int
    last_year: int
    estimates: Mapping[tuple[str, str], str]  # (target, condition) -> the channel's estimate in words
    weights: Mapping[tuple[str, str], float]  # (target, condition) -> evidence weight in [0, 1]
    notes: tuple[str, ...]
    _cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_block(cls, block: MacroBlock) -> MacroModel:
        names = tuple(v.name for v in block.variables)
        k, p = len(names), block.lags
        coefs = np.asarray(block.coefs, dtype=float).reshape(p, k, k)
        exog = np.asarray(block.exog_coefs, dtype=float).reshape(k, -1)
        b_hat = np.vstack([np.asarray(block.intercept)[None, :], *[coefs[j].T for j in range(p)], exog.T])
        estimates = {
            (lk.target, lk.condition): (
                f"{lk.coefficient:.4g} (se {lk.se:.2g}, 95% interval {lk.ci_lo:.3g} to {lk.ci_hi:.3g})"
            )
            for lk in block.links
        }
        weights = channel_weights(block)
        arrays = [
            coefs,
            np.asarray(block.sigma),
            b_hat,
            np.asarray(block.xtx_inv),
            np.asarray(block.resid_cross),
        ]
        for a in arrays:
            a.setflags(write=False)
        return cls(
            names=names,
            transforms={v.name: v.transform for v in block.variables},
            series={v.name: tuple(v.series_ids) for v in block.variables},
            units={v.name: v.unit for v in block.variables},
            lags=p,
            coefs=arrays[0],
            sigma=arrays[1],
            b_hat=arrays[2],
            xtx_inv=arrays[3],
            resid_cross=arrays[4],
            dof=block.dof,
            last_year=block.last_year,
            estimates=estimates,
            weights=weights,
            notes=tuple(block.notes),
        )

    @property
    def k(self) -> int:
        return len(self.names)

    def draws(self, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(coefs (n, p, k, k), sigma (n, k, k)) from the posterior; stable (explosive draws re-drawn)."""
        key = (seed, n)
        if key in self._cache:
            return self._cache[key]
        rng = np.random.default_rng([seed, 0x6D6163])
        k, p = self.k, self.lags
        nu = self.dof + k + 1  # inverse-Wishart mean = resid'resid / dof = sigma
        chol_x = np.linalg.cholesky(self.xtx_inv)
        coefs, sigmas = np.empty((n, p, k, k)), np.empty((n, k, k))
        i = tries = 0
        while i < n and tries < 20 * n:
            tries += 1
            s = stats.invwishart.rvs(df=nu, scale=self.resid_cross, random_state=rng)
            s = np.atleast_2d(s)
            b = self.b_hat + chol_x @ rng.standard_normal(self.b_hat.shape) @ np.linalg.cholesky(s).T
            a = np.stack([b[1 + j * k : 1 + (j + 1) * k].T for j in range(p)])
            if _spectral_radius(a) >= 1:
                continue
            coefs[i], sigmas[i] = a, s
            i += 1
        if i < n:  # a block whose posterior is mostly explosive: keep the point estimate for the rest
            coefs[i:], sigmas[i:] = self.coefs, self.sigma
        self._cache[key] = (coefs, sigmas)
        return coefs, sigmas


def channel_weights(block: MacroBlock) -> dict[tuple[str, str], float]:
    """Each channel's evidence weight tau^2 / (tau^2 + se^2), tau^2 estimated across the block's channels.

    Channels respond in different units (% per %, % per point of GDP), so each response and its se are put
    in standard-deviation units first (x sd of the condition's innovation / sd of the response's); tau^2
    around zero is the moment estimate across them (``forecasting.statistics.shrink_toward``). A channel
    whose response is small relative to its se contributes almost nothing, none is dropped by a test."""
    names = [v.name for v in block.variables]
    sd = np.sqrt(np.clip(np.diag(np.asarray(block.sigma, dtype=float)), 1e-300, None))
    rows = [lk for lk in block.links if lk.target in names and lk.condition in names and lk.se > 0]
    if not rows:
        return {}
    f = np.array([sd[names.index(lk.condition)] / sd[names.index(lk.target)] for lk in rows])
    b = np.array([lk.coefficient for lk in rows]) * f
    se = np.array([lk.se for lk in rows]) * f
    got = shrink_toward(b, se, 0.0)
    return {(lk.target, lk.condition): float(w) for lk, w in zip(rows, got.weight, strict=True)}


def _spectral_radius(a: np.ndarray) -> float:
    p, k = a.shape[0], a.shape[1]
    comp = np.zeros((k * p, k * p))
    comp[:k] = np.hstack(list(a))
    if p > 1:
        comp[k:, :-k] = np.eye(k * (p - 1))
    return float(np.max(np.abs(np.linalg.eigvals(comp))))


def ma_coefficients(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """Psi_0 .. Psi_{H-1} of a VAR, batched: coefs (..., p, k, k) -> (..., H, k, k)."""
    lead = coefs.shape[:-3]
    p, k = coefs.shape[-3], coefs.shape[-1]
    psi = np.zeros((*lead, horizon, k, k))
    psi[..., 0, :, :] = np.eye(k)
    for h in range(1, horizon):
        acc = np.zeros((*lead, k, k))
        for j in range(1, min(p, h) + 1):
            acc += psi[..., h - j, :, :] @ coefs[..., j - 1, :, :]
        psi[..., h, :, :] = acc
    return psi


@dataclass(frozen=True)
class Response:
    """Deviations from baseline in the VAR's transformed units, per variable, year and draw, split by
    (conditioning variable, assumption): ``parts[(variable, label)] = (central (k, H), draws (n, k, H))``.
    The total is their sum; a caller weights each channel's part by its evidence."""

    years: tuple[int, ...]
    parts: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]]

    def total(self, keep: Callable[[str, str], bool] = lambda v, a: True) -> tuple[np.ndarray, np.ndarray]:
        kept = [v for key, v in self.parts.items() if keep(*key)]
        if not kept:
            first = next(iter(self.parts.values()))
            return np.zeros_like(first[0]), np.zeros_like(first[1])
        return sum(c for c, _ in kept), sum(d for _, d in kept)


def condition(
    model: MacroModel, conditions: Sequence[Condition], horizon: int, seed: int, n_draws: int
) -> Response | None:
    """The conditional response to ``conditions`` over years 1..``horizon`` (None when nothing is set)."""
    conds = [c for c in conditions if 1 <= c.h <= horizon]
    moving = [c for c in conds if c.value != 0 or (c.draws is not None and np.any(c.draws != 0))]
    if not moving:
        return None
    k = model.k
    start = min(c.h for c in moving)
    free = horizon - start + 1  # innovations of the scenario's own years
    conds = [c for c in conds if c.h >= start]
    rows = np.array([(c.h - 1) * k + model.names.index(c.variable) for c in conds])
    coefs, sigmas = model.draws(seed, n_draws)
    all_coefs = np.concatenate([model.coefs[None], coefs])
    all_sigma = np.concatenate([model.sigma[None], sigmas])
    psi = ma_coefficients(all_coefs, horizon)  # (1+n, H, k, k)
    n = all_coefs.shape[0]
    # M maps the free innovations (years start..H) to deviations (years 1..H): block (h, tau) = Psi_{h-tau}
    m = np.zeros((n, horizon * k, free * k))
    for h in range(start - 1, horizon):
        for tau in range(start - 1, h + 1):
            m[:, h * k : (h + 1) * k, (tau - start + 1) * k : (tau - start + 2) * k] = psi[:, h - tau]
    omega = np.zeros((n, free * k, free * k))
    for tau in range(free):
        omega[:, tau * k : (tau + 1) * k, tau * k : (tau + 1) * k] = all_sigma
    mr = m[:, rows, :]  # (n, c, free k)
    om_mr = omega @ np.swapaxes(mr, 1, 2)  # (n, free k, c)
    gain = m @ om_mr @ np.linalg.pinv(mr @ om_mr)  # (n, H k, c)
    parts: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for j, c in enumerate(conds):
        d = np.full(n_draws, c.value) if c.draws is None else np.asarray(c.draws, dtype=float)
        cen = (gain[0, :, j] * c.value).reshape(horizon, k).T
        drw = (gain[1:, :, j] * d[:, None]).reshape(n_draws, horizon, k).transpose(0, 2, 1)
        for label, frac in (c.parts or {"": 1.0}).items():
            key = (c.variable, label)
            a, b = parts.get(key, (0.0, 0.0))
            parts[key] = (a + frac * cen, b + frac * drw)
    years = tuple(model.last_year + h for h in range(1, horizon + 1))
    return Response(years, parts)


def level_deviation(transform: str, dev: np.ndarray) -> np.ndarray:
    """Transformed deviations (..., H) -> relative level deviations (dlog) or the deviations (shares)."""
    if transform == "dlog":
        return np.expm1(np.cumsum(dev, axis=-1) / 100)
    return dev


def transformed_deviation(transform: str, rel: np.ndarray) -> np.ndarray:
    """Relative level deviations (..., H) -> the VAR's dlog deviations (100 x change in log deviation)."""
    if transform != "dlog":
        return rel
    logdev = np.log1p(np.maximum(rel, -0.999999))
    prev = np.concatenate([np.zeros_like(logdev[..., :1]), logdev[..., :-1]], axis=-1)
    return 100 * (logdev - prev)


def interval_excludes_zero(x: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Per column of draws ``x`` (n, ...): does the central ``level`` interval exclude zero?"""
    a = (1 - level) / 2
    lo, hi = np.quantile(x, [a, 1 - a], axis=0)
    return (lo > 0) | (hi < 0)


def describe(model: MacroModel) -> str:
    k = model.k
    return f"VAR({model.lags}) in {', '.join(model.names)} (k={k}, dof {model.dof}, to {model.last_year})"


__all__ = [
    "Condition",
    "MacroModel",
    "Response",
    "condition",
    "describe",
    "interval_excludes_zero",
    "level_deviation",
    "ma_coefficients",
    "transformed_deviation",
]
