"""Nowcasts from what is published: nominal UK GDP and GVA from the 2023 vintages, judged on later outturns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InvalidParameter, NotFound
from forecasting.training.config import load_config
from forecasting.training.nowcast import ar1_cumulative, nowcast_from_warehouse, revision_sd, year_to_date
from forecasting.warehouse.ingest import ingest, item_for_path
from forecasting.warehouse.snapshot import open_snapshot
from forecasting.warehouse.store import Warehouse

FILES = (
    "ons_regional_gva/Table_5_GDP_at_current_market_prices_pounds_million.csv",  # gdp_cp to 2021 (Apr 2023)
    "ons_regional_gva/Table_1c_ITL1_UK_current_price_estimates_pounds_million.csv",  # gva_cp to 2021
    "ons_regional_gva/Table_1_GVA_balanced_at_current_basic_prices_millions_Apr2024.csv",  # gva_cp 2022
    "ons_business_investment/ybha_gdp_current_prices_sa.csv",  # national nominal GDP, Nov 2020
    "ons_qna/ons_qna_dataset_release2023-03-31.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
)
VINTAGES = ("2023-06-30", "2023-12-22")
TARGETS = ("gdp_cp.UK.all.A", "gva_cp.UK.all.A")


@pytest.fixture(scope="module")
def warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested(FILES, note="nowcast tests")


@pytest.fixture(scope="module")
def cfg():
    from forecasting.settings import PROJECT_ROOT

    return load_config(PROJECT_ROOT / "experiments" / "default.toml")


@pytest.fixture(scope="module")
def nowcasts(warehouse: Path, cfg) -> dict[tuple[str, str], object]:
    with open_snapshot(warehouse) as wh:
        return {(t, v): nowcast_from_warehouse(wh, t, cfg, as_of=v) for t in TARGETS for v in VINTAGES}


def _outturns(warehouse: Path, sid: str) -> pd.Series:
    with open_snapshot(warehouse) as wh:
        s = wh.series(sid)
    return s.set_index(s["period"].dt.year)["value"]


@pytest.mark.parametrize("target", TARGETS)
def test_2023_vintage_nowcasts_hold_the_published_outturns(nowcasts, warehouse: Path, target: str) -> None:
    """Replayed as of each 2023 vintage: every outturn published since lies in the 95% band."""
    outturn = _outturns(warehouse, target)
    checked = 0
    for v in VINTAGES:
        n = nowcasts[(target, v)]
        assert n.last_observed == "2021"  # its own data ended there in 2023
        t = n.table.set_index(n.table["period"].astype(int))
        for year in t.index.intersection(outturn.index):
            lo, hi = t.at[year, "q0.025"], t.at[year, "q0.975"]
            assert lo <= outturn[year] <= hi, (target, v, year, lo, outturn[year], hi)
            checked += 1
    if target == "gva_cp.UK.all.A":
        assert checked >= 2  # 2022 from the April 2024 release, from both vintages


# Outturns published since, not in this warehouse's files: the UK totals (sum of the 361 local
# authorities) of the ONS LA workbook, April 2025 (corrected Oct 2025), Table 5 (GDP) and Table 1 (GVA),
# £m current prices; 2024 national nominal GDP (YBHA) from QNA March 2026 (ingested below).
LA_WORKBOOK = {
    "gdp_cp.UK.all.A": {2022: 2_489_146.0, 2023: 2_689_853.0},
    "gva_cp.UK.all.A": {2022: 2_228_791.0, 2023: 2_434_400.0},
}


@pytest.mark.parametrize("target", TARGETS)
def test_2023_vintages_hold_the_la_workbook_outturns(nowcasts, target: str) -> None:
    for v in VINTAGES:
        t = nowcasts[(target, v)].table
        t = t.set_index(t["period"].astype(int))
        for year, value in LA_WORKBOOK[target].items():
            assert t.at[year, "q0.025"] <= value <= t.at[year, "q0.975"], (target, v, year)


def test_2024_gdp_nowcast_holds_national_nominal_gdp(nowcasts, tmp_path_factory, shared_data: Path) -> None:
    """2024 is in no regional release yet: the national accounts' YBHA (QNA March 2026) is the outturn."""
    path = tmp_path_factory.mktemp("qna26") / "wh.duckdb"
    with Warehouse(path) as wh:
        ingest(wh, [item_for_path(shared_data / "ons_qna/ons_qna_long_release2026-03-31.parquet")])
        national = wh.series("uk_gdp_cp_sa.UK.all.Q")
    y2024 = national.loc[national["period"].dt.year == 2024, "value"].sum()
    assert 2_800_000 < y2024 < 3_000_000
    for v in VINTAGES:
        t = nowcasts[("gdp_cp.UK.all.A", v)].table.set_index("period")
        assert t.at["2024", "q0.025"] <= y2024 <= t.at["2024", "q0.975"], v
    # the old own-trend nowcast (2,323bn for 2022) is far below the band
    t = nowcasts[("gdp_cp.UK.all.A", "2023-06-30")].table
    assert t.loc[t["period"] == "2022", "q0.025"].iloc[0] > 2_400_000


