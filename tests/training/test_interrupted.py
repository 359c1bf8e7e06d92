"""Killed and refused trainings: a SIGKILL after registering leaves a version that can never be promoted
and a run the next start (or `invest models doctor`) marks FAILED; non-finite output and a reused version
number are refused with the registry untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from training_helpers import QUICK, synthetic_data
from typer.testing import CliRunner

from forecasting.registry import promotion
from forecasting.registry.ledger import VersionLedger, VersionReuse
from forecasting.registry.schema import BundleFormatError
from forecasting.registry.target import use_tracking
from forecasting.settings import Settings, get_settings
from forecasting.training import pipeline
from forecasting.training.config import load_config

pytestmark = pytest.mark.slow  # tracked trainings against a real MLflow store, one killed with SIGKILL

HERE = Path(__file__).parent
KILL_AFTER_REGISTER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {here!r})
from mlflow import MlflowClient
from training_helpers import QUICK, synthetic_data
from forecasting.settings import Settings
from forecasting.training import pipeline
from forecasting.training.config import load_config

# the moment after MLflow created the version and before the alias moves
MlflowClient.set_registered_model_alias = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
settings = Settings(data_dir=Path({data!r}), tracking_uri=None)
data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
pipeline.run_training(load_config(QUICK), data, settings=settings)
"""


def _runs(settings: Settings) -> list:
    with use_tracking(settings.mlflow_uri) as client:
        exp = client.get_experiment_by_name(load_config(QUICK).experiment.tracking_experiment)
        return client.search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"])


def test_kill_after_registration_version_is_never_promotable_and_run_is_failed_later(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: the run stayed RUNNING forever and its alias-less READY version could be promoted."""
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI")}
    script = KILL_AFTER_REGISTER.format(here=str(HERE), data=str(settings.data_dir))
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    (killed,) = _runs(settings)
    assert killed.info.status == "RUNNING"
    with use_tracking(settings.mlflow_uri) as client:
        mv = client.get_model_version(settings.model_name, "1")
        assert mv.status == "READY" and not mv.aliases and mv.run_id == killed.info.run_id
        with pytest.raises(promotion.PromotionError, match="is RUNNING, not FINISHED"):
            promotion.promote(client, settings.model_name, "1", reason="x", force=True)

    monkeypatch.setenv("INVEST_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app_cli(), ["models", "doctor", "--dry-run"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 2, res.output
    assert (
        f"run {killed.info.run_id}" in res.output and "interrupted" in res.output and "is gone" in res.output
    )
    assert "version 1: training run" in res.output and "cannot be promoted" in res.output
    assert _runs(settings)[0].info.status == "RUNNING"  # --dry-run changed nothing

    cfg = load_config(QUICK)
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    second = pipeline.run_training(cfg, data, settings=settings, promote_if_no_champion=True)
    assert second.version == "2" and second.promoted  # v1 was issued, so it is never reused
    first, _ = _runs(settings)
    assert first.info.status == "FAILED"
    assert "interrupted" in first.data.tags["failure_reason"]
    assert "the next training start" in first.data.tags["failure_reason"]
    with (
        use_tracking(settings.mlflow_uri) as client,
        pytest.raises(promotion.PromotionError, match="is FAILED, not FINISHED"),
    ):
        promotion.promote(client, settings.model_name, "1", reason="rollback", force=True)


def app_cli():
    from forecasting.cli.app import app

    return app


def test_doctor_marks_interrupted_runs_failed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A RUNNING run whose process on this host is gone (a pid that has exited) is fixed by doctor."""
    from forecasting.registry.health import HOST_TAG, PID_START_TAG, PID_TAG, process_start

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert process_start(gone.pid) is None
    import socket

    with use_tracking(settings.mlflow_uri) as client:
        from forecasting.training.tracking import ensure_experiment

        exp = ensure_experiment(client, "investment-forecasting", settings.artifact_root.resolve().as_uri())
        tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(gone.pid), PID_START_TAG: "1"}
        dead = client.create_run(exp, tags=tags).info.run_id
        alive_tags = {**tags, PID_TAG: str(os.getpid()), PID_START_TAG: process_start(os.getpid())}
        alive = client.create_run(exp, tags=alive_tags).info.run_id
    monkeypatch.setenv("INVEST_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app_cli(), ["models", "doctor"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())  # the console wraps long lines at its width
    assert f"run {dead}" in out and "marked FAILED" in out
    assert f"run {alive}" in out and "still running" in out
    with use_tracking(settings.mlflow_uri) as client:
        assert client.get_run(dead).info.status == "FAILED"
        assert "invest models doctor" in client.get_run(dead).data.tags["failure_reason"]
        assert client.get_run(alive).info.status == "RUNNING"


@pytest.mark.parametrize("where", ["forecasts", "metrics"])
def test_non_finite_output_is_refused_before_logging_and_registry_untouched(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Was: a model trained on 1e308 was registered with ±inf quantiles and a MASE of 1.3e304."""
    real = pipeline.build_contents

    def poisoned(*args, **kwargs):
        contents, metrics, timings = real(*args, **kwargs)
        if where == "forecasts":
            contents.forecasts.loc[contents.forecasts.index[3], "q0.975"] = np.inf
        else:
            contents.metrics.loc[contents.metrics.index[0], "mase"] = np.inf
        return contents, metrics, timings

    monkeypatch.setattr(pipeline, "build_contents", poisoned)
    cfg = load_config(QUICK)
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    with pytest.raises(
        BundleFormatError, match=f"non-finite {'forecasts' if where == 'forecasts' else 'backtest metrics'}"
    ):
        pipeline.run_training(cfg, data, settings=settings)
    with use_tracking(settings.mlflow_uri) as client:
        assert promotion.list_versions(client, settings.model_name) == []
    (run,) = _runs(settings)
    assert run.info.status == "FAILED" and "refusing to log or register" in run.data.tags["failure_reason"]


def test_training_refuses_to_reuse_a_version_number_before_fitting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store replaced under a data dir that issued v5 would hand out v1 again: refused before fitting."""
    target_uri = settings.mlflow_uri
    VersionLedger.beside(settings.data_dir, target_uri, embedded=True).record(settings.model_name, 5)
    fitted = []
    monkeypatch.setattr(pipeline, "build_contents", lambda *a, **k: fitted.append(1))
    data = synthetic_data(n_clusters=1, n_periods=12, regions=("TLF", "TLG"))
    with pytest.raises(VersionReuse, match="would get version 1, but versions up to 5 were already issued"):
        pipeline.run_training(load_config(QUICK), data, settings=settings)
    assert not fitted


def test_progress_is_plain_lines_without_a_terminal(settings: Settings, capfd: pytest.CaptureFixture) -> None:
    """Was: nothing on stderr for minutes when it is not a terminal (the live display draws at the end)."""
    pipeline.train_experiment(QUICK, settings=settings, show_progress=True, register=False)
    err = capfd.readouterr().err
    assert "[train] load data: started" in err
    assert "[train] backtest & fit: started (" in err and "[train] backtest & fit: done in" in err
    assert "\x1b[" not in err  # no terminal control sequences in a log
