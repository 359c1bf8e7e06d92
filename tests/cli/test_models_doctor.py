"""`invest models doctor` verifies the champion's artifacts: every file against its checksum, then the bundle
contract; a truncated table, a deleted folder or a re-saved (valid) table are reported with how to repair,
and exit 2. A real sqlite MLflow registry holding a tiny bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from bundle_tiny import tiny_contents
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.registry import promotion
from forecasting.registry.store import find_bundle_dir, save_contents
from forecasting.registry.target import use_tracking
from forecasting.settings import PROJECT_ROOT, get_settings
from forecasting.training.tracking import RunTracker, ensure_experiment

pytestmark = pytest.mark.slow  # a real sqlite MLflow registry per test (~20 s each on a busy machine)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A registry whose champion is the tiny bundle; returns its URI and the bundle folder it stores."""
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INVEST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    bundle = save_contents(tiny_contents(), tmp_path / "b")
    with use_tracking(uri) as client:
        exp = ensure_experiment(client, "t", (tmp_path / "art").as_uri())
        with mlflow.start_run(experiment_id=exp) as run:
            model_uri = RunTracker(client, run.info.run_id).log_bundle(bundle, 3)
        mv = promotion.register_version(client, "fc", model_uri, run.info.run_id, {"data_vintage": "v1"})
        promotion.promote(client, "fc", mv.version, reason="doctor test")
    stored = find_bundle_dir(tmp_path / "art")
    yield uri, stored
    get_settings.cache_clear()


def _doctor(uri: str):
    return CliRunner().invoke(app, ["models", "doctor", "--tracking-uri", uri, "--model", "fc"])


def _truncate(bundle: Path) -> None:
    f = bundle / "tables" / "forecasts.parquet"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _resave_times_1000(bundle: Path) -> None:
    f = bundle / "tables" / "forecasts.parquet"
    df = pd.read_parquet(f)
    df["mean"] = df["mean"] * 1000
    df.to_parquet(f, index=False)  # valid Parquet, valid schema: only the checksum can tell


def _delete_folder(bundle: Path) -> None:
    """The model version's whole artifact folder (``.../models/m-<id>/artifacts``)."""
    shutil.rmtree(next(p for p in bundle.parents if p.parent.name.startswith("m-")))


def test_doctor_passes_sound_artifacts(registry: tuple[str, Path]) -> None:
    res = _doctor(registry[0])
    assert res.exit_code == 0, res.output
    assert "champion v1: artifacts match their checksums and the bundle contract" in res.output


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_truncate, "tables/forecasts.parquet does not match its checksum"),
        (_resave_times_1000, "tables/forecasts.parquet does not match its checksum"),
        (_delete_folder, "is missing"),
    ],
)
def test_doctor_reports_broken_champion_artifacts(
    registry: tuple[str, Path], damage: Callable[[Path], None], words: str
) -> None:
    uri, bundle = registry
    damage(bundle)
    res = _doctor(uri)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "champion v1: its artifacts at" in text and words in text
    assert "to repair: restore the folder from a backup" in text and "invest models promote" in text


def test_compare_with_a_single_version_says_what_to_do(registry: tuple[str, Path]) -> None:
    """Was: right after the quickstart `invest models compare` failed, suggesting versions that do not exist."""
    res = CliRunner().invoke(app, ["models", "compare", "--tracking-uri", registry[0], "--model", "fc"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "only v1 is registered" in text and "nothing to compare yet" in text and "invest train" in text


def test_list_after_the_store_was_removed_says_so(registry: tuple[str, Path], tmp_path: Path) -> None:
    """Was: "no versions registered yet: run invest train", although training then refuses."""
    uri = registry[0]
    assert _doctor(uri).exit_code == 0  # records v1 in the version ledger beside the data
    (tmp_path / "mlflow.db").unlink()
    # a new process, as a user's next command is (this one keeps MLflow's connection to the deleted file)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "forecasting.cli.app",
            "models",
            "list",
            "--tracking-uri",
            uri,
            "--model",
            "fc",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "INVEST_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    text = " ".join((res.stdout + res.stderr).split())
    assert "versions up to v1 were issued" in text and "removed or replaced" in text
    assert "Restore it" in text and "registered yet" not in text
