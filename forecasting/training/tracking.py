"""MLflow run logging for training jobs: the experiment, a batching run logger, digests and the git commit.

Why a wrapper: everything is logged in batches and the time spent in tracking is measured, so a
1,000-series job stays under 10% overhead, and a failed or interrupted run is always marked FAILED. Where
the store is and whether it can be reached is the registry layer's business (``forecasting.registry.target``).
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from forecasting.settings import PROJECT_ROOT

MAX_METRICS = 1000
MAX_PARAMS_TAGS = 100
MAX_PARAM_LEN = 6000


# MLflow 3's UI opens an experiment in its GenAI view unless the experiment says it is classic machine
# learning; this tag (the UI's "Machine learning" experiment type) makes it list the training runs.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
CLASSIC_ML = "custom_model_development"


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None = None) -> str:
    """Experiment id, creating it (with the embedded artifact root) on first use; restores a deleted one.

    Marks it a classic machine-learning experiment for the MLflow UI (``EXPERIMENT_KIND_TAG``).
    """
    exp = client.get_experiment_by_name(name)
    if exp is None:
        location = f"{artifact_location.rstrip('/')}/{_slug(name)}" if artifact_location else None
        exp_id = client.create_experiment(
            name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: CLASSIC_ML}
        )
        return exp_id
    if exp.lifecycle_stage == "deleted":
        client.restore_experiment(exp.experiment_id)
    if (exp.tags or {}).get(EXPERIMENT_KIND_TAG) != CLASSIC_ML:
        client.set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, CLASSIC_ML)
    return exp.experiment_id


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def git_commit(root: Path = PROJECT_ROOT) -> tuple[str | None, bool]:
    """(commit, dirty) of the checkout, read-only; (None, False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return commit or None, bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        return None, False


def frame_digest(df: pd.DataFrame) -> str:
    """Content digest of a data frame (order-sensitive; callers sort first). 16 hex chars."""
    hashed = pd.util.hash_pandas_object(df, index=False).to_numpy()
    h = hashlib.sha256(hashed.tobytes())
    h.update(",".join(map(str, df.columns)).encode())
    return h.hexdigest()[:16]


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested config -> ``section.key`` params (lists joined by commas, long values truncated)."""
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            text = ",".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
            out[key] = text if len(text) <= MAX_PARAM_LEN else text[: MAX_PARAM_LEN - 3] + "..."
    return out


class RunTracker:
    """Buffers params/metrics/tags and sends them with ``log_batch``; measures time spent tracking."""

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id
        self.seconds = 0.0
        self.calls = 0
        self._metrics: list[Metric] = []
        self._params: list[Param] = []
        self._tags: list[RunTag] = []

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Count the block as tracking time (for the overhead figure)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._params += [Param(str(k), str(v)[:MAX_PARAM_LEN]) for k, v in params.items()]

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        ts = int(time.time() * 1000)
        self._metrics += [
            Metric(str(k), float(v), ts, step) for k, v in metrics.items() if v is not None and pd.notna(v)
        ]

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self._tags += [RunTag(str(k), str(v)) for k, v in tags.items() if v is not None]

    def flush(self) -> None:
        """Send everything buffered in as few ``log_batch`` calls as MLflow's limits allow."""
        with self.timed():
            while self._params or self._tags or self._metrics:
                params, self._params = self._params[:MAX_PARAMS_TAGS], self._params[MAX_PARAMS_TAGS:]
                tags, self._tags = self._tags[:MAX_PARAMS_TAGS], self._tags[MAX_PARAMS_TAGS:]
                room = MAX_METRICS - len(params) - len(tags)
                metrics, self._metrics = self._metrics[:room], self._metrics[room:]
                self.client.log_batch(
                    self.run_id, metrics=metrics, params=params, tags=tags, synchronous=True
                )

    def log_dataset(
        self, df: pd.DataFrame, name: str, source: str, digest: str, context: str = "training"
    ) -> None:
        """The data vintage as a dataset input (digest + schema + profile; the data itself stays put)."""
        import warnings

        with self.timed(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "source can be interpreted in multiple ways"
            dataset = mlflow.data.from_pandas(df, source=source, name=name, digest=digest)
            mlflow.log_input(dataset, context=context)

    def log_bundle(self, bundle_dir: Path, max_horizon: int, name: str = "bundle") -> str:
        """Log the bundle folder as a models-from-code pyfunc model; returns its ``models:/`` URI."""
        import warnings

        import mlflow.pyfunc

        from forecasting.registry import pyfunc as bundle_pyfunc

        with self.timed(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no input example" / type-hint notices
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=bundle_pyfunc.__file__,
                artifacts={bundle_pyfunc.ARTIFACT_KEY: str(bundle_dir)},
                signature=bundle_pyfunc.signature(max_horizon),
                pip_requirements=bundle_pyfunc.PIP_REQUIREMENTS,
            )
        return info.model_uri

    def log_artifacts(self, local_dir: Path, artifact_path: str | None = None) -> None:
        """One upload for a whole staged folder (tables, charts, config)."""
        with self.timed():
            self.client.log_artifacts(self.run_id, str(local_dir), artifact_path)


@contextmanager
def tracked_run(
    experiment_id: str, run_name: str, tags: Mapping[str, Any] | None = None
) -> Iterator[RunTracker]:
    """One parent run; FINISHED on success, FAILED (with the reason in a tag) on any error or Ctrl-C.

    A SIGKILL skips both; the run carries its process's identity (``health.process_tags``) so the next
    training start or ``invest models doctor`` can tell it was interrupted and mark it FAILED.
    """
    from forecasting.registry.health import process_tags

    run = mlflow.start_run(
        experiment_id=experiment_id, run_name=run_name, tags={**process_tags(), **dict(tags or {})}
    )
    client = MlflowClient(tracking_uri=mlflow.get_tracking_uri(), registry_uri=mlflow.get_registry_uri())
    tracker = RunTracker(client, run.info.run_id)
    try:
        yield tracker
        tracker.flush()
    except BaseException as exc:
        reason = (
            "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        )
        try:
            tracker._metrics.clear()
            tracker._params.clear()
            tracker._tags = [RunTag("failure_reason", reason[:5000])]
            tracker.flush()
        except Exception:  # the original error matters more than the note about it
            pass
        mlflow.end_run(status="FAILED")
        raise
    mlflow.end_run(status="FINISHED")
