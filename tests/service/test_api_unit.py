"""The API on an in-memory synthetic bundle: contracts, errors, caching, auth (fast; no training)."""

from __future__ import annotations

import csv
import io
import time

import pytest
from fastapi.testclient import TestClient
from svc_registry import ADMIN_KEY
from svc_synthetic import make_contents

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource

SID = "fdi_inward_position.TLG.all.A"
QID = "business_investment.TLF.all.Q"


def test_single_forecast_carries_provenance_and_intervals(client: TestClient) -> None:
    r = client.get(f"/v1/forecasts/{SID}")
    assert r.status_code == 200
    body = r.json()
    assert body["horizon"] == body["max_horizon"] == 5 and len(body["points"]) == 5
    assert body["interval_levels"] == [50, 60, 80, 90, 95]
    p = body["provenance"]
    assert p["model_name"] == "investment-forecaster" and p["model_version"] == "1"
    assert p["data_vintage"] == "v20251124T101500" and p["sources"] == ["ons_fdi"] and p["method"] == "ets"
    pt = body["points"][0]
    iv80 = next(i for i in pt["intervals"] if i["level"] == 80)
    assert iv80["lower"] == pt["quantiles"]["q0.1"] < pt["mean"] < pt["quantiles"]["q0.9"] == iv80["upper"]
    assert r.headers["etag"] and "max-age" in r.headers["cache-control"]


def test_horizon_and_quantile_subset(client: TestClient) -> None:
    body = client.get(f"/v1/forecasts/{QID}", params={"horizon": 2, "quantiles": "0.9,0.1"}).json()
    assert body["horizon"] == 2 and body["quantiles"] == [0.1, 0.9] and body["interval_levels"] == [80]
    assert set(body["points"][0]["quantiles"]) == {"q0.1", "q0.9"}


def test_unknown_series_is_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/v1/forecasts/fdi_inward_position.TLG.all.Q")
    assert r.status_code == 404
    assert SID in r.json()["detail"]["suggestions"]
    assert client.get("/v1/series/nope/history").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": "abc"}, "horizon"),
        ({"quantiles": "0.33"}, "quantiles"),
        ({"quantiles": "x"}, "quantiles"),
        ({"quantiles": ","}, "quantiles"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client: TestClient, params: dict, field: str) -> None:
    r = client.get(f"/v1/forecasts/{SID}", params=params)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == field


def test_horizon_beyond_bundle_is_422_with_the_maximum(client: TestClient) -> None:
    r = client.get(f"/v1/forecasts/{SID}", params={"horizon": 6})
    assert r.status_code == 422 and "maximum 5" in r.json()["detail"][0]["msg"]


def test_batch_order_duplicates_and_default_bodies(client: TestClient) -> None:
    r = client.post("/v1/forecasts:batch", json={"series_ids": [QID, SID, QID]})
    assert r.status_code == 200
    body = r.json()
    assert [f["series_id"] for f in body["forecasts"]] == [QID, SID] and body["count"] == 2
    assert body["forecasts"][1] == client.get(f"/v1/forecasts/{SID}").json()
    assert body["model"]["model_version"] == "1"


