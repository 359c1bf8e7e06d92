"""The bridge nowcast: monthly GDP out by the vintage date carries business investment's next quarter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.training.bridge import bridge_nowcast, fit_bridge, published_months
from forecasting.training.track_record import release_values, series_releases, trailing_run
from forecasting.warehouse.ingest import ingest, item_for_path
from forecasting.warehouse.snapshot import Snapshot, open_snapshot
from forecasting.warehouse.store import Warehouse

BI = "business_investment_cvm_sa.UK.all.Q"
MGDP = "uk_gva_index_m.UK.all.M"


def _monthly(n_months: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    g = rng.normal(0.002, 0.004, n_months)
    return pd.Series(
        100 * np.exp(np.cumsum(g)), index=pd.date_range("2000-01-01", periods=n_months, freq="MS")
    )


def test_a_month_counts_six_weeks_after_it_ends() -> None:
    m = _monthly(6)  # Jan..Jun 2000
    known = published_months(m, "2000-04-11")  # Feb ends 29th, + 42 days = 11 April
    assert list(known.index.month) == [1, 2]
    assert list(published_months(m, "2000-04-10").index.month) == [1]


def test_the_regression_recovers_a_known_bridge_and_nowcasts_a_partial_quarter() -> None:
    m = _monthly(12 * 12)
    qa = m.groupby(m.index.to_period("Q").start_time).mean()
    gq = np.log(qa).diff()
    y = 0.001 + 2.0 * gq  # business investment moves twice as much as GDP, exactly
    bi = pd.Series(50_000 * np.exp(np.nancumsum(y.to_numpy())), index=qa.index)
    observed = bi.iloc[:-1]  # last quarter not yet published
    a, b, sd, n = fit_bridge(observed, m, exclude_years=())
    assert a == pytest.approx(0.001, abs=1e-9) and b == pytest.approx(2.0, abs=1e-9) and sd < 1e-9
    last_q = qa.index[-1]
    release = (last_q + pd.offsets.MonthEnd(0) + pd.Timedelta(days=42)).date().isoformat()
    br = bridge_nowcast(observed, m, release, MGDP, exclude_years=())
    assert br is not None and br.periods == (last_q,) and br.months == (1,)
    first = m[last_q]  # one month of the quarter against the previous quarter's average
    expect = observed.iloc[-1] * np.exp(0.001 + 2.0 * np.log(first / qa.iloc[-2]))
    assert br.levels[0] == pytest.approx(expect)
    assert "1 mo" in br.describe() and MGDP in br.describe()


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    path = tmp_path_factory.mktemp("bridge") / "wh.duckdb"
    files = (
        "ons_business_investment_vintages/ons_cxnv_release2023-03-31.csv",
        "ons_monthly_gdp/ons_mgdp_long_release2026-07-16.parquet",
    )
    with Warehouse(path) as wh:
        ingest(wh, [item_for_path(shared_data / f) for f in files])
        bi = trailing_run(release_values(series_releases(Snapshot(wh), BI), "2023-03-31"), "Q")
        monthly = wh.series(MGDP).set_index("period")["value"]
    return bi, monthly, path


def test_on_the_march_2023_release(real) -> None:
    """31 March 2023: BI to 2022Q4; January 2023 GDP (out mid-March) bridges 2023Q1."""
    bi, monthly, _ = real
    br = bridge_nowcast(bi, monthly, "2023-03-31", MGDP, exclude_years=(2009, 2020))
    assert br is not None and br.periods == (pd.Timestamp("2023-01-01"),) and br.months == (1,)
    assert 0.5 < br.slope < 3.0 and br.resid_sd < 0.05  # 2005Q2's nuclear transfer left out
    all_quarters = len(bi) - 1 - 8  # growth quarters less 2009 and 2020
    assert br.n_quarters < all_quarters
    assert abs(np.log(br.levels[0] / bi.iloc[-1])) < 0.1
    assert bridge_nowcast(bi, monthly, "2023-03-10", MGDP) is None  # January not yet out


def test_the_bundle_nowcast_moves_to_the_bridge(real) -> None:
    """The served forecast of 2023Q1 as of 31 March 2023: the bridge's level, said in ``indicators``."""
    from forecasting.training.bridge import apply_bridge_nowcasts

    bi, monthly, path = real
    starts = pd.date_range("2023-01-01", periods=3, freq="QS")
    fc = pd.DataFrame(
        {
            "series_id": BI,
            "step": [1, 2, 3],
            "period": ["2023Q1", "2023Q2", "2023Q3"],
            "period_start": starts,
            "kind": ["nowcast", "forecast", "forecast"],
            "mean": [100.0, 101.0, 102.0],
            "q0.025": [90.0, 89.0, 88.0],
            "q0.975": [110.0, 113.0, 116.0],
        }
    )
    panel = pd.DataFrame({"series_id": BI, "period": bi.index, "value": bi.to_numpy()})
    with open_snapshot(path) as wh:
        out = apply_bridge_nowcasts(fc, panel, warehouse=wh, present=pd.Timestamp("2023-03-31"))
    br = bridge_nowcast(bi, monthly, "2023-03-31", MGDP, exclude_years=(2009, 2020))
    ratio = br.levels[0] / 100.0
    assert out.at[0, "mean"] == pytest.approx(br.levels[0]) and out.at[0, "q0.975"] == pytest.approx(
        110 * ratio
    )
    assert out.at[2, "mean"] == pytest.approx(102 * ratio)  # later steps re-anchored
    assert out.at[0, "indicators"].startswith("bridge on uk_gva_index_m.UK.all.M")
    assert out.at[1, "indicators"] == "re-anchored on the 2023Q1 bridge nowcast from uk_gva_index_m.UK.all.M"
