"""``invest serve`` as a real process on a loopback port: endpoints over HTTP, promotion + reload under
concurrent requests, and degraded / no-model start-up."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from svc_registry import ADMIN_KEY, TrainedRegistry
from svc_server import free_port, serve

from service.lifecycle import LoaderSource

SID = "fdi_inward_position.TLG.all.A"


@pytest.mark.slow
def test_invest_serve_answers_with_provenance_and_caching(trained: TrainedRegistry) -> None:
    with serve(trained.env("cache-e2e")) as base, httpx.Client(base_url=base, timeout=10) as c:
        assert c.get("/health").json()["status"] == "ok"
        current = c.get("/v1/models/current").json()
        r = c.get(f"/v1/forecasts/{SID}")
        assert r.status_code == 200
        prov = r.json()["provenance"]
        assert (
            prov["model_version"] == current["model_version"]
            and prov["data_vintage"] == current["data_vintage"]
        )
        assert prov["sources"] and prov["model_name"] == "investment-forecaster"
        assert c.get(f"/v1/forecasts/{SID}", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        ids = [s["series_id"] for s in c.get("/v1/series").json()["items"]]
        assert c.post("/v1/forecasts:batch", json={"series_ids": ids}).json()["count"] == len(ids)
        assert c.get("/v1/forecasts", headers={"Accept": "text/csv"}).text.startswith("series_id,")
        assert c.get("/docs").status_code == 200
        assert c.post("/v1/models/reload").status_code == 401
        assert c.post("/v1/models/reload", headers={"X-API-Key": "nope"}).status_code == 403
        assert c.post("/v1/forecasts:batch", json={"series_ids": [SID] * 1001}).status_code == 413
        assert 'route="/v1/forecasts/{series_id}",status="200"} 1' in c.get("/metrics").text


def _hammer(base: str, stop: threading.Event, seen: list[str], failures: list[str], batch: bool) -> None:
    """Bounded request loop recording the model version each answer came from."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, timeout=10) as c:
        for _ in range(5000):
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                if batch:
                    r = c.post(
                        "/v1/forecasts:batch", json={"series_ids": [SID, "fdi_inward_position.TLF.all.A"]}
                    )
                    version = r.json()["model"]["model_version"] if r.status_code == 200 else None
                else:
                    r = c.get(f"/v1/forecasts/{SID}")
                    version = r.json()["provenance"]["model_version"] if r.status_code == 200 else None
                if version is None:
                    failures.append(f"{r.status_code}: {r.text[:200]}")
                else:
                    seen.append(version)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))


@pytest.mark.slow
def test_promotion_and_reload_under_concurrent_requests(trained: TrainedRegistry) -> None:
    with serve(trained.env("cache-reload")) as base:
        old = httpx.get(f"{base}/v1/models/current").json()["model_version"]
        new = trained.train()
        trained.promote(new)
        assert httpx.get(f"{base}/v1/models/current").json()["model_version"] == old  # in memory until reload
        stop = threading.Event()
        seen: list[list[str]] = [[] for _ in range(4)]
        failures: list[str] = []
        threads = [
            threading.Thread(target=_hammer, args=(base, stop, seen[i], failures, i % 2 == 1))
            for i in range(4)
        ]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            r = httpx.post(f"{base}/v1/models/reload", headers={"X-API-Key": ADMIN_KEY}, timeout=60)
            assert r.status_code == 200, r.text
            assert r.json()["changed"] and r.json()["previous_version"] == old
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        assert not failures, failures[:5]
        for versions in seen:
            assert versions and versions[0] == old and versions[-1] == new
            switch = versions.index(new)
            assert set(versions[:switch]) == {old} and set(versions[switch:]) == {
                new
            }  # never back, never mixed
        assert httpx.get(f"{base}/v1/models/current").json()["model_version"] == new


@pytest.mark.slow
def test_unreachable_registry_serves_cache_then_nothing(trained: TrainedRegistry) -> None:
    LoaderSource(
        trained.api_settings(cache="cache-degraded")
    ).load()  # a previous good start filled the cache
    dead = f"http://127.0.0.1:{free_port()}"
    env = {
        **trained.env("cache-degraded"),
        "INVEST_API_TRACKING_URI": dead,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }
    with serve(env) as base, httpx.Client(base_url=base, timeout=10) as c:
        h = c.get("/health")
        assert h.status_code == 200 and h.json()["status"] == "degraded"
        assert dead not in h.text and "reason" not in h.json()  # public: status and versions only
        d = c.get("/v1/admin/health", headers={"X-API-Key": ADMIN_KEY}).json()
        assert d["problem"] == "registry_unreachable" and "cached bundle" in d["reason"]
        assert "cannot be reached" in d["reason"] and dead in d["fallback_reason"]
        r = c.get(f"/v1/forecasts/{SID}")
        assert r.status_code == 200 and r.json()["provenance"]["served_from"] == "cache"
    env["INVEST_API_CACHE_DIR"] = str(trained.root / "cache-empty")
    with serve(env) as base, httpx.Client(base_url=base, timeout=10) as c:
        h = c.get("/health")
        assert h.status_code == 503 and h.json()["status"] == "unavailable" and not h.json()["model_version"]
        r = c.get(f"/v1/forecasts/{SID}")
        assert r.status_code == 503 and r.json()["detail"] == (
            "no forecast model is loaded: the model registry cannot be reached"
        )
        assert str(trained.root) not in r.text and dead not in r.text
        assert c.post("/v1/forecasts:batch", json={"series_ids": [SID]}).status_code == 503


@pytest.mark.slow
def test_several_workers_follow_a_promotion_by_polling(trained: TrainedRegistry) -> None:
    """With --workers 2 a reload call reaches one worker; polling the alias moves them all (here a rollback)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=trained.uri, registry_uri=trained.uri)
    name = trained.settings.model_name
    champion = str(client.get_model_version_by_alias(name, "champion").version)
    others = [str(v.version) for v in client.search_model_versions(f"name = '{name}'")]
    others = [v for v in others if v != champion]
    target = others[0] if others else trained.train()
    env = {**trained.env("cache-workers"), "INVEST_API_POLL_SECONDS": "0.5"}
    with serve(env, "--workers", "2") as base, httpx.Client(base_url=base, timeout=10) as c:
        assert {c.get("/v1/models/current").json()["model_version"] for _ in range(10)} == {champion}
        trained.promote(target)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if {c.get("/v1/models/current").json()["model_version"] for _ in range(10)} == {target}:
                break
            time.sleep(0.3)
        versions = {c.get(f"/v1/forecasts/{SID}").json()["provenance"]["model_version"] for _ in range(20)}
        assert versions == {target}