def test_batch_errors(client: TestClient) -> None:
    unknown = client.post("/v1/forecasts:batch", json={"series_ids": [SID, "fdi_inward_position.TLG.al.A"]})
    assert unknown.status_code == 404 and unknown.json()["detail"]["unknown"][0]["suggestions"]
    partial = client.post("/v1/forecasts:batch", json={"series_ids": [SID, "x"], "ignore_unknown": True})
    assert partial.status_code == 200 and partial.json()["unknown"][0]["series_id"] == "x"
    assert (
        client.post("/v1/forecasts:batch", json={"series_ids": [SID] * 11}).status_code == 413
    )  # max_batch 10
    big = client.post(
        "/v1/forecasts:batch",
        content=b'{"series_ids":["' + b"a" * 5000 + b'"]}',
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    h = client.post("/v1/forecasts:batch", json={"series_ids": [SID, QID], "horizon": 6})
    assert (
        h.status_code == 422 and h.json()["detail"][0]["loc"] == ["body", "horizon"] and "maximum 5" in h.text
    )
    assert client.post("/v1/forecasts:batch", json={"series_ids": []}).status_code == 422
    assert (
        client.post(
            "/v1/forecasts:batch", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_etag_304_and_version_change(static_source: StaticSource) -> None:
    app = create_app(ApiSettings(admin_api_keys=[ADMIN_KEY]), static_source)
    with TestClient(app) as c:
        first = c.get(f"/v1/forecasts/{SID}")
        etag = first.headers["etag"]
        assert c.get(f"/v1/forecasts/{SID}").headers["etag"] == etag
        assert c.get(f"/v1/forecasts/{SID}", params={"horizon": 2}).headers["etag"] != etag
        r304 = c.get(f"/v1/forecasts/{SID}", headers={"If-None-Match": etag})
        assert r304.status_code == 304 and r304.headers["etag"] == etag and not r304.content
        static_source.version, static_source.contents = "2", make_contents(shift=10.0)
        r = c.post("/v1/models/reload", headers={"X-API-Key": ADMIN_KEY})
        assert r.status_code == 200 and r.json()["changed"] and r.json()["previous_version"] == "1"
        after = c.get(f"/v1/forecasts/{SID}", headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert after.json()["provenance"]["model_version"] == "2"


def test_forecast_table_json_and_csv(client: TestClient) -> None:
    j = client.get(
        "/v1/forecasts", params={"measure": "fdi_inward_position", "level": "itl1", "horizon": 2}
    ).json()
    assert j["total_series"] == 2 and len(j["rows"]) == 4
    assert {"lo80", "hi80", "q0.5", "model_version", "data_vintage", "sources"} <= set(j["rows"][0])
    r = client.get(
        "/v1/forecasts", params={"cluster": "all", "geography": "TLG3"}, headers={"Accept": "text/csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 5 + 8 and rows[0]["model_version"] == "1" and rows[0]["method"] == "combo(ets,theta)"
    assert client.get("/v1/forecasts", params={"horizon": 6}).status_code == 422
    assert client.get("/v1/forecasts", params={"format": "xml"}).status_code == 422


def test_series_catalogue_and_history(client: TestClient) -> None:
    page = client.get("/v1/series", params={"frequency": "Q", "limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["next_offset"] == 2
    last = client.get("/v1/series", params={"frequency": "Q", "limit": 2, "offset": 2}).json()
    assert len(last["items"]) == 1 and last["next_offset"] is None
    assert client.get("/v1/series", params={"level": "itl2,itl1", "measure": "x"}).json()["total"] == 0
    assert client.get("/v1/series", params={"limit": 10**5}).json()["limit"] == 1000
    h = client.get(f"/v1/series/{SID}/history").json()
    assert len(h["observations"]) == 8
    assert h["observations"][0] == {
        **h["observations"][0],
        "source": "ons_fdi",
        "vintage": "v20251124T101500",
    }


def test_admin_reload_needs_an_admin_key(client: TestClient) -> None:
    assert client.post("/v1/models/reload").status_code == 401
    assert client.post("/v1/models/reload", headers={"X-API-Key": "wrong"}).status_code == 403
    ok = client.post("/v1/models/reload", headers={"X-API-Key": ADMIN_KEY})
    assert ok.status_code == 200 and ok.json()["changed"] is False


def test_read_keys_when_configured(static_source: StaticSource) -> None:
    with TestClient(create_app(ApiSettings(api_keys=["r1"]), static_source)) as c:
        assert c.get(f"/v1/forecasts/{SID}").status_code == 401
        assert c.get(f"/v1/forecasts/{SID}", headers={"X-API-Key": "bad"}).status_code == 403
        assert c.get(f"/v1/forecasts/{SID}", headers={"X-API-Key": "r1"}).status_code == 200
        assert c.get("/health").status_code == 200


class _Broken:
    def load(self):  # noqa: ANN201
        raise ConnectionError("registry down")


def test_no_model_starts_and_answers_503() -> None:
    with TestClient(create_app(ApiSettings(admin_api_keys=[ADMIN_KEY]), _Broken())) as c:
        h = c.get("/health")
        assert h.status_code == 503 and h.json()["status"] == "unavailable"
        assert "registry down" not in h.text  # the error text is for admins only
        detail = c.get("/v1/admin/health", headers={"X-API-Key": ADMIN_KEY}).json()
        assert detail["status"] == "unavailable" and "registry down" in detail["last_error"]
        assert detail["problem"] == "load_failed" and detail["reason"].startswith("no model loaded")
        r = c.get(f"/v1/forecasts/{SID}")
        assert r.status_code == 503 and "no forecast model is loaded" in r.json()["detail"]
        assert "registry down" not in r.text
        assert c.post("/v1/forecasts:batch", json={"series_ids": [SID]}).status_code == 503
        assert c.get("/v1/series").status_code == 503
        assert c.post("/v1/models/reload", headers={"X-API-Key": ADMIN_KEY}).status_code == 503


def test_metrics_prometheus_text(client: TestClient) -> None:
    client.get(f"/v1/forecasts/{SID}")
    client.get("/v1/forecasts/missing")
    text = client.get("/metrics").text
    assert (
        'invest_api_requests_total{method="GET",route="/v1/forecasts/{series_id}",status="200"} 1.0' in text
    )
    assert 'route="/v1/forecasts/{series_id}",status="404"} 1.0' in text
    assert (
        "invest_api_request_duration_seconds_bucket" in text
        and 'invest_api_model_info{data_vintage="v20251124T101500",name="investment-forecaster",version="1"} 1.0'
        in text
    )


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    comps = spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") and op.get("description"), (method, path)
            ok = op["responses"]["200"]["content"]
            media, content = next(iter(ok.items()))
            ref = content.get("schema", {}).get("$ref", "")
            has_example = "example" in content or bool(comps.get(ref.rsplit("/", 1)[-1], {}).get("examples"))
            assert has_example, (method, path, media)
    assert {
        "/v1/forecasts:batch",
        "/v1/forecasts/{series_id}",
        "/v1/forecasts",
        "/v1/series",
        "/v1/series/{series_id}/history",
        "/v1/models/current",
        "/v1/models/reload",
        "/health",
        "/metrics",
    } <= set(spec["paths"])


def test_polling_picks_up_a_moved_alias(static_source: StaticSource) -> None:
    with TestClient(create_app(ApiSettings(poll_seconds=0.05), static_source)) as c:
        assert c.get("/v1/models/current").json()["model_version"] == "1"
        static_source.version = "2"
        deadline = time.monotonic() + 5
        while c.get("/v1/models/current").json()["model_version"] != "2" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get(f"/v1/forecasts/{SID}").json()["provenance"]["model_version"] == "2"


def test_stale_series_says_why_in_json_and_csv() -> None:
    """Staleness in plain sight: the reason (data end, age, release) travels with ``stale``."""
    contents = make_contents()
    cat = contents.catalogue
    reason = "stale: data end 2019, 83 months before 2026-12-07; from the release of 2020-06-01 (ons_fdi), 78 months old"
    cat["stale"] = cat["series_id"] == SID
    cat["stale_reason"] = [reason if s == SID else "" for s in cat["series_id"]]
    with TestClient(create_app(ApiSettings(), StaticSource(contents))) as c:
        p = c.get(f"/v1/forecasts/{SID}").json()["provenance"]
        assert p["stale"] is True and p["stale_reason"] == reason
        assert c.get(f"/v1/forecasts/{QID}").json()["provenance"]["stale_reason"] == ""
        rows = list(csv.DictReader(io.StringIO(c.get("/v1/forecasts", params={"format": "csv"}).text)))
    assert {r["stale_reason"] for r in rows if r["series_id"] == SID} == {reason}
