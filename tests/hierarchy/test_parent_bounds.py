"""A child's bands are capped at its parent's when its siblings are bounded at 0 (hierarchy.bounds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.evaluation import bands
from forecasting.hierarchy.bounds import parent_caps

PERIODS = list(pd.to_datetime(["2025-01-01", "2026-01-01", "2027-01-01"]))
EDGES = pd.DataFrame({"parent_id": ["UK", "UK"], "child_id": ["A", "B"]})


def q(lo: list[float], mid: list[float], hi: list[float]) -> dict[float, np.ndarray]:
    return {0.1: np.array(lo, float), 0.5: np.array(mid, float), 0.9: np.array(hi, float)}


def quantiles() -> dict[str, dict[float, np.ndarray]]:
    return {
        "UK": q([80, 82, 84], [100, 104, 108], [120, 126, 132]),
        "A": q([10, 12, 14], [60, 70, 80], [110, 130, 150]),  # upper band above the UK's from step 2
        "B": q([5, 5, 5], [30, 31, 32], [50, 55, 60]),
    }


def test_child_above_its_parent_is_capped_with_the_reason() -> None:
    qs = quantiles()
    caps = parent_caps(qs, dict.fromkeys(qs, PERIODS), EDGES, {"A": True, "B": True})
    assert set(caps) == {"A"}  # B never exceeds the UK
    cap = caps["A"]
    assert cap.parent == "UK" and cap.capped_steps == 2
    assert "UK" in cap.note and "bounded at 0" in cap.note and "2 of 3 steps" in cap.note
    out = bands.enforce(qs["A"], floor=0.0, ceiling=cap.ceiling)
    assert np.all(out[0.9] <= qs["UK"][0.9] + 1e-9)  # capped where it was above
    assert out[0.9][0] == 110  # step 1 was below the UK's 120: untouched
    w = out[0.9] - out[0.1]
    assert np.all(np.diff(w) >= -1e-9)  # still never narrowing: widened downward instead
    assert np.all(out[0.1] <= out[0.5]) and np.all(out[0.5] <= out[0.9])


def test_child_of_a_measure_not_floored_is_untouched() -> None:
    qs = quantiles()
    assert parent_caps(qs, dict.fromkeys(qs, PERIODS), EDGES, {"A": False, "B": False}) == {}
    # one sibling that may be negative is enough: the child may then exceed the parent
    assert parent_caps(qs, dict.fromkeys(qs, PERIODS), EDGES, {"A": True, "B": False}) == {}


def test_caps_align_on_periods_and_run_top_down() -> None:
    qs = quantiles()
    qs["A1"] = q([0, 0, 0], [50, 60, 200], [150, 160, 400])
    qs["A2"] = q([0, 0, 0], [1, 1, 1], [2, 2, 2])
    edges = pd.concat([EDGES, pd.DataFrame({"parent_id": ["A", "A"], "child_id": ["A1", "A2"]})])
    periods = dict.fromkeys(qs, PERIODS)
    periods["A1"] = PERIODS[1:] + [pd.Timestamp("2028-01-01")]  # one period later than its parent
    caps = parent_caps(qs, periods, edges, dict.fromkeys(qs, True))
    top = caps["A1"].ceiling[0.9]
    # A1's first two steps are A's last two, A's already capped at the UK's (126, 132); no parent in 2028
    assert np.allclose(top[:2], [126, 132]) and np.isinf(top[2])


def test_ceiling_gives_way_to_never_narrowing_when_there_is_no_room() -> None:
    qs = {0.1: np.array([0.0, 0.0]), 0.9: np.array([10.0, 10.0])}
    out = bands.enforce(qs, floor=0.0, ceiling={0.1: np.array([0.0, 0.0]), 0.9: np.array([10.0, 5.0])})
    assert np.allclose(out[0.9], [10, 10])  # floor below, ceiling above: the width is kept
