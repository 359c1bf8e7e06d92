"""Safe operations against real ``invest serve`` processes on loopback and a real sqlite MLflow registry:
metrics summed over workers, a bad JSON body that leaves its keep-alive connection usable, a promotion
noticed and reported until reload, why a cached bundle is served, and the API docs with the network off."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import httpx
import pytest
from svc_registry import ADMIN_KEY, TrainedRegistry
from svc_server import serve

from forecasting.chromium import HEADLESS_ARGS
from forecasting.registry.loader import load_bundle
from service.lifecycle import LoaderSource

SID = "fdi_inward_position.TLG.all.A"
COUNT = re.compile(
    r'^invest_api_requests_total\{method="GET",route="/v1/forecasts/\{series_id\}",status="200"\} (\S+)$',
    re.M,
)


def _per_worker(folder: Path) -> dict[str, float]:
    """Forecast GETs counted in each worker's own file (pid -> count)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    out = {}
    for f in folder.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(f)], accumulate=False):
            for s in metric.samples:
                if s.name.endswith("_total") and s.labels.get("route") == "/v1/forecasts/{series_id}":
                    out[f.stem.split("_")[-1]] = s.value
    return out


@pytest.mark.slow
def test_metrics_count_the_requests_of_every_worker(trained: TrainedRegistry, tmp_path: Path) -> None:
    folder = tmp_path / "prom"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"stale")  # left by an earlier run: cleaned at start
    env = {
        **trained.env("cache-metrics"),
        "INVEST_API_POLL_SECONDS": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    with serve(env, "--workers", "2") as base:
        deadline = time.monotonic() + 60  # both workers loaded (model_loaded is the minimum over workers)
        while "invest_api_model_loaded 1.0" not in httpx.get(f"{base}/metrics").text:
            assert time.monotonic() < deadline, "both workers never loaded the model"
            time.sleep(0.2)
        sent = 0
        while sent < 400 and (sent < 40 or len(_per_worker(folder)) < 2):
            # a fresh connection each time, so the kernel spreads them over both workers
            assert httpx.get(f"{base}/v1/forecasts/{SID}", headers={"Connection": "close"}).status_code == 200
            sent += 1
        # a request is counted when its handler returns, just after the client has the response: wait
        # (briefly) for the last ones before comparing
        deadline = time.monotonic() + 10
        while sum((per_worker := _per_worker(folder)).values()) < sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(per_worker) == 2 and sum(per_worker.values()) == sent  # each worker served some
        for _ in range(4):  # whichever worker answers the scrape, it reports every worker's requests
            text = httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text
            assert [float(v) for v in COUNT.findall(text)] == [sent]
            pids = set(re.findall(r'^invest_api_model_info\{[^}]*pid="(\d+)"[^}]*\} 1\.0$', text, re.M))
            assert pids == set(per_worker), text


@pytest.mark.slow
def test_bad_json_then_good_request_on_one_keepalive_connection(trained: TrainedRegistry) -> None:
    env = {**trained.env("cache-json"), "INVEST_API_POLL_SECONDS": "0"}
    bodies = [b'{"series_ids": ["%s"], "horizon": NaN}', b'{"series_ids": ["%s"], "quantiles": [1e999]}']
    with serve(env) as base, httpx.Client(base_url=base, timeout=10) as c:
        peers = set()
        for body in bodies:
            bad = c.post(
                "/v1/forecasts:batch",
                content=body % SID.encode(),
                headers={"content-type": "application/json"},
            )
            assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] in (
                ["body", "horizon"],
                ["body", "quantiles"],
            )
            assert bad.headers.get("connection") != "close"
            good = c.get(f"/v1/forecasts/{SID}")
            assert good.status_code == 200
            for r in (bad, good):
                peers.add(r.extensions["network_stream"].get_extra_info("client_addr"))
        assert len(peers) == 1  # the same TCP connection throughout


def _other_version(trained: TrainedRegistry) -> tuple[str, str]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=trained.uri, registry_uri=trained.uri)
    name = trained.settings.model_name
    champion = str(client.get_model_version_by_alias(name, "champion").version)
    others = [str(v.version) for v in client.search_model_versions(f"name = '{name}'")]
    others = [v for v in others if v != champion]
    return champion, others[0] if others else trained.train()


