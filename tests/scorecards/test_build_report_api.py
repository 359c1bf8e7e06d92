"""End to end on the in-memory world: 25 scorecards, files, HTML in headless Chromium, and the API."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from scorecard_world import make_bundle

from forecasting.scorecards.build import build_scorecards
from forecasting.scorecards.report import render_report


def test_25_scorecards_with_provenance(built) -> None:
    sset, out = built
    doc = json.loads((out / "scorecards.json").read_text())
    assert len(doc["clusters"]) == 25 and len(doc["ranking"]) == 25
    assert doc["provenance"]["model"]["model_version"] == "7"
    assert doc["provenance"]["data_vintage"] == "v-test"
    for c in doc["clusters"]:
        iv = c["rank_interval"]
        assert iv["p05"] <= iv["median"] <= iv["p95"]
        for m in c["metrics"]:
            assert m["source"] and "provenance" in m
            if m["available"]:
                assert m["vintage"] and m["period"]
    fp = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "fdi_projects_3y")
    assert fp["is_synthetic"] is True
    fc = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "forecast_fdi_growth")
    assert fc["interval"]["lo80"] <= fc["interval"]["median"] <= fc["interval"]["hi80"]
    csv = pd.read_csv(out / "scorecards.csv")
    assert csv["cluster"].nunique() == 25 and len(list((out / "clusters").glob("*.json"))) == 25
    assert len(pd.read_csv(out / "ranking.csv")) == 25


def test_same_seed_same_numbers_and_no_bundle_still_builds(built, inputs, tmp_path) -> None:
    sset, _ = built
    again = build_scorecards(tmp_path / "x.duckdb", make_bundle(), None, 11, draws=200, inputs=inputs)
    pd.testing.assert_series_equal(sset.score, again.score)
    assert (sset.mc.ranks == again.mc.ranks).all()
    bare = build_scorecards(tmp_path / "x.duckdb", None, None, 11, draws=50, inputs=inputs)
    render_report(bare, tmp_path / "bare", cluster_pages=False)
    assert not bare.metrics["forecast_fdi_growth"].available
    assert all(s.momentum is None for s in bare.stars.values())
    assert "No champion forecast bundle" in (tmp_path / "bare" / "index.html").read_text()


def test_report_opens_in_headless_chromium_without_console_errors(built, tmp_path) -> None:
    from forecasting.scorecards.check_report import check_report

    if shutil.which("chromium") is None:
        pytest.fail(
            "Debian chromium is required for the report check: apt-get install -y chromium (.ci/run does)"
        )
    _, out = built
    results = check_report(out, max_cluster_pages=2)
    assert len(results) == 3
    assert all(not r.errors for r in results), [r.errors for r in results]
    assert all(r.screenshot.stat().st_size > 10_000 for r in results)
    broken = tmp_path / "broken"
    (broken / "clusters").mkdir(parents=True)
    (broken / "index.html").write_text(
        '<html><body><img src="missing.png"><script>nope()</script></body></html>'
    )
    errs = check_report(broken)[0].errors
    assert any("nope" in e for e in errs) and any("missing.png" in e for e in errs)


def test_api_serves_the_same_numbers(built) -> None:
    from service.app import create_app
    from service.lifecycle import StaticSource
    from service.routers import clusters
    from service.settings import ApiSettings

    _, out = built
    app = create_app(ApiSettings(), StaticSource(make_bundle(), version="7"))
    if not any(getattr(r, "path", "") == "/v1/clusters" for r in app.routes):
        app.include_router(clusters.router)
    app.state.scorecards_dir = out
    doc = json.loads((out / "scorecards.json").read_text())
    with TestClient(app) as client:
        r = client.get("/v1/clusters")
        assert r.status_code == 200 and r.json()["count"] == 25
        assert r.json()["items"] == doc["ranking"]
        assert r.json()["provenance"]["stale"] is False
        one = client.get("/v1/clusters/automotive/scorecard").json()
        assert one["metrics"] == next(c for c in doc["clusters"] if c["id"] == "automotive")["metrics"]
        assert client.get("/v1/scorecards").json()["clusters"] == doc["clusters"]
        assert client.get("/v1/clusters/not-a-cluster/scorecard").status_code == 404
        etag = r.headers["etag"]
        assert client.get("/v1/clusters", headers={"If-None-Match": etag}).status_code == 304
        app.state.scorecards_dir = out / "nowhere"
        assert client.get("/v1/clusters").status_code == 503
