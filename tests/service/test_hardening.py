"""Issue 10/14 service contracts on the in-memory synthetic bundle (fast): typed bodies, standard JSON only,
responses that match their declared models, provenance in every export, security headers, public vs
admin health, offline docs assets and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from svc_registry import ADMIN_KEY
from svc_synthetic import make_contents

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource
from service.schemas import (
    BatchResponse,
    ForecastTable,
    Health,
    HealthDetail,
    ModelInfo,
    SeriesForecast,
    SeriesHistory,
    SeriesPage,
)

SID = "fdi_inward_position.TLG.all.A"
QID = "business_investment.TLF.all.Q"
SYNTHETIC = "fdi_inward_position.TLG3.all.A"


@pytest.fixture(scope="module")
def kclient() -> Iterator[TestClient]:
    """A bundle whose forecasts table has an extra per-point ``kind`` column and one synthetic series."""
    contents = make_contents()
    fc = contents.forecasts
    fc["kind"] = np.where(fc["step"] == 1, "nowcast", "forecast")
    contents.catalogue.loc[contents.catalogue["series_id"] == SYNTHETIC, "is_synthetic"] = True
    settings = ApiSettings(admin_api_keys=[ADMIN_KEY], max_batch=10, max_body_bytes=4096, poll_seconds=0)
    with TestClient(create_app(settings, StaticSource(contents))) as c:
        yield c


# ---- standard JSON only ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "loc", "text"),
    [
        (b'{"series_ids": ["%s"], "horizon": NaN}', ["body", "horizon"], "NaN"),
        (b'{"series_ids": ["%s"], "horizon": 1e999}', ["body", "horizon"], "1e999"),
        (b'{"series_ids": ["%s"], "quantiles": [0.1, Infinity]}', ["body", "quantiles", 1], "Infinity"),
        (b'{"series_ids": ["%s"], "quantiles": [-Infinity]}', ["body", "quantiles", 0], "-Infinity"),
        (b'{"series_ids": ["%s", NaN]}', ["body", "series_ids", 1], "NaN"),
        (
            b'{"series_ids": ["%s"], "extra": {"deep": [1, 2, -1e400]}}',
            ["body", "extra", "deep", 2],
            "-1e400",
        ),
    ],
)
def test_non_finite_numbers_are_422_naming_the_field(
    kclient: TestClient, body: bytes, loc: list, text: str
) -> None:
    r = kclient.post(
        "/v1/forecasts:batch", content=body % SID.encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    err = r.json()["detail"][0]
    assert err["loc"] == loc and err["input"] == text and "finite number" in err["msg"]


def test_non_finite_scenario_values_are_422_naming_the_change(kclient: TestClient) -> None:
    body = (
        b'{"scenario": {"name": "p", "changes": [{"type": "driver", "driver": "world_fdi", '
        b'"kind": "deviation", "values": [-20, NaN]}]}}'
    )
    r = kclient.post("/v1/scenarios:project", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "scenario", "changes", 0, "values", 1]


def test_scenario_body_is_the_typed_scenario_model(kclient: TestClient) -> None:
    bad = {"scenario": {"name": "p", "changes": [{"type": "driver", "driver": "w", "kind": "deviation"}]}}
    r = kclient.post("/v1/scenarios:project", json=bad)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "scenario", "changes", 0, "values"]
    assert r.json()["detail"][0]["msg"] == "required field missing"
    typo = {"scenario": {"name": "p", "changes": [{"type": "shok"}]}}
    assert kclient.post("/v1/scenarios:project", json=typo).json()["detail"][0]["msg"] == (
        "type must be 'driver', 'shock' or 'project'"
    )
    spec = kclient.get("/openapi.json").json()
    body_ref = spec["paths"]["/v1/scenarios:project"]["post"]["requestBody"]["content"]["application/json"]
    req = spec["components"]["schemas"][body_ref["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert req["properties"]["scenario"]["$ref"].endswith("/Scenario")


# ---- responses match their declared models ----------------------------------------------------------------
def test_precomputed_hot_path_bodies_match_their_response_models(kclient: TestClient) -> None:
    for sid in (SID, QID, SYNTHETIC):
        SeriesForecast.model_validate_json(kclient.get(f"/v1/forecasts/{sid}").content)
        SeriesForecast.model_validate_json(
            kclient.get(f"/v1/forecasts/{sid}", params={"horizon": 1, "quantiles": "0.1,0.9"}).content
        )
        SeriesHistory.model_validate_json(kclient.get(f"/v1/series/{sid}/history").content)
    for body in (
        {"series_ids": [SID, QID, "x"], "ignore_unknown": True},
        {"series_ids": [QID], "horizon": 2},
    ):
        r = kclient.post("/v1/forecasts:batch", json=body)
        assert r.status_code == 200
        assert [f.series_id for f in BatchResponse.model_validate_json(r.content).forecasts]
    # the validated routes
    SeriesPage.model_validate_json(kclient.get("/v1/series").content)
    ModelInfo.model_validate_json(kclient.get("/v1/models/current").content)
    ForecastTable.model_validate_json(kclient.get("/v1/forecasts").content)


def test_a_drifting_body_would_fail_its_model() -> None:
    """Guard for the guard: the contract check rejects a body missing a declared field."""
    from pydantic import ValidationError

    c = make_contents()
    with TestClient(create_app(ApiSettings(poll_seconds=0), StaticSource(c))) as client:
        body = client.get(f"/v1/forecasts/{SID}").json()
    del body["provenance"]["model_version"]
    with pytest.raises(ValidationError):
        SeriesForecast.model_validate(body)


# ---- provenance in every export -------------------------------------------------------------------------
PROVENANCE = ("is_synthetic", "model_version", "run_id", "data_vintage", "model_name", "sources", "method")


def test_csv_and_json_tables_carry_the_same_provenance_and_extra_columns(kclient: TestClient) -> None:
    params = {"geography": "TLG,TLG3", "measure": "fdi_inward_position"}
    rows = kclient.get("/v1/forecasts", params=params).json()["rows"]
    text = kclient.get("/v1/forecasts", params={**params, "format": "csv"}).text
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert len(csv_rows) == len(rows) == 10
    header = text.splitlines()[0].split(",")
    assert set(PROVENANCE) | {"kind"} <= set(header) and set(header) == set(rows[0])
    for j, c in zip(rows, csv_rows, strict=True):
        single = kclient.get(f"/v1/forecasts/{j['series_id']}").json()
        prov = single["provenance"]
        for k in ("is_synthetic", "model_version", "run_id", "data_vintage", "model_name", "method"):
            assert j[k] == prov[k]
            assert c[k] == ("" if prov[k] is None else str(prov[k]))
        assert j["sources"] == c["sources"] == ",".join(prov["sources"])
        assert j["kind"] == c["kind"] == single["points"][j["step"] - 1]["kind"]
    synthetic = {c["series_id"]: c["is_synthetic"] for c in csv_rows}
    assert synthetic == {SID: "False", SYNTHETIC: "True"}
    assert [p["kind"] for p in kclient.get(f"/v1/forecasts/{SID}").json()["points"]] == [
        "nowcast",
        *["forecast"] * 4,
    ]


def test_empty_csv_still_has_the_full_header(kclient: TestClient) -> None:
    text = kclient.get("/v1/forecasts", params={"measure": "nothing", "format": "csv"}).text
    assert text.splitlines() == [text.splitlines()[0]]
    assert {"is_synthetic", "model_version", "run_id", "data_vintage", "kind"} <= set(text.split(","))


# ---- security headers, health, docs assets ----------------------------------------------------------------
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def test_security_headers_on_every_kind_of_response(kclient: TestClient) -> None:
    responses = [
        kclient.get(f"/v1/forecasts/{SID}"),
        kclient.get("/v1/forecasts", params={"format": "csv"}),
        kclient.get("/v1/forecasts/nope"),
        kclient.get(f"/v1/forecasts/{SID}", params={"horizon": 0}),
        kclient.post(
            "/v1/forecasts:batch", content=b"x" * 5000, headers={"content-type": "application/json"}
        ),
        kclient.get("/health"),
        kclient.get("/metrics"),
        kclient.get("/nowhere"),
        kclient.get("/docs-assets/swagger-ui.css"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 422, 413, 200, 200, 404, 200]
    for r in responses:
        assert {k: r.headers.get(k) for k in SECURITY} == SECURITY, r.url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert responses[0].headers["content-security-policy"].startswith("default-src 'none'")


def test_docs_pages_are_self_hosted_with_a_policy_that_allows_them(kclient: TestClient) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = kclient.get(path)
        assert page.status_code == 200 and f"/docs-assets/{asset}" in page.text
        assert "http://" not in page.text and "https://" not in page.text  # no CDN, no remote favicon
        csp = page.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        js = kclient.get(f"/docs-assets/{asset}")
        assert js.status_code == 200 and len(js.content) > 100_000


def test_public_health_is_status_and_versions_only(kclient: TestClient) -> None:
    h = kclient.get("/health")
    assert set(h.json()) == set(Health.model_fields)
    assert h.json()["status"] == "ok" and h.json()["model_version"] == "1"
    assert kclient.get("/v1/admin/health").status_code == 401
    assert kclient.get("/v1/admin/health", headers={"X-API-Key": "nope"}).status_code == 403
    detail = kclient.get("/v1/admin/health", headers={"X-API-Key": ADMIN_KEY})
    assert detail.status_code == 200
    HealthDetail.model_validate_json(detail.content)
    assert detail.json()["cache_dir"] and detail.json()["served_from"] == "static"


def test_default_poll_notices_a_promotion_within_a_minute() -> None:
    assert 0 < ApiSettings().poll_seconds <= 60 and ApiSettings().auto_reload


# ---- the OpenAPI document ---------------------------------------------------------------------------------
def test_openapi_documents_413_for_bodies_and_a_model_for_every_json_route(kclient: TestClient) -> None:
    spec = kclient.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "post":
                assert "413" in op["responses"], (method, path)
            ok = op["responses"]["200"]["content"]
            if path.endswith(".pdf"):
                assert "application/pdf" in ok, (method, path)  # printed scorecards: a binary body
            elif path != "/metrics":
                assert "$ref" in ok["application/json"]["schema"], (method, path)
    assert "/v1/admin/health" in spec["paths"] and "/docs" not in spec["paths"]


def test_documented_examples_match_their_models() -> None:
    """Every example shown in the docs validates against the model it illustrates."""
    from pydantic import BaseModel

    from service import examples, schemas

    models = [m for m in vars(schemas).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for ex in extra.get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(ex)
            checked += 1
    assert checked >= 10
    schemas.ClusterList.model_validate(examples.CLUSTERS_EXAMPLE)
    schemas.ClusterScorecard.model_validate(examples.SCORECARD_EXAMPLE)
    schemas.ScorecardsDocument.model_validate(examples.SCORECARDS_EXAMPLE)


def test_invest_serve_prepares_an_empty_metrics_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from forecasting.cli.serve_cmd import METRICS_ENV, metrics_dir
    from forecasting.settings import get_settings

    monkeypatch.delenv(METRICS_ENV, raising=False)
    monkeypatch.setenv("INVEST_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)  # later tests read the real settings again
    stale = tmp_path / "data" / "metrics" / "port-8123" / "counter_99.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old counts")
    (stale.parent / "keep.txt").write_text("not ours")
    folder = metrics_dir(8123)
    assert folder == stale.parent and not stale.exists() and (folder / "keep.txt").exists()
    assert os.environ[METRICS_ENV] == str(folder)
    given = tmp_path / "given"
    monkeypatch.setenv(METRICS_ENV, str(given))
    assert metrics_dir(8123) == given and given.is_dir()
