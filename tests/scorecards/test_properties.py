"""Properties of the composite: monotone in every metric, reproducible from a seed; audit and weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.audit import audit
from forecasting.scorecards.catalogue import ScorecardError, load_catalogue
from forecasting.scorecards.composite import composite, load_weights
from forecasting.scorecards.normalise import METHODS, normalise, orient

C, M = 25, 8
MEMBERSHIP = np.array(
    [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]], float
)
SIGNS = np.array([1, 1, -1, 1, -1, 1, 1, 1], float)


def _score(values: np.ndarray, method: str, mw: np.ndarray, aw: np.ndarray) -> np.ndarray:
    return composite(normalise(orient(values, SIGNS), method, axis=0), mw, MEMBERSHIP, aw)[1]


@pytest.mark.parametrize("method", METHODS)
def test_improving_a_metric_never_lowers_the_cluster_score(method: str) -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        v = rng.normal(size=(C, M))
        v[rng.random((C, M)) < 0.05] = np.nan
        mw, aw = rng.uniform(0.2, 2, M), rng.uniform(0.2, 2, 3)
        c, m = rng.integers(C), rng.integers(M)
        if np.isnan(v[c, m]):
            continue
        before = _score(v, method, mw, aw)[c]
        v2 = v.copy()
        v2[c, m] += SIGNS[m] * rng.exponential(1.0)  # better: up if higher is better, down if lower is
        assert _score(v2, method, mw, aw)[c] >= before - 1e-12


def _run(seed: int) -> mc.MonteCarloResult:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(C, M))
    q = np.sort(rng.normal(size=(C, 11)), axis=1)
    fc = [mc.ForecastDraws(7, np.linspace(0.025, 0.975, 11), q, np.arange(C) % 4)]
    return mc.run(v, SIGNS, MEMBERSHIP, np.ones(M), np.ones(3), fc, draws=300, seed=seed)


def test_same_inputs_and_seed_give_identical_scores_and_ranks() -> None:
    a, b = _run(5), _run(5)
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    np.testing.assert_array_equal(a.median_rank, b.median_rank)
    assert not np.array_equal(a.scores, _run(6).scores)


def test_rank_intervals_are_ordered_and_tiers_respect_overlap() -> None:
    r = _run(5)
    assert np.all(r.rank_p05 <= r.median_rank) and np.all(r.median_rank <= r.rank_p95)
    tier, overlap = mc.tiers(r.median_rank, r.rank_p05, r.rank_p95)
    for i in range(C):
        for j in range(C):
            if tier[i] < tier[j]:  # different tiers never overlap
                assert r.rank_p95[i] < r.rank_p05[j]
        assert all(r.rank_p05[j] <= r.rank_p95[i] and r.rank_p05[i] <= r.rank_p95[j] for j in overlap[i])
    t, _ = mc.tiers(np.array([1, 2, 3, 4]), np.array([1, 1, 3, 3]), np.array([2, 2, 4, 4]))
    assert t.tolist() == [1, 1, 2, 2]


def test_forecast_draws_follow_the_quantile_curve() -> None:
    q = np.array([[0.0, 1.0, 2.0]])
    out = mc.sample_forecasts(
        np.zeros((1, 1)),
        [mc.ForecastDraws(0, np.array([0.1, 0.5, 0.9]), q, np.array([0]))],
        4000,
        np.random.default_rng(0),
    )
    assert abs(np.median(out) - 1.0) < 0.05 and out.min() >= 0.0 and out.max() <= 2.0


def test_audit_flags_redundant_and_opposing_metrics() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(size=C)
    norm = np.column_stack(
        [base, base + rng.normal(0, 0.01, C), base + rng.normal(0, 0.3, C), -base, rng.normal(size=C)]
    )
    a = audit(norm, ["a", "b", "c", "d", "e"], ["X", "X", "X", "X", "Y"], np.ones(5))
    assert any({p["a"], p["b"]} == {"a", "b"} for p in a.redundant)
    assert [p["metric"] for p in a.against_area] == ["d"]


def test_weights_file(tmp_path: Path) -> None:
    cat = load_catalogue()
    assert load_weights(None, cat).metric("employment") == 1.0
    f = tmp_path / "w.toml"
    f.write_text("[areas]\ninvestment_trends = 2\n[metrics]\nexports = 0\n")
    w = load_weights(f, cat)
    assert w.area("investment_trends") == 2.0 and w.metric("exports") == 0.0 and w.source == str(f)
    f.write_text("[metrics]\nnot_a_metric = 1\n")
    with pytest.raises(ScorecardError, match="unknown metrics"):
        load_weights(f, cat)


def test_catalogue_covers_the_five_areas_and_required_metrics() -> None:
    cat = load_catalogue()
    assert len(cat.areas) == 5 and {m.area for m in cat.metrics} == set(cat.areas)
    need = {
        "employment",
        "employment_growth",
        "location_quotient",
        "midlands_share",
        "business_count",
        "business_birth_rate",
        "high_growth_rate",
        "gva_per_job",
        "survival_rate_3y",
        "berd_intensity",
        "public_rd_intensity",
        "exports",
        "fdi_position",
        "fdi_position_growth",
        "domestic_investment_trend",
        "forecast_fdi_growth",
        "forecast_domestic_growth",
        "scenario_downside",
    }
    assert need <= set(cat.ids)
