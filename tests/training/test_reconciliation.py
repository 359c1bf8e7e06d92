"""Trees are reconciled on the periods all their series forecast, and keep a published parent's remainder."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.evaluation.auto import SeriesResult
from forecasting.training.reconciliation import common_window, hierarchy_from_reference
from models.base import Forecast


def _result(mean: list[float]) -> SeriesResult:
    m = np.asarray(mean, dtype=float)
    return SeriesResult(
        forecast=Forecast(mean=m, quantiles={0.5: m}),
        method="naive",
        scores={},
        backtest=pd.DataFrame(),
        state={},
    )


def test_a_short_child_is_aligned_by_period_not_by_step() -> None:
    years = lambda a, b: [pd.Timestamp(y, 1, 1) for y in range(a, b + 1)]  # noqa: E731
    # parent and child A observed to 2024, child B only to 2023; all forecast to 2029
    periods = {"P": years(2015, 2024), "A": years(2015, 2024), "B": years(2015, 2023)}
    results = {"P": _result([10.0] * 5), "A": _result([6.0] * 5), "B": _result([3.0] * 6)}
    offsets, length = common_window(["P", "A", "B"], results, periods, "A")
    assert length == 5 and offsets == {"P": 0, "A": 0, "B": 1}  # B's step 1 is 2024: not summed with 2025


def test_a_remainder_child_completes_the_partition_where_it_exists() -> None:
    ids = [
        f"fdi_inward_position.{g}.all.A"
        for g in (
            "UK",
            "TLC",
            "TLD",
            "TLE",
            "TLF",
            "TLG",
            "TLH",
            "TLI",
            "TLJ",
            "TLK",
            "TLL",
            "TLM",
            "TLN",
            "UK-UNALLOC",
        )
    ]
    ids += [
        f"gva_cp.{g}.all.A"
        for g in ("UK", "TLC", "TLD", "TLE", "TLF", "TLG", "TLH", "TLI", "TLJ", "TLK", "TLL", "TLM", "TLN")
    ]
    series = pd.DataFrame(
        [
            dict(
                zip(
                    ("series_id", "measure", "geography", "cluster", "frequency"),
                    (s, *s.split(".")),
                    strict=True,
                )
            )
            for s in ids
        ]
    )
    hier = hierarchy_from_reference(series)
    kids = hier.edges.groupby("parent_id")["child_id"].apply(set)
    assert "fdi_inward_position.UK-UNALLOC.all.A" in kids["fdi_inward_position.UK.all.A"]
    assert len(kids["fdi_inward_position.UK.all.A"]) == 13
    assert len(kids["gva_cp.UK.all.A"]) == 12  # no remainder series: the 12 regions alone
