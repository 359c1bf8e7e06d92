"""Input-data error in the Monte Carlo: rounding, revisions, replicates, and honest rank intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scorecard_world import make_bundle

from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.build import build_scorecards
from forecasting.scorecards.catalogue import load_catalogue
from forecasting.scorecards.input_error import revision_size, rounding_draw
from forecasting.scorecards.uncertainty import interval_coverage, redrawn_headline_ranks


def test_open_bres_values_lie_on_the_catalogue_rounding_grid(shared_data: Path) -> None:
    """The grid the Monte Carlo draws from is the one the published file is rounded to."""
    spec = load_catalogue().input("bres_employment")
    for name in (
        "bres_itl2_employment_sic5digit_2015_2021.csv.gz",
        "bres_itl2_employment_sic2digit_2015_2021.csv",
    ):
        v = pd.read_csv(shared_data / "bres_itl2" / name, usecols=["COUNT"])["COUNT"].dropna().to_numpy()
        steps = np.array([spec.step(x) for x in v])
        assert np.all(np.mod(v, steps) == 0), name
        assert {spec.step(x) for x in v} == {s for _, s in spec.grid}  # every step of the grid is used


def test_rounding_draws_stay_within_half_a_step() -> None:
    spec = load_catalogue().input("bres_employment")
    v = np.array([0.0, 5.0, 50.0, 75.0, 300.0, 700.0, 1250.0, 3000.0, 28000.0] * 2000)
    d = rounding_draw(v, spec, np.random.default_rng(1))
    steps = np.array([spec.step(x) for x in v])
    assert np.all(np.abs(d - v) <= steps / 2 + 1e-9) and np.all(d >= 0)
    assert np.all(d[v == 0] < 2.5)
    big = v == 28000.0
    assert abs(np.std(d[big] - v[big]) - 1000 / np.sqrt(12)) < 15  # uniform over one step of 1,000


def test_revision_size_from_two_releases_by_hand() -> None:
    """Old release at ITL1; new release at ITL2 summed to ITL1; MAD-based sd of the relative revisions."""
    itl1_of = {"TLF1": "TLF", "TLF2": "TLF", "TLG1": "TLG"}
    rows = []
    revisions = {
        ("TLF", "sic-29"): 0.02,
        ("TLG", "sic-29"): -0.04,
        ("TLF", "sic-10"): 0.01,
        ("TLG", "sic-10"): 0.03,
    }
    for (region, sl), rev in revisions.items():
        kids = [k for k, r in itl1_of.items() if r == region]
        for y in (2019, 2020, 2021):
            old = 100.0
            rows.append((region, sl, y, old, "2023-04-25"))
            for k in kids:
                rows.append((k, sl, y, old * (1 + rev) / len(kids), "2024-04-24"))
    df = pd.DataFrame(rows, columns=["geography", "cluster", "year", "value", "release"])
    df["period"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    size = revision_size(df, itl1_of)
    assert size.n == 12 and size.years == (2019, 2020, 2021)
    rel = np.abs(list(revisions.values()))
    assert size.pooled == pytest.approx(1.4826 * np.median(np.repeat(rel, 3)))
    assert size.by_slice["sic-29"] == pytest.approx(1.4826 * np.median([0.02, 0.04] * 3))


def test_monte_carlo_draws_cycle_through_input_replicates() -> None:
    reps = np.stack([np.full((3, 1), float(k)) for k in range(4)])
    out = mc.sample_forecasts(reps, [], 10, np.random.default_rng(0))
    assert out[:, 0, 0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]


def test_replicates_recompute_affected_metrics(built) -> None:
    sset, _ = built
    reps_differ = sset.values.to_numpy(float)
    # the first replicate is the published data; re-drawn BRES moves employment but not forecasts
    from forecasting.scorecards.uncertainty import input_replicates

    reps = input_replicates(sset.context, sset.error_model, sset.scored, reps_differ, 3, 99)
    j_emp = sset.scored.index("employment")
    np.testing.assert_array_equal(reps[0], reps_differ)
    assert not np.allclose(reps[1][:, j_emp], reps[0][:, j_emp])
    for j, m in enumerate(sset.scored):  # forecasts draw from their quantiles, not from the replicates
        if sset.catalogue.get(m).aggregation in ("forecast", "scenario"):
            np.testing.assert_array_equal(reps[1][:, j], reps[0][:, j])
    ratio = [m for m in ("location_quotient", "gva_per_job") if m in sset.scored][0]
    j = sset.scored.index(ratio)
    assert np.abs(reps[1][:, j] / reps[0][:, j] - 1).max() < 0.1  # rounding noise, not a different ratio


def test_published_rank_intervals_cover_ranks_under_redrawn_inputs(built) -> None:
    """Independently re-drawn inputs (and forecasts): the headline rank lands inside the published 5-95%
    interval in at least 90% of draws, pooled and for every cluster."""
    sset, _ = built
    cov = interval_coverage(sset, n=80, seed=424242)
    assert cov["pooled"] >= 0.9, cov
    assert cov["min_cluster"] >= 0.9, cov


def test_basket_uncertainty_widens_the_rank_intervals(inputs) -> None:
    """Basket variants (a SIC group left out, a shared code's share moved) inside the replicates make the
    rank intervals wider than input-data error alone; the headline ranks do not change."""
    kw = {"draws": 300, "replicates": 30, "inputs": inputs}
    on = build_scorecards("unused", make_bundle(), None, 5, basket_uncertainty=True, **kw)
    off = build_scorecards("unused", make_bundle(), None, 5, basket_uncertainty=False, **kw)
    assert on.scored == off.scored
    pd.testing.assert_series_equal(on.rank, off.rank)
    width_on = (on.mc.rank_p95 - on.mc.rank_p05).mean()
    width_off = (off.mc.rank_p95 - off.mc.rank_p05).mean()
    assert width_on > width_off + 0.5, (width_on, width_off)
    assert ((on.mc.rank_p95 - on.mc.rank_p05) >= (off.mc.rank_p95 - off.mc.rank_p05) - 1).all()


def test_measurement_noise_is_not_stretched_by_normalisation() -> None:
    """Two clusters 0.013 apart on a metric measured to +-0.05 are not put at 0 and 100."""
    from forecasting.scorecards.normalise import METHODS, normalise

    x = np.array([[0.218], [0.231], [0.225]])
    for method in METHODS:
        plain = normalise(x, method, axis=0)
        aware = normalise(x, method, axis=0, noise=np.array([0.05]))
        assert np.ptp(aware) < 0.25 * max(np.ptp(plain), 1e-9) or np.ptp(aware) == 0, method
        big = np.array([[0.0], [1.0], [0.5]])
        np.testing.assert_allclose(
            normalise(big, method, axis=0, noise=np.array([0.01])), normalise(big, method, axis=0)
        )


def test_intervals_without_input_error_would_not_cover(inputs) -> None:
    """The check can fail: with weights and normalisation fixed, intervals that ignore input-data error
    (one replicate) are points and miss the re-drawn ranks; with input replicates they cover them."""
    kw = {"draws": 400, "inputs": inputs}
    saved = mc.run.__kwdefaults__.copy()
    try:
        mc.run.__kwdefaults__.update(weight_spread=0.0, methods=("minmax",))
        narrow = build_scorecards("unused", make_bundle(), None, 3, replicates=1, **kw)
        honest = build_scorecards("unused", make_bundle(), None, 3, replicates=60, **kw)
    finally:
        mc.run.__kwdefaults__.update(saved)
    ranks = redrawn_headline_ranks(honest, 60, 77)

    def coverage(s) -> float:
        return float(((ranks >= s.mc.rank_p05) & (ranks <= s.mc.rank_p95)).mean())

    assert coverage(honest) >= 0.9
    assert coverage(narrow) < coverage(honest) - 0.05
