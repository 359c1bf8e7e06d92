"""gzip on the API's larger JSON and CSV answers: honours Accept-Encoding, keeps ETag/304 and HEAD right."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient

from service.compression import accepts_gzip

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def _raw(client: TestClient, path: str, headers: dict[str, str]):  # noqa: ANN202
    """The response with its body as sent (httpx would otherwise decode it)."""
    with client.stream("GET", path, headers=headers) as r:
        r.raw_body = b"".join(r.iter_raw())
    return r


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, *;q=1", False),
        ("*", True),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=abc", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str, expected: bool) -> None:
    assert accepts_gzip(header.encode()) is expected


def test_large_json_is_gzipped_for_clients_that_ask_and_decodes_to_the_same(client: TestClient) -> None:
    path = "/v1/series?limit=200"
    plain = _raw(client, path, PLAIN)
    zipped = _raw(client, path, GZIP)
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(plain.raw_body) > 1400
    assert len(zipped.raw_body) < len(plain.raw_body) / 3
    assert int(zipped.headers["content-length"]) == len(zipped.raw_body)
    assert json.loads(gzip.decompress(zipped.raw_body)) == json.loads(plain.raw_body)
    for r in (plain, zipped):  # a shared cache keeps the two apart
        assert "accept-encoding" in r.headers["vary"].lower()


def test_a_compressed_answer_has_a_weak_etag_that_still_gets_a_304(client: TestClient) -> None:
    path = "/v1/series?limit=200"
    plain = client.get(path, headers=PLAIN)
    zipped = client.get(path, headers=GZIP)
    strong = plain.headers["etag"]
    assert not strong.startswith("W/")
    assert zipped.headers["etag"] == "W/" + strong
    for tag in (zipped.headers["etag"], strong):  # If-None-Match compares weakly
        again = client.get(path, headers={**GZIP, "If-None-Match": tag})
        assert again.status_code == 304, tag
        assert again.content == b""
        assert again.headers["etag"] == zipped.headers["etag"]
        assert "content-encoding" not in again.headers
    assert client.get(path, headers={**PLAIN, "If-None-Match": zipped.headers["etag"]}).status_code == 304
    changed = client.get("/v1/series?limit=199", headers={**GZIP, "If-None-Match": zipped.headers["etag"]})
    assert changed.status_code == 200


def test_small_answers_and_refusals_stay_uncompressed(client: TestClient) -> None:
    small = _raw(client, "/health", GZIP)
    assert len(small.raw_body) < 1400
    assert "content-encoding" not in small.headers
    refused = _raw(client, "/v1/series?limit=200", {"Accept-Encoding": "gzip;q=0, br"})
    assert "content-encoding" not in refused.headers
    json.loads(refused.raw_body)


def test_csv_exports_are_gzipped_too(client: TestClient) -> None:
    sid = client.get("/v1/series").json()["items"][0]
    measure = sid["measure"]
    path = f"/v1/forecasts?measure={measure}&format=csv&limit=500"
    plain = _raw(client, path, PLAIN)
    zipped = _raw(client, path, GZIP)
    assert plain.status_code == 200, plain.raw_body[:300]
    assert plain.headers["content-type"].startswith("text/csv")
    assert len(plain.raw_body) >= 1400
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.raw_body) == plain.raw_body


def test_head_reports_the_compressed_headers_without_a_body(client: TestClient) -> None:
    path = "/v1/series?limit=200"
    got = client.get(path, headers=GZIP)
    head = client.head(path, headers=GZIP)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-encoding"] == "gzip"
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_precompressed_and_binary_answers_are_left_alone(client: TestClient) -> None:
    page = client.get("/app").text
    plotly = next(part.split('"')[0] for part in page.split('href="')[1:] if "/app/vendor/plotly-" in part)
    r = _raw(client, plotly, GZIP)
    assert r.headers["content-encoding"] == "gzip"  # once, by the vendor route: not gzip inside gzip
    assert gzip.decompress(r.raw_body)[:200].decode("utf-8", "replace").strip()
