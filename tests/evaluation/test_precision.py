"""Display rounding: the precision the data carry, never so coarse that a band's width moves."""

from __future__ import annotations

import pandas as pd

from forecasting.evaluation.precision import data_decimals, display_decimals, round_forecasts


def test_decimals_the_data_carry_ignore_floating_point_noise() -> None:
    assert data_decimals([37114.0, 61511.0, 1500.0000000000002]) == 0
    assert data_decimals([1.5, 2.25, 0.1 + 0.2]) == 2
    assert display_decimals([100.0, 200.0], [195000.0]) == 0
    assert display_decimals([3.0, 4.0], [2.5]) == 3  # a narrow band keeps 1/1000 of its width


def test_round_forecasts_per_series_at_the_boundary_only() -> None:
    fc = pd.DataFrame(
        {
            "series_id": ["a", "a", "b"],
            "point": [1500.0000000000002, 1510.25, 0.123456],
            "q0.1": [1000.0, 1001.0, 0.1],
            "q0.9": [2000.0, 2011.0, 0.2],
        }
    )
    hist = pd.DataFrame({"series_id": ["a", "a", "b"], "value": [1400.0, 1450.0, 0.12]})
    out = round_forecasts(fc, hist, ["point", "q0.1", "q0.9"])
    assert out["point"].tolist()[:2] == [1500.0, 1510.0] and str(out["point"].iloc[0]) == "1500.0"
    assert out["point"].iloc[2] == 0.1235  # 1/1000 of its 0.1-wide band
    assert fc["point"].iloc[0] == 1500.0000000000002  # the stored numbers are untouched
