"""``train_experiment``: warehouse panel -> backtest/select/fit -> reconcile -> bundle -> MLflow run + registry.

Order matters for failure handling: the config is validated and the tracking store probed *before* any
data is read; the run is opened before the heavy work so a crash or Ctrl-C marks it FAILED; the registry is
touched last (register, then alias), so a failed job never leaves a version or moves an alias.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.settings import Settings, get_settings
from forecasting.training import assemble
from forecasting.training.config import ExperimentConfig, load_config
from forecasting.training.progress import NullProgress, ProgressHook, RichProgress
from forecasting.training.tracking import (
    RunTracker,
    check_reachable,
    ensure_experiment,
    flatten,
    frame_digest,
    git_commit,
    resolve_target,
    tracked_run,
    use_tracking,
)
from models.bundle.contents import BundleContents
from models.bundle.store import save_contents


@dataclass
class TrainingData:
    """The panel a job trains on (warehouse rows) plus its catalogue and provenance."""

    panel: pd.DataFrame  # series_id, measure, geography, cluster, frequency, period, value, source, vintage, is_synthetic
    catalogue: pd.DataFrame  # one row per series (warehouse catalogue columns)
    vintage: str
    source: str  # where it came from (warehouse path), for the dataset input
    as_of: str | None = None

    @property
    def digest(self) -> str:
        cols = ["series_id", "period", "value"]
        return frame_digest(self.panel.loc[:, cols].sort_values(["series_id", "period"]).reset_index(drop=True))


@dataclass
class TrainOutcome:
    run_id: str
    experiment_id: str
    tracking_uri: str
    model_name: str
    version: str | None
    model_uri: str
    data_vintage: str
    n_series: int
    metrics: dict[str, float]
    promoted: bool = False
    promotion_note: str = ""
    seconds: float = 0.0
    tracking_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    forecasts: pd.DataFrame | None = None

    @property
    def tracking_share(self) -> float:
        return self.tracking_seconds / self.seconds if self.seconds else 0.0


def load_training_data(cfg: ExperimentConfig, as_of: str | None = None, warehouse_path: Path | None = None) -> TrainingData:
    """Read the configured panel from the warehouse (read-only), ``as_of`` a vintage id or release date."""
    from forecasting.warehouse.store import Warehouse, catalogue_from_observations

    path = Path(warehouse_path or get_settings().warehouse)
    with Warehouse(path, read_only=True) as wh:
        latest = wh.latest_vintage()
        if latest is None:
            raise RuntimeError(f"warehouse {path} is empty: run `invest data ingest` (or `invest run`) first")
        d = cfg.data
        panel = wh.panel(
            measures=d.measures, geographies=d.geographies or None, clusters=d.clusters or None, as_of=as_of
        )
    if d.frequencies:
        panel = panel[panel["frequency"].isin(d.frequencies)]
    panel = assemble.derive_aggregates(panel, d.derive_aggregates)
    sizes = panel.groupby("series_id")["value"].size()
    keep = sorted(sizes.index[sizes >= d.min_observations])
    if d.max_series is not None:
        keep = keep[: d.max_series]
    panel = panel[panel["series_id"].isin(keep)].sort_values(["series_id", "period"]).reset_index(drop=True)
    if panel.empty:
        raise RuntimeError(
            f"no series with >= {d.min_observations} observations for measures {d.measures} in {path}"
            + (f" as of {as_of}" if as_of else "")
        )
    vintage = as_of if as_of and not assemble.is_date(as_of) else (f"{latest}@release<={as_of}" if as_of else latest)
    return TrainingData(panel, catalogue_from_observations(panel), str(vintage), str(path), as_of)


def _config_digest(cfg: ExperimentConfig) -> str:
    return hashlib.sha256(json.dumps(cfg.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _log_run_inputs(tracker: RunTracker, cfg: ExperimentConfig, data: TrainingData, config_path: Path | None) -> None:
    commit, dirty = git_commit()
    tracker.log_params(flatten(cfg.as_dict()))
    tracker.log_params({"data.vintage": data.vintage, "data.as_of": data.as_of or "latest",
                        "data.n_series": data.panel["series_id"].nunique()})
    tracker.set_tags({"data_vintage": data.vintage, "data_digest": data.digest, "experiment": cfg.experiment.name,
                      "config_digest": _config_digest(cfg), "mlflow.source.git.commit": commit, "git_commit": commit,
                      "git_dirty": dirty, "config_file": str(config_path) if config_path else None})
    tracker.flush()
    tracker.log_dataset(data.panel, name=f"warehouse@{data.vintage}", source=data.source, digest=data.digest)


def _stage_artifacts(stage: Path, contents: BundleContents, cfg: ExperimentConfig, config_path: Path | None) -> None:
    """Tables, charts and the config in one folder, uploaded with a single call."""
    from forecasting.training.charts import headline_charts

    (stage / "tables").mkdir(parents=True)
    (stage / "config").mkdir()
    contents.metrics.to_parquet(stage / "tables" / "series_metrics.parquet", index=False)
    contents.metrics.drop(columns=["candidates_json"], errors="ignore").to_csv(stage / "tables" / "series_metrics.csv", index=False)
    contents.forecasts.to_parquet(stage / "tables" / "forecasts.parquet", index=False)
    contents.forecasts.to_csv(stage / "tables" / "forecasts.csv", index=False)
    contents.level_metrics.to_csv(stage / "tables" / "level_metrics.csv", index=False)
    (stage / "config" / "resolved.json").write_text(json.dumps(cfg.as_dict(), indent=1), encoding="utf-8")
    if config_path is not None:
        shutil.copy(config_path, stage / "config" / config_path.name)
    note = f"vintage {contents.metadata.get('data_vintage')} · {cfg.experiment.name}"
    headline_charts(contents.history, contents.forecasts, contents.catalogue, list(cfg.outputs.headline),
                    stage / "charts", note=note)


def _version_tags(contents: BundleContents, run_id: str, metrics: dict[str, float]) -> dict[str, Any]:
    meta = contents.metadata
    tags = {"data_vintage": meta["data_vintage"], "data_digest": meta.get("data_digest"),
            "experiment": meta["experiment"], "config_digest": meta.get("config_digest"),
            "seed": meta["seed"], "git_commit": meta.get("git_commit"), "run_id": run_id,
            "n_series": len(contents.catalogue)}
    from forecasting.training.promotion import HEADLINE_METRICS

    tags.update({f"metric.{m}": f"{metrics[m]:.6g}" for m in HEADLINE_METRICS if m in metrics})
    return tags


def run_training(
    cfg: ExperimentConfig,
    data: TrainingData,
    *,
    tracking_uri: str | None = None,
    settings: Settings | None = None,
    config_path: Path | None = None,
    progress: ProgressHook | None = None,
    register: bool = True,
    auto_promote: bool | None = None,
) -> TrainOutcome:
    """The tracked job on already-loaded data (``train_experiment`` loads from the warehouse first)."""
    from forecasting.training import promotion

    settings = settings or get_settings()
    progress = progress or NullProgress()
    target = resolve_target(tracking_uri, settings)
    check_reachable(target)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    with use_tracking(target.uri) as client:
        t_setup = time.perf_counter()
        experiment_id = ensure_experiment(client, cfg.experiment.tracking_experiment, target.artifact_location)
        setup_seconds = time.perf_counter() - t_setup
        run_name = f"{cfg.experiment.name}@{data.vintage}"
        with tracked_run(experiment_id, run_name, tags={"job": "train"}) as tracker:
            tracker.seconds += setup_seconds
            _log_run_inputs(tracker, cfg, data, config_path)
            commit, _ = git_commit()
            extra = {"data_digest": data.digest, "config_digest": _config_digest(cfg), "git_commit": commit,
                     "run_id": tracker.run_id, "model_name": settings.model_name}
            contents, metrics, timings = assemble.build_contents(cfg, data, progress=progress, extra_metadata=extra)
            progress.stage("log to MLflow", None)
            tracker.log_metrics(metrics)
            tracker.log_metrics({f"seconds.{k}": v for k, v in timings.items()})
            with tempfile.TemporaryDirectory(prefix="invest-train-") as tmp:
                stage = Path(tmp) / "run"
                _stage_artifacts(stage, contents, cfg, config_path)
                tracker.log_artifacts(stage)
                bundle_dir = save_contents(contents, Path(tmp) / "bundle")
                model_uri = tracker.log_bundle(bundle_dir, int(contents.metadata["max_horizon"]))
            tracker.flush()
            version = None
            promoted, note = False, ""
            if register:
                progress.stage("register", None)
                with tracker.timed():
                    mv = promotion.register_version(client, settings.model_name, model_uri, tracker.run_id,
                                                    _version_tags(contents, tracker.run_id, metrics))
                version = str(mv.version)
                tracker.set_tags({"registered_model": settings.model_name, "registered_version": version})
                rule = cfg.promotion
                if rule.auto if auto_promote is None else auto_promote:
                    with tracker.timed():
                        decision = promotion.auto_promote(client, settings.model_name, version, rule.metric,
                                                          rule.level, rule.margin, rule.same_vintage)
                    promoted, note = decision.promoted, decision.reason
                    tracker.set_tags({"auto_promotion": ("promoted: " if promoted else "kept: ") + note})
            seconds = time.perf_counter() - t0
            tracker.log_metrics({"seconds.total": seconds, "seconds.tracking": tracker.seconds,
                                 "tracking_share": tracker.seconds / seconds})
    progress.done()
    return TrainOutcome(
        run_id=tracker.run_id, experiment_id=experiment_id, tracking_uri=target.uri, model_name=settings.model_name,
        version=version, model_uri=model_uri, data_vintage=data.vintage, n_series=len(contents.catalogue),
        metrics=metrics, promoted=promoted, promotion_note=note, seconds=time.perf_counter() - t0,
        tracking_seconds=tracker.seconds, timings=timings, forecasts=contents.forecasts,
    )


def train_experiment(
    config_path: Path | str,
    as_of: str | None = None,
    tracking_uri: str | None = None,
    *,
    settings: Settings | None = None,
    warehouse_path: Path | None = None,
    show_progress: bool = True,
    register: bool = True,
    auto_promote: bool | None = None,
    progress: ProgressHook | None = None,
) -> TrainOutcome:
    """``invest train``: validate config, probe tracking, load the panel, then the tracked job."""
    config_path = Path(config_path)
    cfg = load_config(config_path)
    settings = settings or get_settings()
    check_reachable(resolve_target(tracking_uri, settings))  # before the warehouse read, too
    hook = progress or (RichProgress() if show_progress else NullProgress())
    try:
        hook.stage("load data", None)
        data = load_training_data(cfg, as_of, warehouse_path or settings.warehouse)
        return run_training(cfg, data, tracking_uri=tracking_uri, settings=settings, config_path=config_path,
                            progress=hook, register=register, auto_promote=auto_promote)
    finally:
        hook.close()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


ProgressFn = Callable[[int], None]
__all__ = ["TrainOutcome", "TrainingData", "load_training_data", "run_training", "train_experiment", "np"]