def test_each_nowcast_says_what_it_used_and_uses_only_what_was_published(nowcasts) -> None:
    june = nowcasts[("gdp_cp.UK.all.A", "2023-06-30")]
    assert june.indicator_release == "2023-03-31" and june.indicator_last == "2022Q4"
    assert set(june.used) == {"uk_gdp_cp_sa.UK.all.Q", "uk_gdp_cvm_sa.UK.all.Q", "gdp_deflator.UK.all.Q"}
    assert (
        june.table["indicators"]
        .str.contains("uk_gdp_cp_sa.UK.all.Q (release 2023-03-31, to 2022Q4)", regex=False)
        .all()
    )
    dec = nowcasts[("gdp_cp.UK.all.A", "2023-12-22")]
    assert dec.indicator_last == "2023Q3"
    kinds = dict(zip(dec.table["period"], dec.table["indicator_basis"], strict=True))
    assert kinds["2022"] == "published" and kinds["2023"] == "year_to_date" and kinds["2024"] == "forecast"
    t = dec.table.set_index("period")
    assert t.at["2022", "kind"] == "nowcast" and t.at["2024", "kind"] == "forecast"
    q = dec.table[[c for c in dec.table.columns if c.startswith("q0")]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    # the year-to-date year is tighter than the next, forecast, one
    w = (t["q0.975"] - t["q0.025"]) / t["mean"]
    assert w["2023"] < w["2024"]


def test_year_to_date_growth_and_its_error() -> None:
    idx = pd.date_range("2000-01-01", periods=4 * 6 + 2, freq="QS")
    v = pd.Series(100 * 1.01 ** np.arange(len(idx)), index=idx)
    year, k, growth, sd = year_to_date(v, "Q")
    assert (year, k) == (2006, 2) and growth == pytest.approx(1.01**4)
    assert sd == pytest.approx(0.0, abs=1e-12)  # steady growth: year-to-date is exact
    assert year_to_date(v.iloc[:24], "Q") is None  # no incomplete year


def test_ar1_cumulative_variance() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0.02, 0.01, 400)  # no persistence
    mean, var = ar1_cumulative(x, 3)
    assert mean == pytest.approx(np.array([0.02, 0.04, 0.06]), abs=0.004)
    assert var / var[0] == pytest.approx(np.array([1.0, 2.0, 3.0]), rel=0.1)


def test_revision_sd_from_releases() -> None:
    p = pd.date_range("2010-01-01", periods=3, freq="YS")
    rel = pd.DataFrame(
        {
            "period": list(p) + list(p),
            "value": [100.0, 110.0, 120.0, 100.0, 110.0 * 1.02, 120.0 * 1.02],
            "release": ["2020-01-01"] * 3 + ["2021-01-01"] * 3,
        }
    )
    sd, n = revision_sd(rel, "A")
    assert n == 3 and sd == pytest.approx(np.sqrt(2 * np.log(1.02) ** 2 / 3))
    assert revision_sd(rel[rel["release"] == "2020-01-01"], "A") == (0.0, 0)


def test_bad_requests_say_why(warehouse: Path, cfg) -> None:
    with open_snapshot(warehouse) as wh:
        with pytest.raises(NotFound, match="no published indicator"):
            nowcast_from_warehouse(wh, "population.UK.all.A", cfg, as_of="2023-12-22")
        with pytest.raises(InvalidParameter, match="annual"):
            nowcast_from_warehouse(wh, "uk_gdp_cp_sa.UK.all.Q", cfg, as_of="2023-12-22")


BUNDLE_CONFIG = """
[experiment]
name = "nowcast-bundle"
seed = 3
[data]
measures = ["gdp_cp", "gva_cp"]
geographies = ["UK", "TLC", "TLD", "TLE", "TLF", "TLG", "TLH", "TLI", "TLJ", "TLK", "TLL", "TLM", "TLN"]
clusters = ["all"]
[models]
families = ["naive", "drift"]
[backtest]
horizon = { A = 3 }
windows = 2
[selection]
rule = "best"
[reconciliation]
method = "bottom_up"
[scenarios]
transmission = false
macro = false
[execution]
n_jobs = 1
"""


def test_the_bundle_serves_indicator_nowcasts_that_sum_up(warehouse: Path, tmp_path: Path) -> None:
    """A training job as of December 2023: gdp_cp/gva_cp nowcast years come from the national accounts,
    say so in an ``indicators`` column, and the regions sum to the UK nowcast."""
    from forecasting.training.data import load_training_data
    from forecasting.training.pipeline import build_contents

    p = tmp_path / "exp.toml"
    p.write_text(BUNDLE_CONFIG)
    cfg = load_config(p)
    data = load_training_data(cfg, "2023-12-22", warehouse_path=warehouse)
    contents, _metrics, _t = build_contents(cfg, data)
    fc = contents.forecasts.set_index(["series_id", "period"])
    uk = fc.loc["gdp_cp.UK.all.A"]
    assert uk.at["2022", "kind"] == "nowcast"
    assert "uk_gdp_cp_sa.UK.all.Q (release 2023-12-22, to 2023Q3)" in uk.at["2022", "indicators"]
    assert 2_450_000 < uk.at["2022", "mean"] < 2_550_000  # the own-trend nowcast was 2,323bn
    # the outturn published since: 2,489,146 = the 361 local authorities' sum, ONS LA workbook (April 2025)
    assert uk.at["2022", "q0.025"] <= 2_489_146 <= uk.at["2022", "q0.975"]
    edges = contents.hierarchy
    kids = set(edges.loc[edges["parent_id"] == "gdp_cp.UK.all.A", "child_id"])
    assert {f"gdp_cp.{g}.all.A" for g in ("TLC", "TLF", "TLG", "TLN")} <= kids  # and the unallocated rest
    total = sum(fc.loc[(k, "2022"), "mean"] for k in kids)
    assert total == pytest.approx(uk.at["2022", "mean"], rel=1e-9)
    assert all(fc.loc[(k, "2022"), "indicators"] for k in kids)
    later = contents.forecasts[contents.forecasts["kind"] == "forecast"]
    assert (
        later.loc[later["series_id"] == "gdp_cp.UK.all.A", "indicators"].str.startswith("re-anchored").all()
    )
