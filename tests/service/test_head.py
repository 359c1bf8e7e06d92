"""HEAD is GET without the body on every GET route: same status and headers, no body."""

from __future__ import annotations

from fastapi.testclient import TestClient

MUST_BE_200 = {"/health", "/app", "/v1/series", "/v1/forecasts", "/v1/models/current", "/openapi.json"}


def _get_paths(client: TestClient) -> list[str]:
    """Every GET route of the schema (path parameters filled from the catalogue), plus the pages."""
    sid = client.get("/v1/series").json()["items"][0]["series_id"]
    values = {"series_id": sid, "name": "baseline", "cluster_id": "all", "area": "E08000025"}
    paths = ["/app", "/docs", "/openapi.json"]
    for path, ops in client.app.openapi()["paths"].items():
        if "get" in ops:
            for key, value in values.items():
                path = path.replace("{" + key + "}", value)
            assert "{" not in path, f"no value for a path parameter of {path}"
            paths.append(path)
    return paths


def test_head_answers_like_get_on_every_get_route(client: TestClient) -> None:
    paths = _get_paths(client)
    assert len(paths) > 15
    for path in paths:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, (
            f"HEAD {path}: {head.status_code} vs GET {got.status_code}"
        )
        assert head.content == b"", f"HEAD {path} sent a body"
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        if got.headers.get("etag"):
            assert head.headers["etag"] == got.headers["etag"], path
        if path in MUST_BE_200 or path.count("/") == 3 and path.startswith("/v1/forecasts/"):
            assert head.status_code == 200, f"HEAD {path} is {head.status_code}"


def test_head_on_a_post_only_route_is_still_refused(client: TestClient) -> None:
    assert client.head("/v1/models/reload").status_code == 405
