"""pooled_drift: drift with its relative slope shrunk toward its group's (models/pooled_drift.py)."""

from __future__ import annotations

import numpy as np

from models.base import Forecaster, make

Y = np.array([100.0, 103, 105, 110, 112, 118, 121, 125])


def test_without_group_figures_it_is_drift() -> None:
    a = make("pooled_drift").fit(Y).predict(3, quantiles=(0.1, 0.5, 0.9))
    b = make("drift").fit(Y).predict(3, quantiles=(0.1, 0.5, 0.9))
    assert np.allclose(a.mean, b.mean)
    assert all(np.allclose(a.quantiles[q], b.quantiles[q]) for q in b.quantiles)


def test_no_between_series_spread_takes_the_groups_slope() -> None:
    # tau2 = 0: the series' own slope is all noise beside the group's, which is taken whole
    m = make("pooled_drift", group_slope=[[Y.size, 0.01, 0.0]]).fit(Y)
    assert np.allclose(m.predict(2).mean, Y[-1] * (1 + 0.01 * np.arange(1, 3)))


def test_shrinkage_weight_follows_the_variances() -> None:
    d = np.diff(Y)
    own, v = d.mean() / Y[-1], np.var(d, ddof=1) / d.size / Y[-1] ** 2
    for tau2 in (v / 4, v, 4 * v):
        b = v / (v + tau2)
        m = make("pooled_drift", group_slope=[[Y.size, 0.0, tau2]]).fit(Y)
        assert np.isclose(m.predict(1).mean[0], Y[-1] * (1 + (1 - b) * own))


def test_reads_only_the_row_of_its_own_length() -> None:
    rows = [[Y.size - 1, 0.5, 0.0], [Y.size + 1, 0.5, 0.0]]  # an earlier and a later origin's figures
    a = make("pooled_drift", group_slope=rows).fit(Y).predict(2).mean
    assert np.allclose(a, make("drift").fit(Y).predict(2).mean)


def test_state_round_trip_and_non_positive_series_fall_back_to_drift() -> None:
    m = make("pooled_drift", group_slope=[[Y.size, 0.01, 0.0]]).fit(Y)
    back = Forecaster.from_state(m.get_state())
    assert np.allclose(back.predict(3).mean, m.predict(3).mean)
    z = np.append(Y[:-1] - 110, -1.0)  # a relative slope needs a positive last value: plain drift
    got = make("pooled_drift", group_slope=[[z.size, 0.01, 0.0]]).fit(z).predict(2).mean
    assert np.allclose(got, make("drift").fit(z).predict(2).mean)
