"""The app on a real bundle: quick.toml trained into a temporary sqlite registry, loaded via the alias."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from svc_registry import TrainedRegistry

from service.schemas import BatchResponse


def _ids(c: TestClient) -> list[str]:
    return [s["series_id"] for s in c.get("/v1/series", params={"limit": 1000}).json()["items"]]


def test_current_model_is_the_champion_with_provenance(
    real_client: TestClient, trained: TrainedRegistry
) -> None:
    info = real_client.get("/v1/models/current").json()
    assert info["model_name"] == "investment-forecaster" and info["model_alias"] == "champion"
    assert info["model_version"] == trained.champion() and info["served_from"] == "registry"
    assert info["data_vintage"] and info["trained_at"] and info["experiment"] == "quick"
    assert info["warehouse_vintage"] == info["data_vintage"] and info["stale"] is False
    head = info["headline_metrics"]
    assert head["mase_median"] > 0 and info["n_series"] >= 5 and "mase" not in head  # robust, not a mean
    assert real_client.get("/health").json()["status"] == "ok"


def test_every_forecast_carries_provenance(real_client: TestClient) -> None:
    ids = _ids(real_client)
    assert "fdi_inward_position.MID.all.A" in ids  # derived Midlands aggregate
    batch = real_client.post("/v1/forecasts:batch", json={"series_ids": ids})
    assert batch.status_code == 200
    BatchResponse.model_validate_json(batch.content)  # the precomputed bytes match the declared model
    for f in batch.json()["forecasts"]:
        p = f["provenance"]
        assert p["model_name"] == "investment-forecaster" and p["model_version"] and p["data_vintage"]
        assert p["sources"] and p["method"] == f["method"] and f["points"]
        assert all(pt["quantiles"]["q0.1"] <= pt["quantiles"]["q0.9"] for pt in f["points"])
        assert f == real_client.get(f"/v1/forecasts/{f['series_id']}").json()


def test_history_table_and_horizon_limits(real_client: TestClient) -> None:
    sid = "fdi_inward_position.TLG.all.A"
    obs = real_client.get(f"/v1/series/{sid}/history").json()["observations"]
    assert len(obs) >= 8 and all(o["source"] and o["vintage"] for o in obs)
    fc = real_client.get(f"/v1/forecasts/{sid}").json()
    too_far = real_client.get(f"/v1/forecasts/{sid}", params={"horizon": fc["max_horizon"] + 1})
    assert too_far.status_code == 422 and f"maximum {fc['max_horizon']}" in too_far.json()["detail"][0]["msg"]
    r = real_client.get(
        "/v1/forecasts",
        params={"measure": "fdi_inward_position", "level": "itl1"},
        headers={"Accept": "text/csv"},
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["geography"] for row in rows} == {"TLF", "TLG"}
    assert all(row["model_version"] and row["data_vintage"] and row["sources"] for row in rows)
    assert all(row["run_id"] and row["is_synthetic"] in ("True", "False") for row in rows)
    miss = real_client.get("/v1/forecasts/fdi_inward_position.TLG.all.Q").json()
    assert sid in miss["detail"]["suggestions"]
