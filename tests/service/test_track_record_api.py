"""GET /v1/track-record: the served bundle's track record, and 404s that say why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from svc_synthetic import make_contents

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource

SID = "business_investment.TLG.all.Q"


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.DataFrame(
        {
            "series_id": SID,
            "kind": ["growth", "level"],
            "horizon": np.array([0, 1], dtype="int64"),
            "n": np.array([2, 2], dtype="int64"),
            "model": [1.5, 2.0],
            "naive": [2.0, 2.5],
            "drift": [1.8, 2.2],
            "ratio_naive": [0.75, 0.8],
            "coverage80": [np.nan, 0.5],
            "coverage95": [np.nan, 1.0],
            "vintages": np.array([2, 2], dtype="int64"),
            "outturn_release": "2016-12-22",
            "experiment": "default",
            "computed_at": "2026-12-07T02:00:00+00:00",
        }
    )
    points = pd.DataFrame(
        {
            "series_id": SID,
            "release": ["2016-03-31", "2016-03-31", "2016-06-30"],
            "last_observed": ["2015Q4", "2015Q4", "2016Q1"],
            "kind": ["level", "growth", "level"],
            "horizon": np.array([1, 0, 1], dtype="int64"),
            "period": ["2016Q1", "2016", "2016Q2"],
            "mean": [101.0, 2.0, 103.0],
            "naive": [100.0, 0.5, 102.0],
            "drift": [100.5, 1.0, 102.5],
            "outturn": [102.0, 3.5, np.nan],
            "lo80": [98.0, np.nan, 99.0],
            "hi80": [104.0, np.nan, 107.0],
            "lo95": [96.0, np.nan, 97.0],
            "hi95": [106.0, np.nan, 109.0],
            "comparable": [True, True, True],
        }
    )
    return summary, points


@pytest.fixture
def tr_client() -> Iterator[TestClient]:
    s, p = _tables()
    source = StaticSource(replace(make_contents(), track_record=s, track_record_points=p))
    with TestClient(create_app(ApiSettings(), source)) as c:
        yield c


def test_track_record_of_a_series(tr_client: TestClient) -> None:
    r = tr_client.get("/v1/track-record", params={"series_id": SID})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["series_id"] == SID and body["outturn_release"] == "2016-12-22" and body["vintages_scored"] == 2
    )
    assert [(x["kind"], x["horizon"]) for x in body["summary"]] == [("growth", 0), ("level", 1)]
    assert body["summary"][0]["coverage80"] is None and body["summary"][1]["ratio_naive"] == 0.8
    v = body["vintages"]
    assert [x["release"] for x in v] == ["2016-03-31", "2016-06-30"]
    assert v[0]["last_observed"] == "2015Q4" and len(v[0]["points"]) == 2
    level = next(p for p in v[0]["points"] if p["kind"] == "level")
    assert level == {
        "kind": "level",
        "horizon": 1,
        "period": "2016Q1",
        "mean": 101.0,
        "naive": 100.0,
        "drift": 100.5,
        "bridge": None,
        "outturn": 102.0,
        "lo80": 98.0,
        "hi80": 104.0,
        "lo95": 96.0,
        "hi95": 106.0,
        "comparable": True,
    }
    assert v[1]["points"][0]["outturn"] is None  # not out yet
    assert body["model"]["model_name"]


def test_404_says_why(tr_client: TestClient) -> None:
    r = tr_client.get("/v1/track-record", params={"series_id": "fdi_inward_position.TLG.all.A"})
    assert r.status_code == 404 and "no track record" in r.json()["detail"]["message"]
    assert "invest track-record --series fdi_inward_position.TLG.all.A --attach" in r.json()["detail"]["how"]
    r = tr_client.get("/v1/track-record", params={"series_id": "nope.TLG.all.A"})
    assert r.status_code == 404 and "unknown series" in r.json()["detail"]["message"]
    assert tr_client.get("/v1/track-record").status_code == 422


def test_a_bundle_without_a_track_record_still_serves(client: TestClient) -> None:
    r = client.get("/v1/track-record", params={"series_id": SID})
    assert r.status_code == 404 and "no track record" in r.json()["detail"]["message"]
    assert client.get(f"/v1/forecasts/{SID}").status_code == 200


@pytest.mark.slow
def test_attach_then_train_puts_it_in_the_served_bundle(tmp_path: Path, shared_data: Path) -> None:
    """Real chain: replay real releases, attach, train quick.toml, load the registered bundle, serve it."""
    from forecasting.registry.loader import load_bundle
    from forecasting.settings import PROJECT_ROOT, Settings
    from forecasting.training.config import load_config
    from forecasting.training.pipeline import train_experiment
    from forecasting.training.track_record import attach, replay
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.snapshot import open_snapshot
    from forecasting.warehouse.store import Warehouse

    files = (
        "ons_els/foreign-direct-investment.csv",
        "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
        "ons_qna/ons_qna_dataset_release2023-12-22.csv",
    )
    settings = Settings(data_dir=tmp_path, warehouse_path=tmp_path / "wh.duckdb").model_copy(
        update={"tracking_uri": None}
    )
    with Warehouse(settings.warehouse) as wh:
        ingest(wh, [item_for_path(shared_data / f) for f in files])
    cfg_path = tmp_path / "fast.toml"
    cfg_path.write_text(
        '[experiment]\nname = "fast"\n[data]\nmeasures = ["business_investment_cvm_sa"]\n'
        '[models]\nfamilies = ["naive", "drift"]\n[backtest]\nwindows = 2\n'
    )
    bi = "business_investment_cvm_sa.UK.all.Q"
    with open_snapshot(settings.warehouse) as wh:
        records = replay(wh, [bi], load_config(cfg_path), backend="serial")
    attach(records, settings.data_dir, "2026-12-07T02:00:00+00:00")
    out = train_experiment(
        PROJECT_ROOT / "experiments" / "quick.toml", settings=settings, show_progress=False
    )
    uri = f"models:/{settings.model_name}/{out.version}"
    loaded = load_bundle(uri, model_name=settings.model_name, tracking_uri=settings.mlflow_uri)
    tr = loaded.contents.track_record
    assert set(tr["series_id"]) == {bi} and (tr["vintages"] == 1).all()
    with TestClient(create_app(ApiSettings(), StaticSource(loaded.contents))) as c:
        body = c.get("/v1/track-record", params={"series_id": bi}).json()
    assert [v["release"] for v in body["vintages"]] == ["2020-11-24"]
    assert {p["kind"] for p in body["vintages"][0]["points"]} == {"level", "growth"}
