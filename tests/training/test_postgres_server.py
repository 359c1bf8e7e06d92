"""The shared-server path for real: PostgreSQL + ``mlflow server`` on loopback, train quick.toml against
it, promote, and load the champion back through ``models:/investment-forecaster@champion``."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from pg_harness import INSTALL_HINT, mlflow_server, pg_bin, postgres
from training_helpers import QUICK

from forecasting.registry import promotion
from forecasting.registry.loader import load_bundle
from forecasting.registry.target import use_tracking
from forecasting.training.pipeline import train_experiment


@pytest.mark.slow
def test_train_promote_load_against_postgres_backed_server(settings, tmp_path) -> None:
    try:
        pg_bin()
    except FileNotFoundError:
        pytest.fail(INSTALL_HINT)
    with postgres() as db_uri, mlflow_server(db_uri, tmp_path / "artifacts") as url:
        out = train_experiment(QUICK, tracking_uri=url, settings=settings, show_progress=False)
        assert out.tracking_uri == url and out.version == "1"
        with use_tracking(url) as client:
            run = client.get_run(out.run_id)
            assert run.info.status == "FINISHED" and run.data.params["experiment.name"] == "quick"
            assert run.info.artifact_uri.startswith("mlflow-artifacts:")
            assert run.inputs.dataset_inputs and "mase" in run.data.metrics
            promotion.promote(client, settings.model_name, out.version, reason="postgres test")
            model = mlflow.pyfunc.load_model(f"models:/{settings.model_name}@champion")
            pred = model.predict(
                pd.DataFrame({"series_id": ["fdi_inward_position.MID.all.A"]}), params={"horizon": 3}
            )
        assert len(pred) == 3 and pred["reconciled"].all()
        loaded = load_bundle(tracking_uri=url, model_name=settings.model_name)
        assert (loaded.version, loaded.alias, loaded.run_id) == ("1", "champion", out.run_id)
        assert (tmp_path / "artifacts").is_dir() and any((tmp_path / "artifacts").rglob("manifest.json"))
    assert not (settings.data_dir / "mlflow.db").exists()  # nothing went to the embedded store
