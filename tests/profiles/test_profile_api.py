"""The area routes serve what `invest profiles` wrote: list, profile by code or name, 404s that help."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forecasting.profiles.areas import resolve_area
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.publish import write_profiles
from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource


@pytest.fixture(scope="module")
def written(profile_inputs: ProfileInputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profiles-api")
    write_profiles(profile_inputs, [resolve_area("Birmingham"), resolve_area("Derby")], out, pdf=False)
    return out


def _app() -> FastAPI:
    """The real app over the service tests' small in-memory bundle (the area routes need no model)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "service"))
    from svc_synthetic import make_contents

    return create_app(ApiSettings(), StaticSource(make_contents()))


@pytest.fixture
def api(written: Path) -> Iterator[TestClient]:
    app = _app()
    app.state.service.settings.profiles_dir = written
    with TestClient(app) as c:
        yield c


def test_list_and_profile_by_code_and_by_name(api: TestClient) -> None:
    r = api.get("/v1/areas")
    assert r.status_code == 200
    assert {a["code"] for a in r.json()["items"]} == {"E08000025", "E06000015"}
    assert api.get("/v1/areas", params={"q": "derby"}).json()["count"] == 1
    p = api.get("/v1/areas/E08000025/profile")
    assert p.status_code == 200
    body = p.json()
    assert body["area"]["name"] == "Birmingham"
    gva = body["figures"]["gva_cp"]  # the published local-authority figure (ONS, April 2025 release)
    assert (gva["value"], gva["year"], gva["unit"], gva["price_basis"]) == (
        35427,
        2023,
        "GBP million",
        "current",
    )
    assert gva["geography"] == "E08000025" and gva["source"] == "ons_la_gdp_2025" and gva["release"]
    assert body["sections"]["industry"]["geography"] == "E08000025"  # industry detail at district level
    assert body["sections"]["peers"]["status"] == "ok" and len(body["sections"]["peers"]["rows"]) == 5
    assert api.get("/v1/areas/Birmingham/profile").json()["area"]["code"] == "E08000025"
    etag = p.headers["etag"]
    assert api.get("/v1/areas/E08000025/profile", headers={"If-None-Match": etag}).status_code == 304


def test_unknown_and_unwritten_areas_say_what_to_do(api: TestClient) -> None:
    r = api.get("/v1/areas/Birmingam/profile")
    assert r.status_code == 404 and "Birmingham" in r.json()["detail"]
    r = api.get("/v1/areas/Lincolnshire/profile")
    assert r.status_code == 404 and "invest profiles --area E10000019" in r.json()["detail"]
    r = api.get("/v1/areas/E08000025/profile.pdf")
    assert r.status_code == 404 and "--no-pdf" in r.json()["detail"]


def test_no_profiles_written_is_a_503_naming_the_command(tmp_path: Path) -> None:
    app = _app()
    app.state.service.settings.profiles_dir = tmp_path
    with TestClient(app) as c:
        r = c.get("/v1/areas")
    assert r.status_code == 503 and "invest profiles" in r.json()["detail"]
