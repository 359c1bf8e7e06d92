"""A running server notices its sqlite tracking store being replaced (a restored backup: a new inode), not
only a moved alias: it reloads from the new file, or says ``degraded`` naming why; a failed reload names its
cause and shows on /health. Real MLflow sqlite stores copied from the session's trained registry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from svc_registry import ADMIN_KEY, TrainedRegistry

from forecasting.registry.target import release_store, store_identity
from forecasting.settings import ApiSettings
from service.app import create_app

ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.fixture
def store(trained: TrainedRegistry, tmp_path: Path) -> Path:
    """A private copy of the trained store (artifacts stay where the copy's URIs point: read only)."""
    db = tmp_path / "mlflow.db"
    shutil.copyfile(trained.root / "mlflow.db", db)
    return db


def _replace(db: Path, edit: object = None) -> None:
    """Replace ``db`` by an (optionally edited) copy of itself renamed over it: same name, new inode."""
    new = db.with_name("restored.db")
    shutil.copyfile(db, new)
    if edit is not None:
        edit(MlflowClient(tracking_uri=f"sqlite:///{new}", registry_uri=f"sqlite:///{new}"))
        release_store(f"sqlite:///{new}")  # MLflow's pooled connection would outlive the rename (the bug)
    before = store_identity(f"sqlite:///{db}")
    os.replace(new, db)
    assert store_identity(f"sqlite:///{db}") != before


def test_a_replaced_store_is_read_afresh_and_a_failed_reload_is_reported(
    trained: TrainedRegistry, store: Path, tmp_path: Path
) -> None:
    uri = f"sqlite:///{store}"
    settings = ApiSettings(
        tracking_uri=uri,
        cache_dir=tmp_path / "cache",
        warehouse_path=trained.settings.warehouse,
        admin_api_keys=[ADMIN_KEY],
        poll_seconds=0,
    )
    app = create_app(settings)
    name = trained.settings.model_name
    with TestClient(app) as c:
        holder = app.state.service.holder
        assert c.get("/health").json()["status"] == "ok"
        served = c.get("/health").json()["model_version"]

        # the backup has no champion alias: the old pooled connection would still see it, a fresh one not
        _replace(store, lambda client: client.delete_registered_model_alias(name, "champion"))
        holder.refresh()
        health = c.get("/health").json()
        assert health["status"] == "degraded" and health["model_version"] == served
        detail = c.get("/v1/admin/health", headers=ADMIN).json()
        assert detail["problem"] == "not_registered"
        assert "tracking store file was replaced" in detail["reason"]
        assert "no model version under the configured alias" in detail["reason"]

        r = c.post("/v1/models/reload", headers=ADMIN)
        assert r.status_code == 503
        text = r.json()["detail"]
        assert "no model version under the configured alias" in text and f"version {served}" in text
        assert "tracking store file was replaced" in text
        assert c.get("/health").json()["status"] == "degraded"  # /health reflects the failed reload

        # a store with the champion again: the next check reloads from it and all is well
        _replace(store, lambda client: client.set_registered_model_alias(name, "champion", served))
        holder.refresh()
        assert c.get("/health").json()["status"] == "ok"
        assert c.get("/v1/admin/health", headers=ADMIN).json()["problem"] is None


def test_a_failed_reload_without_a_replaced_store_turns_health_degraded(
    trained: TrainedRegistry, store: Path, tmp_path: Path
) -> None:
    settings = ApiSettings(
        tracking_uri=f"sqlite:///{store}",
        cache_dir=tmp_path / "cache",
        admin_api_keys=[ADMIN_KEY],
        poll_seconds=0,
    )
    app = create_app(settings)
    name = trained.settings.model_name
    with TestClient(app) as c:
        assert c.get("/health").json()["status"] == "ok"
        assert c.post("/v1/models/reload", headers=ADMIN).status_code == 200
        MlflowClient(
            tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri
        ).delete_registered_model_alias(name, "champion")
        r = c.post("/v1/models/reload", headers=ADMIN)
        assert r.status_code == 503 and "no model version under the configured alias" in r.json()["detail"]
        assert c.get("/health").json()["status"] == "degraded"
