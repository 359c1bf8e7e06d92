"""The real-time track record on real ONS releases: CXNV Nov 2020 (2018 prices), QNA Mar and Dec 2023."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InvalidParameter, NotFound
from forecasting.training.config import load_config
from forecasting.training.track_record import (
    calendar_totals,
    record_json,
    reference_year,
    release_values,
    replay,
    replay_series,
    series_releases,
    summary_table,
    trailing_run,
)
from forecasting.warehouse.snapshot import open_snapshot

FILES = (
    "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",  # released 2020-11-24
    "ons_qna/ons_qna_dataset_release2023-03-31.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
)
BI = "business_investment_cvm_sa.UK.all.Q"
BI_CP = "business_investment_cp_sa.UK.all.Q"

CONFIG = """
[experiment]
name = "track-test"
seed = 7
[data]
measures = ["business_investment_cvm_sa"]
[models]
families = ["naive", "drift"]
[backtest]
horizon = { A = 3, Q = 8, M = 12 }
windows = 2
[selection]
rule = "best"
[execution]
n_jobs = 1
"""


@pytest.fixture(scope="module")
def warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested(FILES, note="track-record tests")


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory):
    p = tmp_path_factory.mktemp("cfg") / "track.toml"
    p.write_text(CONFIG)
    return load_config(p)


@pytest.fixture(scope="module")
def record(warehouse: Path, cfg):
    with open_snapshot(warehouse) as wh:
        return replay_series(wh, BI, cfg)


def test_reference_year_is_read_from_the_data(warehouse: Path) -> None:
    """Chained volumes sum to current prices in their reference year: 2018 in 2020, 2019 in 2023."""
    with open_snapshot(warehouse) as wh:
        v, c = series_releases(wh, BI), series_releases(wh, BI_CP)
    got = {
        r: reference_year(release_values(v, r), release_values(c, r), "Q")
        for r in sorted(v["release"].unique())
    }
    assert got == {"2020-11-24": 2018, "2023-03-31": 2019, "2023-12-22": 2019}
    assert reference_year(release_values(v, "2023-12-22"), None, "Q") is None


def test_every_release_is_replayed_on_its_own_numbers(record) -> None:
    assert [v.release for v in record.vintages] == ["2020-11-24", "2023-03-31", "2023-12-22"]
    assert record.outturn_release == "2023-12-22" and record.outturn_reference_year == 2019
    last = {v.release: v.last_observed for v in record.vintages}
    assert last["2020-11-24"] == pd.Timestamp("2020-07-01") and last["2023-03-31"] == pd.Timestamp(
        "2022-10-01"
    )
    v20 = record.vintages[0]
    # no-change = the vintage's own last value; drift = its average change
    y = v20.observed.to_numpy()
    np.testing.assert_allclose(v20.forecasts["naive"], y[-1])
    slope = (y[-1] - y[0]) / (len(y) - 1)
    np.testing.assert_allclose(v20.forecasts["drift"], y[-1] + slope * v20.forecasts["step"])
    # horizon: the quarters begun by the release date (nowcasts: 2020Q4, 2023Q1), then the experiment's 8
    assert len(v20.forecasts) == 9 and len(record.vintages[1].forecasts) == 9
    q = record.vintages[1].forecasts
    assert (q["q0.025"] <= q["mean"]).all() and (q["mean"] <= q["q0.975"]).all()


def test_levels_only_within_one_reference_year(record, warehouse: Path) -> None:
    lv = record.levels
    assert set(lv["release"]) == {"2020-11-24", "2023-03-31"}  # the newest is not scored against itself
    assert not lv.loc[lv["release"] == "2020-11-24", "comparable"].any()  # 2018 prices vs 2019
    assert lv.loc[lv["release"] == "2023-03-31", "comparable"].all()
    with open_snapshot(warehouse) as wh:
        newest = release_values(series_releases(wh, BI), "2023-12-22")
    row = lv[(lv["release"] == "2023-03-31") & (lv["period"] == pd.Timestamp("2023-04-01"))].iloc[0]
    assert row["outturn"] == newest[pd.Timestamp("2023-04-01")]
    summary = record.summary[record.summary["kind"] == "level"]
    assert set(summary["n"]) == {1}  # one comparable vintage with outturns at steps 1-3
    assert sorted(summary["horizon"]) == [1, 2, 3]
    ape = abs(row["mean"] - row["outturn"]) / row["outturn"] * 100
    assert summary.set_index("horizon").at[2, "model"] == pytest.approx(ape)


def test_calendar_growth_against_the_newest_release(record, warehouse: Path) -> None:
    with open_snapshot(warehouse) as wh:
        newest = release_values(series_releases(wh, BI), "2023-12-22")
    tot = calendar_totals(newest, "Q")
    assert 2023 not in tot.index  # 2023Q4 not out yet: incomplete years are never totals
    g = record.growth
    r20 = g[g["release"] == "2020-11-24"].set_index("year")
    # 2020 was forecast in Nov 2020 (Q4 missing), scored against the growth published in Dec 2023
    assert r20.at[2020, "horizon"] == 0
    assert r20.at[2020, "outturn"] == pytest.approx(100 * (tot[2020] / tot[2019] - 1))
    v20 = record.vintages[0]
    path = pd.concat([v20.observed, v20.forecasts.set_index("period")["naive"]])
    nc = calendar_totals(path, "Q")
    assert r20.at[2020, "naive"] == pytest.approx(100 * (nc[2020] / nc[2019] - 1))
    # the March 2023 vintage observed all of 2022: its first forecast year is 2023 (no 2023 outturn yet)
    r23 = g[g["release"] == "2023-03-31"]
    assert r23["year"].min() == 2023 and r23["outturn"].isna().all()
    grows = record.summary[record.summary["kind"] == "growth"].set_index("horizon")
    assert grows.at[0, "n"] == 1 and grows.at[0, "model"] == pytest.approx(
        abs(r20.at[2020, "model"] - r20.at[2020, "outturn"])
    )


def test_json_lists_release_last_observed_quantiles_and_outturn(record) -> None:
    out = json.loads(json.dumps(record_json(record)))
    assert out["series_id"] == BI and len(out["vintages"]) == 3
    v = out["vintages"][1]
    assert v["release"] == "2023-03-31" and v["last_observed"] == "2022Q4" and v["reference_year"] == 2019
    first = v["forecasts"][0]
    assert first["period"] == "2023Q1" and first["outturn"] is not None
    assert set(first["quantiles"]) >= {"q0.025", "q0.5", "q0.975"}
    assert out["vintages"][2]["scored"] is False
    assert "reference year 2018" in out["vintages"][0]["note"]


def test_parallel_replay_equals_serial(warehouse: Path, cfg, record) -> None:
    with open_snapshot(warehouse) as wh:
        (par,) = replay(wh, [BI], cfg, backend="joblib", n_jobs=2)
    pd.testing.assert_frame_equal(par.levels, record.levels)
    pd.testing.assert_frame_equal(par.growth, record.growth)
    table = summary_table([par])
    assert set(table["series_id"]) == {BI} and (table["vintages"] == 2).all()


def test_trailing_run_drops_the_stretch_before_a_gap() -> None:
    s = pd.Series(
        [1.0, 2.0, 3.0, 4.0], index=pd.to_datetime(["2000-01-01", "2000-04-01", "2001-01-01", "2001-04-01"])
    )
    assert list(trailing_run(s, "Q")) == [3.0, 4.0]


def test_bad_series_are_refused_with_the_reason(warehouse: Path, cfg) -> None:
    with open_snapshot(warehouse) as wh:
        with pytest.raises(NotFound, match="no observations for series 'business_investment_cvm_sa.TLF"):
            replay_series(wh, "business_investment_cvm_sa.TLF.all.Q", cfg)
        with pytest.raises(InvalidParameter, match="one release"):
            replay_series(wh, "gfcf_manufacturing_cvm_sa.UK.all.Q", cfg)


@pytest.fixture(scope="module")
def cxnv_warehouse(ingested: Callable[..., Path]) -> Path:
    """Every CXNV release of SOURCES.md section 10 (28, Mar 2023 -> Jun 2026), each its own vintage."""
    from forecasting.sources.manifest import load_manifest

    paths = sorted(s.path for s in load_manifest() if s.id.startswith("ons_cxnv_20"))
    assert len(paths) == 28
    return ingested(paths, note="CXNV vintages")


@pytest.mark.slow
def test_business_investment_growth_beats_no_change_in_real_time(cxnv_warehouse: Path) -> None:
    """The default experiment replayed on 28 CXNV releases: 20+ vintages with forecasts and outturns, and
    calendar-year growth errors below no-change's on average (at each horizon and over all)."""
    from forecasting.settings import PROJECT_ROOT

    cfg = load_config(PROJECT_ROOT / "experiments" / "default.toml")
    with open_snapshot(cxnv_warehouse) as wh:
        (tr,) = replay(wh, [BI], cfg, n_jobs=2)
    out = record_json(tr)
    with_outturns = [v for v in out["vintages"] if any(f["outturn"] is not None for f in v["forecasts"])]
    assert len(out["vintages"]) == 28 and len(with_outturns) >= 20
    assert out["outturn_release"] == "2026-06-30"
    g = tr.growth.dropna(subset=["outturn", "model", "naive"])
    assert len(g) >= 40
    assert (g["model"] - g["outturn"]).abs().mean() < (g["naive"] - g["outturn"]).abs().mean()
    by_h = tr.summary[tr.summary["kind"] == "growth"]
    assert (by_h["ratio_naive"] < 1).all()
    # levels are scored only within the outturn's reference year
    lv = tr.levels
    refs = {v.release: v.reference_year for v in tr.vintages}
    assert lv["comparable"].equals(lv["release"].map(refs) == tr.outturn_reference_year)
