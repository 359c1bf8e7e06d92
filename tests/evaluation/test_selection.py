"""Selection picks the best by the metric, combines the best k and records every candidate's scores."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.evaluation.backtest import BacktestResult, Window
from forecasting.evaluation.selection import combine, score, select


def _bt(name: str, offset: float) -> BacktestResult:
    windows = []
    for o in (5, 6, 7):
        actual = np.array([10.0, 11.0])
        mean = actual + offset
        qs = {0.1: mean - 1, 0.5: mean, 0.9: mean + 1}
        windows.append(Window(o, mean, qs, actual, 1.0, 1.0))
    return BacktestResult(name, 2, windows)


def _candidates() -> dict[str, BacktestResult]:
    return {"a": _bt("a", 3.0), "b": _bt("b", -1.0), "c": _bt("c", 2.0)}


def test_best_single_and_scores_recorded() -> None:
    choice, bt = select(_candidates(), metric="mase", strategy="best")
    assert choice.method == "b" and choice.how == "single" and bt.method == "b"
    assert set(choice.scores) == {"a", "b", "c"}
    assert choice.scores["b"]["mase"] == pytest.approx(1.0)
    assert choice.scores["a"]["mase"] == pytest.approx(3.0)


def test_mean_of_best_k_keeps_candidate_order() -> None:
    choice, bt = select(_candidates(), strategy="mean", k=2)
    assert choice.members == ("b", "c") and choice.how == "mean"
    assert choice.method == "combo(b,c)"
    assert bt.windows[0].mean == pytest.approx([10.5, 11.5])
    assert choice.scores["combo(b,c)"]["mase"] == pytest.approx(0.5)


def test_best_any_can_choose_a_combination() -> None:
    choice, _ = select(_candidates(), strategy="best_any")
    assert choice.method == "combo(b,c)"  # offsets -1 and 2 -> 0.5, better than any single
    assert {"a", "b", "c", "combo(b,c)", "combo(a,b,c)", "combo(median:a,b,c)"} <= set(choice.scores)


def test_score_fields_and_combine_median() -> None:
    s = score(_bt("x", 0.0))
    assert s["mase"] == 0 and s["coverage80"] == 1.0 and s["smape"] == 0
    med = combine(list(_candidates().values()), "median")
    assert med.windows[0].mean == pytest.approx([12.0, 13.0])  # median offset 2
    with pytest.raises(ValueError):
        select({}, strategy="best")
