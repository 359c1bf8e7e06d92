"""Failure handling: unreachable tracking fails fast; a failed or interrupted run is FAILED and the
registry and its aliases are left exactly as they were."""

from __future__ import annotations

import socket

import pytest
from training_helpers import QUICK, synthetic_data

from forecasting.registry import promotion
from forecasting.registry.target import TrackingUnavailable, use_tracking
from forecasting.training import pipeline
from forecasting.training.config import load_config

pytestmark = pytest.mark.slow  # trains the quick experiment several times against a real MLflow store


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_before_any_work(settings, tmp_path, monkeypatch) -> None:
    called = []
    monkeypatch.setattr(pipeline, "load_training_data", lambda *a, **k: called.append(1))
    with pytest.raises(TrackingUnavailable, match="cannot reach MLflow tracking at http://127.0.0.1"):
        pipeline.train_experiment(
            QUICK, tracking_uri=f"http://127.0.0.1:{_closed_port()}", settings=settings, show_progress=False
        )
    assert not called  # the probe failed before the warehouse was read


def _registry_state(settings) -> dict[str, list[str]]:
    with use_tracking(settings.mlflow_uri) as client:
        return {v.version: v.aliases for v in promotion.list_versions(client, settings.model_name)}


@pytest.mark.parametrize("exc", [RuntimeError("boom in the middle"), KeyboardInterrupt()])
def test_failed_or_interrupted_run_is_failed_and_registry_untouched(settings, monkeypatch, exc) -> None:
    cfg = load_config(QUICK)
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    first = pipeline.run_training(cfg, data, settings=settings)
    with use_tracking(settings.mlflow_uri) as client:
        promotion.promote(client, settings.model_name, first.version, reason="baseline")
    before = _registry_state(settings)

    def explode(*args, **kwargs):
        raise exc

    monkeypatch.setattr(pipeline, "build_contents", explode)
    with pytest.raises(type(exc)):
        pipeline.run_training(cfg, data, settings=settings)
    assert _registry_state(settings) == before == {"1": ["champion"]}
    with use_tracking(settings.mlflow_uri) as client:
        exp = client.get_experiment_by_name(cfg.experiment.tracking_experiment)
        runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"])
    assert runs[0].info.status == "FAILED" and runs[1].info.status == "FINISHED"
    reason = runs[0].data.tags["failure_reason"]
    assert (
        ("interrupted" in reason) if isinstance(exc, KeyboardInterrupt) else ("boom in the middle" in reason)
    )


def test_failed_alias_removes_the_new_version(settings, monkeypatch) -> None:
    cfg = load_config(QUICK)
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    pipeline.run_training(cfg, data, settings=settings)
    from mlflow import MlflowClient

    def no_alias(self, name, alias, version):
        raise RuntimeError("registry hiccup")

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", no_alias)
    with pytest.raises(RuntimeError, match="registry hiccup"):
        pipeline.run_training(cfg, data, settings=settings)
    monkeypatch.undo()
    assert _registry_state(settings) == {"1": ["challenger"]}


def test_invest_run_promotes_only_the_first_champion(settings) -> None:
    cfg = load_config(QUICK)
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    first = pipeline.run_training(cfg, data, settings=settings, promote_if_no_champion=True)
    second = pipeline.run_training(cfg, data, settings=settings, promote_if_no_champion=True)
    assert first.promoted and not second.promoted
    assert _registry_state(settings) == {"2": ["challenger"], "1": ["champion"]}