@pytest.mark.slow
def test_health_reports_a_moved_champion_until_reload(trained: TrainedRegistry) -> None:
    """With auto-reload off the poller only notices: /health says champion_moved (degraded) until reload."""
    champion, target = _other_version(trained)
    env = {
        **trained.env("cache-moved"),
        "INVEST_API_POLL_SECONDS": "0.5",
        "INVEST_API_AUTO_RELOAD": "false",
    }
    admin = {"X-API-Key": ADMIN_KEY}
    with serve(env) as base, httpx.Client(base_url=base, timeout=10) as c:
        h = c.get("/health").json()
        assert (h["status"], h["model_version"], h["champion_moved"]) == ("ok", champion, False)
        trained.promote(target)
        try:
            deadline = time.monotonic() + 30
            while not c.get("/health").json()["champion_moved"] and time.monotonic() < deadline:
                time.sleep(0.2)
            h = c.get("/health").json()
            assert h == {**h, "status": "degraded", "champion_moved": True}
            assert (h["model_version"], h["registered_version"]) == (champion, target)
            assert c.get(f"/v1/forecasts/{SID}").json()["provenance"]["model_version"] == champion
            assert c.get("/v1/admin/health", headers=admin).json()["problem"] == "champion_moved"
            assert "\ninvest_api_champion_moved 1.0\n" in c.get("/metrics").text
            assert c.post("/v1/models/reload", headers=admin).status_code == 200
            h = c.get("/health").json()
            assert (h["status"], h["model_version"], h["champion_moved"]) == ("ok", target, False)
            assert "\ninvest_api_champion_moved 0.0\n" in c.get("/metrics").text
        finally:
            trained.promote(champion)


def _register_broken(trained: TrainedRegistry, tmp: Path) -> None:
    """Versions of another registered model whose files are gone (alias missing) or garbage (corrupt)."""
    import mlflow.artifacts
    from mlflow import MlflowClient

    from forecasting.registry.target import use_tracking

    client = MlflowClient(tracking_uri=trained.uri, registry_uri=trained.uri)
    mv = client.get_model_version_by_alias(trained.settings.model_name, "champion")
    with use_tracking(trained.uri):
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{trained.settings.model_name}/{mv.version}", dst_path=str(tmp / "dl")
            )
        )
    client.create_registered_model("svc-broken")
    for alias in ("missing", "corrupt"):
        src = tmp / alias
        shutil.copytree(local, src)
        v = client.create_model_version("svc-broken", source=str(src), run_id=mv.run_id)
        client.set_registered_model_alias("svc-broken", alias, v.version)
    shutil.rmtree(tmp / "missing")
    for p in (tmp / "corrupt").rglob("*.parquet"):
        p.write_bytes(b"not parquet")


def test_cached_bundle_reason_tells_missing_artifact_from_unreachable_registry(
    trained: TrainedRegistry, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    _register_broken(trained, tmp_path)
    for alias, kind in (("missing", "artifact_missing"), ("corrupt", "artifact_corrupt")):
        with pytest.raises(Exception) as exc:
            load_bundle(model_name="svc-broken", alias=alias, tracking_uri=trained.uri)
        assert exc.value.kind == kind  # type: ignore[attr-defined]
    LoaderSource(trained.api_settings(cache="cache-broken")).load()  # an earlier good load filled the cache
    settings = trained.api_settings(
        cache="cache-broken", model_name="svc-broken", model_alias="missing", poll_seconds=0
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").json()["status"] == "degraded"
        d = c.get("/v1/admin/health", headers={"X-API-Key": ADMIN_KEY}).json()
        assert d["problem"] == "artifact_missing" and d["served_from"] == "cache"
        assert "registry answered" in d["reason"] and "cannot be reached" not in d["reason"]
        assert "artifact_missing" in d["fallback_reason"]
    with TestClient(
        create_app(trained.api_settings(cache="cache-none", model_name="nope", poll_seconds=0))
    ) as c:
        r = c.get(f"/v1/forecasts/{SID}")
        assert (
            r.status_code == 503 and "has no model version under the configured alias" in r.json()["detail"]
        )


@pytest.mark.slow
def test_docs_render_with_the_network_off(trained: TrainedRegistry) -> None:
    """Headless Chromium (Debian's) loads /docs and /redoc; every non-loopback request is blocked and
    fails the test; the route list must render and the page's own policy must not block anything."""
    from playwright.sync_api import sync_playwright

    env = {**trained.env("cache-docs"), "INVEST_API_POLL_SECONDS": "0"}
    outside: list[str] = []
    console: list[str] = []
    with serve(env) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=list(HEADLESS_ARGS),
        )
        try:
            page = browser.new_page()

            def gate(route) -> None:  # noqa: ANN001
                url = route.request.url
                if url.startswith((base, "data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", gate)
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(f"{base}/docs")
            page.get_by_text("/v1/forecasts/{series_id}", exact=True).first.wait_for(timeout=30_000)
            assert page.get_by_text("/v1/forecasts:batch", exact=True).count() >= 1
            page.goto(f"{base}/redoc")
            page.get_by_role("heading", name="Forecast for one series").first.wait_for(timeout=30_000)
        finally:
            browser.close()
    assert not outside, outside
    # The policy may only have blocked remote decoration (ReDoc's "by Redocly" logo, an https image):
    # nothing from this server, no script and no style.
    blocked = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert all("img-src" in m and "'https://" in m and base not in m for m in blocked), blocked
