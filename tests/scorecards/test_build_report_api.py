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
            assert m["source"] and m["provenance"]
            if m["available"]:
                assert m["vintage"] and m["period"]
                assert "{" not in m["provenance"], m["provenance"]  # every method placeholder filled
    fp = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "fdi_projects_3y")
    assert fp["is_synthetic"] is True and fp["scored"] is False and fp["preview"] is True
    fc = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "forecast_fdi_growth")
    assert fc["interval"]["lo80"] <= fc["interval"]["median"] <= fc["interval"]["hi80"]
    csv = pd.read_csv(out / "scorecards.csv")
    assert csv["cluster"].nunique() == 25 and len(list((out / "clusters").glob("*.json"))) == 25
    assert len(pd.read_csv(out / "ranking.csv")) == 25
    assert len(pd.read_csv(out / "robustness.csv")) == 25


def test_rank_follows_the_score_shown(built) -> None:
    sset, out = built
    doc = json.loads((out / "scorecards.json").read_text())
    ranks = [r["rank"] for r in doc["ranking"]]
    scores = [r["score"] for r in doc["ranking"]]
    assert ranks == list(range(1, 26))
    assert scores == sorted(scores, reverse=True)
    ranking = pd.read_csv(out / "ranking.csv")
    assert ranking["rank"].tolist() == ranks


def test_same_seed_same_numbers_and_no_bundle_still_builds(built, inputs, tmp_path) -> None:
    sset, _ = built
    again = build_scorecards(
        tmp_path / "x.duckdb", make_bundle(), None, 11, draws=300, replicates=25, inputs=inputs
    )
    pd.testing.assert_series_equal(sset.score, again.score)
    assert (sset.mc.ranks == again.mc.ranks).all()
    bare = build_scorecards(tmp_path / "x.duckdb", None, None, 11, draws=50, replicates=3, inputs=inputs)
    render_report(bare, tmp_path / "bare", cluster_pages=False)
    assert not bare.metrics["forecast_fdi_growth"].available
    assert all(s.momentum is None for s in bare.stars.values())
    assert "No champion forecast bundle" in (tmp_path / "bare" / "index.html").read_text()


@pytest.mark.slow
def test_report_opens_in_headless_chromium_without_console_errors(built, tmp_path) -> None:
    from forecasting.scorecards.check_report import check_report

    if shutil.which("chromium") is None:
        pytest.fail(
            "Debian chromium is required for the report check: apt-get install -y chromium (.ci/run does)"
        )
    sset, _ = built
    out = tmp_path / "report"
    render_report(sset, out)
    results = check_report(out, max_cluster_pages=2)
    assert len(results) == 5  # index, methodology, print document, two cluster pages
    assert all(not r.errors for r in results), [r.errors for r in results]
    assert all(r.screenshot.stat().st_size > 10_000 for r in results)
    broken = tmp_path / "broken"
    (broken / "clusters").mkdir(parents=True)
    (broken / "index.html").write_text(
        '<html><body><img src="missing.png"><script>nope()</script></body></html>'
    )
    errs = check_report(broken)[0].errors
    assert any("nope" in e for e in errs) and any("missing.png" in e for e in errs)


def _client(out):
    from forecasting.settings import ApiSettings
    from service.app import create_app
    from service.lifecycle import StaticSource

    app = create_app(ApiSettings(), StaticSource(make_bundle(), version="7"))  # includes the cluster routes
    app.state.service.settings.scorecards_dir = out
    return app


def test_api_serves_the_same_numbers(built) -> None:
    _, out = built
    app = _client(out)
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
        app.state.service.settings.scorecards_dir = out / "nowhere"
        assert client.get("/v1/clusters").status_code == 503


def test_pdf_routes_serve_the_written_files(built, tmp_path) -> None:
    _, out = built
    served = tmp_path / "served"
    shutil.copytree(out, served)
    app = _client(served)
    with TestClient(app) as client:
        # written without PDFs: the JSON exists, the PDFs do not
        r = client.get("/v1/clusters/scorecards.pdf")
        assert r.status_code == 404 and "invest scorecards" in r.json()["detail"]
        assert client.get("/v1/clusters/automotive.pdf").status_code == 404
        (served / "pdf").mkdir(exist_ok=True)
        (served / "scorecards.pdf").write_bytes(b"%PDF-1.7 all")
        (served / "pdf" / "automotive.pdf").write_bytes(b"%PDF-1.7 automotive")
        r = client.get("/v1/clusters/scorecards.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content == b"%PDF-1.7 all"
        one = client.get("/v1/clusters/automotive.pdf")
        assert one.status_code == 200 and one.content == b"%PDF-1.7 automotive"
        assert (
            client.get(
                "/v1/clusters/automotive.pdf", headers={"If-None-Match": one.headers["etag"]}
            ).status_code
            == 304
        )
        assert client.get("/v1/clusters/not-a-cluster.pdf").status_code == 404
        app.state.service.settings.scorecards_dir = tmp_path / "nothing-written"
        assert client.get("/v1/clusters/scorecards.pdf").status_code == 503
        spec = client.get("/openapi.json").json()["paths"]
        for path in ("/v1/clusters/scorecards.pdf", "/v1/clusters/{cluster_id}.pdf"):
            assert "application/pdf" in spec[path]["get"]["responses"]["200"]["content"]
