"""group_share: a series as its share of its group's total, the total by drift (models/group_share.py)."""

from __future__ import annotations

import numpy as np

from models.base import Forecaster, make

Y = np.array([100.0, 103, 105, 110, 112, 118, 121, 125])
QS = (0.1, 0.5, 0.9)


def test_without_group_figures_it_is_drift() -> None:
    a = make("group_share").fit(Y).predict(3, quantiles=QS)
    b = make("drift").fit(Y).predict(3, quantiles=QS)
    assert np.allclose(a.mean, b.mean)
    assert all(np.allclose(a.quantiles[q], b.quantiles[q]) for q in QS)


def test_grows_with_its_groups_total_from_its_last_value() -> None:
    m = make("group_share", group_growth=[[Y.size, 0.01]]).fit(Y)
    fc = m.predict(3, quantiles=QS)
    assert np.allclose(fc.mean, Y[-1] * (1 + 0.01 * np.arange(1, 4)))
    # spread: the steps around the group-implied step, growing with the square root of the horizon
    sigma = np.sqrt(np.mean((np.diff(Y) - Y[-1] * 0.01) ** 2))
    assert np.allclose(fc.quantiles[0.9] - fc.mean, 1.2815515655 * sigma * np.sqrt(np.arange(1, 4)))


def test_reads_only_the_row_of_its_own_length() -> None:
    rows = [[Y.size - 1, 0.5], [Y.size + 1, 0.5]]  # an earlier and a later origin's figures
    got = make("group_share", group_growth=rows).fit(Y).predict(2).mean
    assert np.allclose(got, make("drift").fit(Y).predict(2).mean)
    m = make("group_share", group_growth=rows).fit(Y[:-1])  # the earlier origin reads its own row
    assert np.allclose(m.predict(1).mean, Y[-2] * 1.5)


def test_state_round_trip_and_non_positive_series_fall_back_to_drift() -> None:
    m = make("group_share", group_growth=[[Y.size, 0.01]]).fit(Y)
    back = Forecaster.from_state(m.get_state())
    assert np.allclose(back.predict(3).mean, m.predict(3).mean)
    z = np.append(Y[:-1] - 110, -1.0)  # a share needs a positive last value: plain drift
    got = make("group_share", group_growth=[[z.size, 0.01]]).fit(z).predict(2).mean
    assert np.allclose(got, make("drift").fit(z).predict(2).mean)
