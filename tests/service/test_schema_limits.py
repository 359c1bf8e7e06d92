"""The OpenAPI schema states the limits the server enforces, so a client reading it is not surprised:
the horizon cap per series, `with` / `version` exclusivity, the path and header length."""

from __future__ import annotations

from fastapi.testclient import TestClient

SID = "fdi_inward_position.TLG.all.A"  # annual: 5 steps stored in the synthetic bundle


def _params(client: TestClient, path: str) -> dict[str, dict]:
    op = client.get("/openapi.json").json()["paths"][path]["get"]
    return {p["name"]: p for p in op["parameters"]}


def test_schema_states_the_horizon_cap_and_it_is_enforced(client: TestClient) -> None:
    for path in ("/v1/forecasts/{series_id}", "/v1/forecasts"):
        horizon = _params(client, path)["horizon"]
        assert "max_horizon" in horizon["description"] and "422 beyond" in horizon["description"]
    assert client.get(f"/v1/forecasts/{SID}", params={"horizon": 5}).status_code == 200
    r = client.get(f"/v1/forecasts/{SID}", params={"horizon": 6})  # schema-valid (<= 1000), beyond stored
    assert r.status_code == 422 and "5" in r.text


def test_schema_states_with_and_version_are_exclusive(client: TestClient) -> None:
    params = _params(client, "/v1/forecasts/{series_id}/compare")
    assert "Exclusive with `version`" in params["with"]["description"]
    assert "exclusive" in params["version"]["description"]
    r = client.get(f"/v1/forecasts/{SID}/compare", params={"with": "challenger", "version": 1})
    assert r.status_code == 422 and "not both" in r.text


def test_schema_states_the_path_length(client: TestClient) -> None:
    sid = _params(client, "/v1/forecasts/{series_id}")["series_id"]
    assert sid["schema"]["maxLength"] == 300 and "431" in sid["description"]
