"""``load_bundle``: local folders, the registry by alias, and the cached copy when the registry is down."""

from __future__ import annotations

import socket

import mlflow
import pytest
from bundle_tiny import IDS

from forecasting.registry import promotion
from forecasting.registry.loader import BundleUnavailable, load_bundle
from forecasting.registry.store import save_contents
from forecasting.registry.target import use_tracking
from forecasting.training.tracking import RunTracker, ensure_experiment


def test_local_folder(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    loaded = load_bundle(path)
    assert loaded.source == "path" and loaded.data_vintage == "v1"
    assert len(loaded.forecast(list(IDS), horizon=2)) == 4


@pytest.mark.slow  # a real sqlite MLflow registry, download and cache
def test_registry_alias_cache_and_degraded_mode(contents, tmp_path, monkeypatch) -> None:
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    bundle = save_contents(contents, tmp_path / "b")
    with use_tracking(uri) as client:
        exp = ensure_experiment(client, "t", (tmp_path / "art").as_uri())
        with mlflow.start_run(experiment_id=exp) as run:
            model_uri = RunTracker(client, run.info.run_id).log_bundle(bundle, 3)
        mv = promotion.register_version(client, "fc", model_uri, run.info.run_id, {"data_vintage": "v1"})
        promotion.promote(client, "fc", mv.version, reason="loader test")
    cache = tmp_path / "cache"
    loaded = load_bundle(model_name="fc", tracking_uri=uri, cache_dir=cache)
    assert (loaded.source, loaded.version, loaded.alias) == ("registry", "1", "champion")
    assert (cache / "current" / "bundle" / "manifest.json").is_file()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    degraded = load_bundle(model_name="fc", tracking_uri=down, cache_dir=cache)
    assert (degraded.source, degraded.version) == ("cache", "1")
    assert degraded.forecast([IDS[0]]).equals(loaded.forecast([IDS[0]]))
    with pytest.raises(BundleUnavailable, match="cannot load forecast bundle"):
        load_bundle(model_name="fc", tracking_uri=down, cache_dir=tmp_path / "empty")
