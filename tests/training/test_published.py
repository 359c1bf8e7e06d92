"""Real-time backtests see each origin's data as published then (WDI 2023 vs 2025 releases)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.auto import forecast_series
from forecasting.training.published import published_histories
from forecasting.warehouse.snapshot import open_snapshot

WDI23 = "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv"
WDI25 = "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv"
UK = "fdi_net_inflows_usd.UK.all.A"


@pytest.fixture(scope="module")
def wdi_warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested([WDI23, WDI25])


@pytest.fixture(scope="module")
def uk(wdi_warehouse: Path):
    with open_snapshot(wdi_warehouse) as wh:
        hist = published_histories(wh, [UK, "fdi_net_inflows_usd.ARG.all.A"])
        current = wh.series(UK)
    assert "fdi_net_inflows_usd.ARG.all.A" not in hist  # one release only: nothing to do in real time
    return hist[UK], current


def _origin(hist, year: int) -> int:
    return hist.periods.index(pd.Timestamp(year, 1, 1)) + 1


def test_each_origin_sees_its_own_release(uk) -> None:
    hist, current = uk
    y = current.set_index("label")["value"]
    at_2022 = hist(_origin(hist, 2022))  # forecast made late 2023: the 2023-10-26 release
    assert at_2022.size == _origin(hist, 2022)
    i2020 = _origin(hist, 2020) - 1
    assert abs(at_2022[i2020] / 1e9 - 132.5) < 0.1 and abs(y["2020"] / 1e9 - 157.2) < 0.1
    at_2023 = hist(_origin(hist, 2023))  # late 2024: 2023 not yet published, still the 2023 release
    assert at_2023.size == _origin(hist, 2022)
    at_2024 = hist(_origin(hist, 2024))  # late 2025: the 2025-10-07 release, revised 2020
    assert at_2024.size == _origin(hist, 2024) and abs(at_2024[i2020] / 1e9 - 157.2) < 0.1
    early = hist(_origin(hist, 2000))  # before any release we hold: the earliest release
    np.testing.assert_array_equal(early, at_2022[: early.size])


def test_history_pickles_for_workers(uk) -> None:
    hist, _ = uk
    clone = pickle.loads(pickle.dumps(hist))
    np.testing.assert_array_equal(clone(_origin(hist, 2022)), hist(_origin(hist, 2022)))


def test_real_time_backtest_differs_from_revised(uk) -> None:
    hist, current = uk
    y = current["value"].to_numpy()
    revised = forecast_series(y, 2, methods=["naive"], n_windows=3, seed=1)
    real_time = forecast_series(y, 2, methods=["naive"], n_windows=3, seed=1, history_at=hist)
    np.testing.assert_array_equal(revised.forecast.mean, real_time.forecast.mean)  # final fit: latest data
    a, b = revised.backtest, real_time.backtest
    assert len(a) and not np.allclose(a["mean"].to_numpy(), b["mean"].to_numpy()[: len(a)])
