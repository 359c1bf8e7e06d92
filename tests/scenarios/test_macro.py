"""The macro block: estimated on a synthetic VAR with known coefficients, stored JSON-safe, conditioned on a
scenario path exactly as Gaussian conditioning says, responding only in the scenario's own years, split by
assumption, and holding a response the data cannot identify at zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scen_data import WLD

from forecasting.registry.schema import BundleMetadata, MacroBlock
from forecasting.scenarios.macro import (
    Condition,
    MacroModel,
    condition,
    level_deviation,
    ma_coefficients,
    transformed_deviation,
)
from forecasting.training.macro import BUSINESS_INVESTMENT, estimate_macro

GDP = "uk_gdp_cp_sa.UK.all.Q"
A_TRUE = np.array([[0.2, 0.0, 0.0], [0.15, 0.3, 0.0], [0.05, 0.1, 0.4]])  # world, bi, gdp (dlog x 100)


def _synthetic_panel(n_years: int = 150, seed: int = 4, link: bool = True) -> pd.DataFrame:
    """World FDI, quarterly business investment and quarterly GDP from a known VAR(1) in growth rates."""
    rng = np.random.default_rng(seed)
    sigma = (
        np.array([[100.0, 12.0, 2.0], [12.0, 16.0, 2.0], [2.0, 2.0, 1.0]])
        if link
        else np.diag([100.0, 16.0, 1.0])
    )
    a = A_TRUE if link else np.diag(np.diag(A_TRUE))
    chol = np.linalg.cholesky(sigma)
    y = np.zeros((n_years, 3))
    for t in range(1, n_years):
        y[t] = (
            np.array([3.0, 2.0, 4.0]) + a @ (y[t - 1] - np.array([3.0, 2.0, 4.0])) + chol @ rng.normal(size=3)
        )
    years = np.arange(1870, 1870 + n_years)
    levels = 100 * np.exp(np.cumsum(y / 100, axis=0))
    rows = [
        (WLD, "A", pd.Timestamp(int(yr), 1, 1), 1e12 * v) for yr, v in zip(years, levels[:, 0], strict=True)
    ]
    for sid, col in ((BUSINESS_INVESTMENT, 1), (GDP, 2)):
        for yr, v in zip(years, levels[:, col], strict=True):
            rows += [(sid, "Q", pd.Timestamp(int(yr), m, 1), 1e3 * v / 4) for m in (1, 4, 7, 10)]
    df = pd.DataFrame(rows, columns=["series_id", "frequency", "period", "value"])
    df["measure"] = df["series_id"].str.split(".").str[0]
    return df


@pytest.fixture(scope="module")
def block() -> MacroBlock:
    panel = _synthetic_panel()
    out = estimate_macro(panel, None, set(panel["series_id"]), shock_years=(), seed=1)
    assert out.block is not None, out.reason
    return out.block


def test_estimates_recover_the_known_var(block) -> None:
    assert [v.name for v in block.variables] == ["world_fdi", "uk_bi", "uk_gdp"]
    a = np.asarray(block.coefs)[0]
    se = np.sqrt(np.outer(np.diag(np.asarray(block.sigma)), np.diag(np.asarray(block.xtx_inv))[1:4]))
    assert np.all(np.abs(a - A_TRUE) < 3 * se + 0.05)
    ident = {(lk.target, lk.condition): lk for lk in block.links}
    assert ident[("uk_bi", "world_fdi")].identified  # BI responds to World FDI in the true process


def test_block_is_json_safe(block) -> None:
    md = BundleMetadata(data_vintage="v", experiment="e", seed=1, trained_at="t", max_horizon=5, macro=block)
    again = BundleMetadata.model_validate_json(md.model_dump_json())
    assert again.macro == block


def _toy(rho: float = 0.6, sigma_b: float = 2.0, a: np.ndarray | None = None) -> MacroModel:
    """A 2-variable VAR(1) with known sigma: world (dlog) and bi (dlog)."""
    sig = np.array([[1.0, rho * sigma_b], [rho * sigma_b, sigma_b**2]])
    a = np.zeros((2, 2)) if a is None else a
    from forecasting.registry.schema import MacroLink, MacroVariable

    blk = MacroBlock(
        variables=[
            MacroVariable(name="world_fdi", series_ids=[WLD], transform="dlog", unit="%"),
            MacroVariable(name="uk_bi", series_ids=[BUSINESS_INVESTMENT], transform="dlog", unit="%"),
        ],
        lags=1,
        years=list(range(2000, 2023)),
        intercept=[0.0, 0.0],
        coefs=[a.tolist()],
        sigma=sig.tolist(),
        resid_cross=(sig * 400).tolist(),
        xtx_inv=(np.eye(3) / 400).tolist(),
        dof=400,
        last_year=2022,
        links=[
            MacroLink(
                target="uk_bi",
                condition="world_fdi",
                coefficient=rho,
                se=0.1,
                ci_lo=rho - 0.2,
                ci_hi=rho + 0.2,
                identified=True,
                n_obs=20,
            )
        ],
    )
    return MacroModel.from_block(blk)


def test_conditioning_is_gaussian_conditioning_and_starts_with_the_scenario() -> None:
    m = _toy(rho=0.6, sigma_b=2.0)
    conds = [Condition("world_fdi", 3, -10.0, None, {"world": 1.0})]
    resp = condition(m, conds, 5, seed=1, n_draws=50)
    cen, _ = resp.total()
    # with no dynamics, bi moves by cov/var x the condition in that year only
    assert cen[1, 2] == pytest.approx(0.6 * 2.0 * -10.0)
    assert np.allclose(cen[:, :2], 0) and np.allclose(cen[1, 3:], 0)  # nothing before the scenario starts
    assert cen[0, 2] == pytest.approx(-10.0)


def test_response_is_linear_and_splits_by_assumption() -> None:
    m = _toy(a=np.array([[0.3, 0.0], [0.4, 0.2]]))
    c1 = [
        Condition("world_fdi", 2, -5.0, None, {"a": 1.0}),
        Condition("world_fdi", 3, -2.0, None, {"b": 1.0}),
    ]
    r = condition(m, c1, 5, seed=1, n_draws=20)
    total, _ = r.total()
    parts = {k: v[0] for k, v in r.parts.items()}
    assert np.allclose(parts[("world_fdi", "a")] + parts[("world_fdi", "b")], total)
    r2 = condition(
        m, [Condition(c.variable, c.h, 2 * c.value, None, c.parts) for c in c1], 5, seed=1, n_draws=20
    )
    assert np.allclose(r2.total()[0], 2 * total)
    # dynamics carry the response beyond the conditioned years
    assert abs(total[1, 4]) > 0


def test_parameter_draws_are_seeded_and_stable() -> None:
    m = _toy(a=np.array([[0.3, 0.0], [0.4, 0.2]]))
    a1, s1 = m.draws(7, 30)
    a2, s2 = _toy(a=np.array([[0.3, 0.0], [0.4, 0.2]])).draws(7, 30)
    assert np.array_equal(a1, a2) and np.array_equal(s1, s2)
    psi = ma_coefficients(a1[:, None] if a1.ndim == 3 else a1, 6)
    assert np.all(np.isfinite(psi))


def test_level_and_growth_deviations_round_trip() -> None:
    rel = np.array([0.0, -0.2, -0.133, -0.067, 0.0])
    assert np.allclose(level_deviation("dlog", transformed_deviation("dlog", rel)), rel)


def test_no_signal_block_identifies_nothing() -> None:
    panel = _synthetic_panel(link=False, seed=9)
    out = estimate_macro(panel, None, set(panel["series_id"]), shock_years=(), seed=1)
    assert out.block is not None
    bi_world = next(lk for lk in out.block.links if lk.target == "uk_bi" and lk.condition == "world_fdi")
    assert not bi_world.identified and bi_world.ci_lo < 0 < bi_world.ci_hi
    rows = [r for r in out.rows if r["target_id"] == BUSINESS_INVESTMENT and r["driver_id"] == WLD]
    assert rows and "every channel" in rows[0]["note"] and "none dropped by a test" in rows[0]["note"]


def test_too_short_a_sample_is_refused_with_a_reason() -> None:
    panel = _synthetic_panel(n_years=12)
    out = estimate_macro(panel, None, set(panel["series_id"]))
    assert out.block is None and "years" in out.reason
