"""Normalisation, weighting, aggregation and stars on numbers small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.scorecards import aggregate as agg
from forecasting.scorecards.composite import FLOOR, area_scores, composite, geometric, ranks
from forecasting.scorecards.normalise import minmax, normalise, orient, percentile, zscore
from forecasting.scorecards.stars import ratings, region_cluster_table

# clusters P, Q, R; metrics a (higher, area X), b (lower, area X), c (higher, area Y)
VALUES = np.array([[0.0, 2.0, 1.0], [5.0, 4.0, 1.0], [10.0, 0.0, 3.0]])
SIGNS = np.array([1.0, -1.0, 1.0])
MEMBERSHIP = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


def test_minmax_by_hand() -> None:
    n = minmax(orient(VALUES, SIGNS), axis=0)
    np.testing.assert_allclose(n[:, 0], [0, 0.5, 1])
    np.testing.assert_allclose(n[:, 1], [0.5, 0, 1])  # b oriented = [-2, -4, 0]
    np.testing.assert_allclose(n[:, 2], [0, 0, 1])


def test_zscore_is_phi_of_population_z() -> None:
    z = 5 / math.sqrt(50 / 3)
    phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    np.testing.assert_allclose(zscore(VALUES[:, :1], axis=0)[:, 0], [1 - phi, 0.5, phi], rtol=1e-12)


def test_percentile_mid_ranks_with_ties() -> None:
    np.testing.assert_allclose(percentile(VALUES, axis=0)[:, 0], [1 / 6, 3 / 6, 5 / 6])
    np.testing.assert_allclose(percentile(VALUES, axis=0)[:, 2], [1 / 3, 1 / 3, 2.5 / 3])


def test_missing_stays_missing_and_constant_is_neutral() -> None:
    x = np.array([[1.0], [np.nan], [3.0]])
    for m in ("minmax", "zscore", "percentile"):
        out = normalise(x, m, axis=0)
        assert np.isnan(out[1, 0]) and out[0, 0] < out[2, 0]
        assert np.all(normalise(np.ones((3, 1)), m, axis=0) == 0.5)


def test_arithmetic_within_area_geometric_across_with_floor() -> None:
    n = minmax(orient(VALUES, SIGNS), axis=0)
    a, s = composite(n, np.ones(3), MEMBERSHIP, np.ones(2))
    np.testing.assert_allclose(a[:, 0], [0.25, 0.25, 1.0])
    np.testing.assert_allclose(a[:, 1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(s, [math.sqrt(0.25 * FLOOR), math.sqrt(0.25 * FLOOR), 1.0])
    assert list(ranks(s)) == [2, 3, 1]  # ties keep cluster order


def test_metric_and_area_weights() -> None:
    n = minmax(orient(VALUES, SIGNS), axis=0)
    a = area_scores(n, np.array([3.0, 1.0, 1.0]), MEMBERSHIP)
    np.testing.assert_allclose(a[:, 0], [0.125, 0.375, 1.0])
    s = geometric(np.array([[0.25, 0.64]]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(s, [0.25**0.25 * 0.64**0.75])


def test_missing_metric_reweights_its_area() -> None:
    n = np.array([[0.2, np.nan, 0.5]])
    a = area_scores(n, np.array([1.0, 5.0, 1.0]), MEMBERSHIP)
    np.testing.assert_allclose(a, [[0.2, 0.5]])


def test_aggregation_rules_by_hand() -> None:
    shares = pd.DataFrame({"x": [0.1, 0.5], "y": [0.2, 0.0]}, index=["A", "B"])
    np.testing.assert_allclose(agg.apportion(pd.Series({"A": 100.0, "B": 10.0}), shares), [15.0, 20.0])
    w = pd.DataFrame({"x": [1.0, 3.0], "y": [1.0, 0.0]}, index=["A", "B"])
    np.testing.assert_allclose(agg.weighted_mean(pd.Series({"A": 10.0, "B": 20.0}), w), [17.5, 10.0])
    up = agg.roll_up_rates(
        pd.Series({"l1": 10.0, "l2": 20.0, "l3": 5.0}),
        pd.Series({"l1": 1.0, "l2": 3.0, "l3": 2.0}),
        {"l1": "P", "l2": "P", "l3": "Q"},
    )
    np.testing.assert_allclose(up.loc[["P", "Q"]], [17.5, 5.0])
    emp = pd.DataFrame({"x": [10.0, 30.0]}, index=["A", "B"])
    np.testing.assert_allclose(
        agg.employment_shares(emp, pd.Series({"A": 100.0, "B": 60.0}))["x"], [0.1, 0.5]
    )
    np.testing.assert_allclose(agg.sum_areas(emp, ["A", "B", "Z"]), [40.0])
    assert agg.cagr(100.0, 121.0, 2) == pytest.approx(10.0)


def test_stars_by_hand() -> None:
    # regions TLF, TLG (home -> MID), R1, R2; clusters x, y
    emp = pd.DataFrame(
        {"x": [50.0, 50.0, 10.0, 20.0], "y": [5.0, 5.0, 40.0, 30.0]}, index=["TLF", "TLG", "R1", "R2"]
    )
    total = pd.Series({"TLF": 500.0, "TLG": 500.0, "R1": 400.0, "R2": 400.0})
    e, t = region_cluster_table(emp, total, ["TLF", "TLG"])
    assert e.loc["MID"].tolist() == [100.0, 10.0] and t["MID"] == 1000.0
    lq = pd.Series({"x": 2.0, "y": 0.4})
    s = ratings(e, t, lq, pd.Series({"x": 0.5, "y": -1.0}), pd.Series({"x": 3.0, "y": 1.0}), 2.0)
    # size cut = 90th pct of [10,20,100,40,30,10] = 70 -> x yes; focus cut = 90th pct of shares
    # [0.025,0.05,0.1,0.1,0.075,0.01] = 0.1 -> MID x share 0.1 yes, y 0.01 no
    assert s["x"].as_dict() == {
        "size": True,
        "specialisation": True,
        "focus": True,
        "momentum": True,
        "count": 4,
        "label": "Size ★ · Specialisation ★ · Focus ★ · Momentum ★",
    }
    assert s["y"].as_dict() == {
        "size": False,
        "specialisation": False,
        "focus": False,
        "momentum": False,
        "count": 0,
        "label": "Size ☆ · Specialisation ☆ · Focus ☆ · Momentum ☆",
    }
    no_forecast = ratings(e, t, lq)["x"]
    assert no_forecast.momentum is None
    assert no_forecast.as_dict()["label"] == "Size ★ · Specialisation ★ · Focus ★ · Momentum –"
