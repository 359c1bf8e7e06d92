"""The cluster evidence documents through the API and the report (chapters render without console errors)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forecasting.clusters.evidence import candidates_from_panel, validation_from_panel, write_document
from forecasting.clusters.panel import panel_from_observations
from forecasting.reference.clusters import Definitions, load_definitions, sic_lookup_file
from forecasting.settings import get_settings

sys.path.insert(0, str(Path(__file__).parent))
from test_validate import _cluster, _obs  # noqa: E402


def _tiny_docs(out: Path) -> tuple[dict, dict]:
    panel = panel_from_observations(_obs(), "v1")
    defs = Definitions((_cluster("cars", ["29100"]), _cluster("banks", ["64191"])), Path("test.toml"))
    v, c = validation_from_panel(panel, defs), candidates_from_panel(panel, defs)
    write_document(v, out / "cluster_validation.json")
    write_document(c, out / "cluster_candidates.json")
    return v, c


def _client(out: Path):
    from scorecard_world import make_bundle

    from forecasting.settings import ApiSettings
    from service.app import create_app
    from service.lifecycle import StaticSource

    app = create_app(ApiSettings(), StaticSource(make_bundle(), version="7"))
    app.state.service.settings.scorecards_dir = out
    return app


def test_api_serves_validation_and_candidates_as_written(tmp_path):
    v, c = _tiny_docs(tmp_path)
    app = _client(tmp_path)
    with TestClient(app) as client:
        r = client.get("/v1/clusters/validation")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body == v
        assert [x["verdict"] for x in body["clusters"]] == ["emerging", "not evidenced"]
        assert client.get("/v1/clusters/candidates").json() == c
        assert (
            client.get("/v1/clusters/validation", headers={"If-None-Match": r.headers["etag"]}).status_code
            == 304
        )
        spec = client.get("/openapi.json").json()
        schema = spec["paths"]["/v1/clusters/validation"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]
        assert schema["schema"]["$ref"].endswith("ValidationDocument")
        app.state.service.settings.scorecards_dir = tmp_path / "nothing"
        miss = client.get("/v1/clusters/validation")
        assert miss.status_code == 503 and "invest clusters validate" in miss.text


@pytest.mark.slow
def test_report_chapters_render_in_chromium_without_console_errors(panel, built_world, tmp_path):
    from forecasting.scorecards.check_report import check_report
    from forecasting.scorecards.report import render_report

    if shutil.which("chromium") is None:
        pytest.fail("Debian chromium is required for the report check: apt-get install -y chromium")
    out = tmp_path / "report"
    out.mkdir()
    defs = load_definitions(lookup=sic_lookup_file(get_settings()))
    write_document(validation_from_panel(panel, defs), out / "cluster_validation.json")
    write_document(candidates_from_panel(panel, defs), out / "cluster_candidates.json")
    files = render_report(built_world, out)
    assert {"validation", "candidates"} <= set(files)
    html = (out / "validation.html").read_text()
    assert "Automotive" in html and "validated" in html and "Cluster strength and investment" in html
    assert "Candidate clusters the declared list misses" in (out / "candidates.html").read_text()
    assert "Validation of the declared clusters" in (out / "print.html").read_text()
    results = check_report(out, max_cluster_pages=1)
    names = {r.page.name if hasattr(r, "page") else str(r) for r in results}
    assert len(results) == 6, names  # index, methodology, validation, candidates, print, one cluster page
    assert all(not r.errors for r in results), [r.errors for r in results]
    json.loads((out / "cluster_validation.json").read_text())


def test_response_models_accept_the_examples_and_written_documents(tmp_path):
    from service.routers.clusters import (
        CANDIDATES_EXAMPLE,
        VALIDATION_EXAMPLE,
        CandidatesDocument,
        ValidationDocument,
    )

    ValidationDocument.model_validate(VALIDATION_EXAMPLE)
    CandidatesDocument.model_validate(CANDIDATES_EXAMPLE)
    v, c = _tiny_docs(tmp_path)
    ValidationDocument.model_validate(v)
    CandidatesDocument.model_validate(c)
