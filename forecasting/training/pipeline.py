"""``train_experiment``: warehouse panel -> backtest/select/fit -> reconcile -> bundle -> MLflow run + registry.

Order matters for failure handling: the config is validated and the tracking store probed *before* any
data is read; runs an earlier job left RUNNING when it was killed are marked FAILED, and a registry that
would reuse a version number is refused, before any work; the run is opened before the heavy work so a
crash or Ctrl-C marks it FAILED; non-finite forecasts or metrics are refused before anything is logged; the
registry is touched last (register, then alias), so a failed job never leaves a version or moves an alias;
promotion (auto or first champion) happens only once the run is FINISHED.
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

from forecasting.registry.contents import BundleContents
from forecasting.registry.health import fail_interrupted
from forecasting.registry.ledger import VersionLedger
from forecasting.registry.schema import (
    BundleMetadata,
    CalibrationInfo,
    DriverInfo,
    MacroBlock,
    RateInfo,
    ReconciliationInfo,
    check_registrable,
)
from forecasting.registry.store import save_contents
from forecasting.registry.target import check_reachable, resolve_target, use_tracking
from forecasting.settings import Settings
from forecasting.training.config import ExperimentConfig, load_config
from forecasting.training.data import TrainingData, load_training_data
from forecasting.training.drivers import DEFAULT_DRIVERS, alias_of
from forecasting.training.macro import estimate_macro, rate_info, rate_table
from forecasting.training.progress import NullProgress, ProgressHook, default_progress
from forecasting.training.reconciliation import reconcile_forecasts
from forecasting.training.tables import (
    aggregate_metrics,
    forecast_table,
    level_metrics_table,
    metrics_table,
)
from forecasting.training.track_record import load_attached
from forecasting.training.tracking import RunTracker, ensure_experiment, flatten, git_commit, tracked_run
from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    transmission_metrics,
)
from forecasting.vocabulary import (
    is_stale,
    months_behind,
    nowcast_steps,
    period_label,
    season_length,
    stale_reason,
)


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


def _mapper(cfg: ExperimentConfig, on_done: Callable[[int], None]) -> Callable[..., list[Any]]:
    from forecasting.parallel import map_series

    ex = cfg.execution
    backend = "serial" if ex.n_jobs == 1 and ex.backend == "joblib" else ex.backend

    def run(fn: Callable[[Any], Any], items: Any) -> list[Any]:
        return map_series(
            fn, items, backend=backend, scheduler=ex.scheduler, n_jobs=ex.n_jobs, progress=on_done
        )

    return run


def _fit_all(
    cfg: ExperimentConfig,
    arrays: dict[str, np.ndarray],
    freq: dict[str, str],
    nonneg: dict[str, bool],
    progress: ProgressHook,
    published: dict[str, Any] | None = None,
    steps: dict[str, int] | None = None,
    cat: pd.DataFrame | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[Any]]]:
    """``forecast_many`` over the panel; returns results, calibrators and per-series calibration.

    One call, so calibration can pool the backtest errors of all series: each group (measure x hierarchy
    level) gets its own calibrator, shrunk toward its frequency's pool when it has few errors. Seasonally
    adjusted series (the measure registry says so) never get a seasonal model.
    """
    from forecasting.evaluation.auto import forecast_many
    from forecasting.reference.measures import load_measures

    auto = cfg.models.auto
    m_of = {s: season_length(freq[s]) for s in arrays}
    info = cat.set_index("series_id") if cat is not None else None
    seasonal = (
        {s: info.at[s, "seasonal_adjustment"] != "sa" for s in arrays}
        if info is not None and "seasonal_adjustment" in info
        else True
    )
    group_of = (
        {s: f"{info.at[s, 'measure']}:{info.at[s, 'geography_level']}" for s in arrays}
        if info is not None
        else None
    )
    measures = load_measures()
    floor_of = (
        {s: bool(getattr(measures.get(info.at[s, "measure"]), "floor_from_history", False)) for s in arrays}
        if info is not None
        else None
    )
    results = forecast_many(
        arrays,
        steps or {s: cfg.horizon_for(freq[s]) for s in arrays},
        season_length=m_of,
        methods=None if auto else cfg.models.families,
        selection=None if auto else cfg.selection.engine_selection,
        metric=cfg.selection.metric,
        n_windows=None if auto else cfg.backtest.windows,
        step=cfg.backtest.step,
        quantiles=cfg.forecast.quantiles,
        seed=cfg.seed,
        non_negative=nonneg,
        calibrate_intervals=cfg.forecast.calibrate_intervals,
        mapper=_mapper(cfg, progress.update),
        history_at=published or None,
        seasonal=seasonal,
        group_of=group_of,
        floor_of=floor_of,
        on_final=lambda n: progress.stage("final fit", n),
    )
    calibrators: list[dict[str, Any]] = []
    cal_of: dict[str, list[Any]] = {}
    for cal, members in results.calibrators:  # the ones applied, never a refit
        calibrators.append(cal.to_dict())
        cal_of.update({s: [len(calibrators) - 1, float(results[s].scale)] for s in members})
    return results, calibrators, cal_of


def indicator_nowcasts(
    cfg: ExperimentConfig,
    data: TrainingData,
    panel: pd.DataFrame,
    forecasts: pd.DataFrame,
    edges: pd.DataFrame,
    present: pd.Timestamp,
) -> pd.DataFrame:
    """Nominal annual series nowcast from the national accounts published by then (training/nowcast.py),
    business investment's unpublished quarters bridged from monthly GDP (training/bridge.py); the
    forecasts table gains an ``indicators`` column. A panel not read from a warehouse is left as is."""
    from forecasting.training.bridge import apply_bridge_nowcasts
    from forecasting.training.nowcast import apply_indicator_nowcasts
    from forecasting.warehouse.snapshot import open_snapshot

    if data.warehouse is None or not data.warehouse.is_file():
        return forecasts
    with open_snapshot(data.warehouse, data.as_of) as wh:
        out, _notes = apply_indicator_nowcasts(
            forecasts, panel, edges, cfg, warehouse=wh, as_of=data.as_of, present=present
        )
        if not data.as_of:  # the monthly indicator has one release: only a job on today's data may use it
            out = apply_bridge_nowcasts(
                out, panel, warehouse=wh, present=present, exclude_years=tuple(cfg.scenarios.shock_years)
            )
    return finish_indicator_rows(out)


def finish_indicator_rows(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Series whose steps the indicators rewrote get the same finish as every other forecast: quantiles that
    never cross and bands that never narrow further ahead, the point = the median, the mean inside its 80%
    band (``bands.enforce``; the indicator nowcasts replace quantiles after the table was finished)."""
    from forecasting.evaluation import bands
    from forecasting.vocabulary import qcol_prob, quantile_columns

    if "indicators" not in forecasts or not (forecasts["indicators"].fillna("") != "").any():
        return forecasts
    out = forecasts.sort_values(["series_id", "step"]).reset_index(drop=True)
    qcols = quantile_columns(out.columns)
    q = out[qcols].to_numpy(dtype=float)
    point = out["point"].to_numpy(dtype=float) if "point" in out else None
    mean = out["mean"].to_numpy(dtype=float)
    touched = set(out.loc[out["indicators"].fillna("") != "", "series_id"])
    for sid, rows in out.groupby("series_id", sort=False).indices.items():
        if sid not in touched:
            continue
        qd = bands.enforce({qcol_prob(c): q[rows, k] for k, c in enumerate(qcols)})
        for k, c in enumerate(qcols):
            q[rows, k] = qd[qcol_prob(c)]
        med = bands.median(qd)
        if med is not None and point is not None:
            point[rows] = med
        mean[rows] = bands.within_band(mean[rows], qd)
    out[qcols] = q
    out["mean"] = mean
    if point is not None:
        out["point"] = point
    return out


def with_freshness(
    cat: pd.DataFrame,
    periods: dict[str, list[pd.Timestamp]],
    freq: dict[str, str],
    nowcasts: dict[str, int],
    present: pd.Timestamp,
    notes: dict[str, str],
) -> pd.DataFrame:
    """Catalogue columns saying how current each series is: its last observed period, how many periods
    up to the present are nowcasts, and ``stale`` when it is over a year behind what publishers usually
    have out by now (so a forecast from a series that stopped years ago is never served as if fresh)."""
    ids = cat["series_id"]
    out = cat.copy()
    out["last_observed"] = [period_label(periods[s][-1], freq[s]) for s in ids]
    out["nowcast_periods"] = [int(nowcasts[s]) for s in ids]
    out["months_behind"] = [months_behind(periods[s][-1], freq[s], present) for s in ids]
    out["stale"] = [is_stale(periods[s][-1], freq[s], present) for s in ids]
    release = out["release"] if "release" in out.columns else pd.Series("", index=out.index)
    out["stale_reason"] = [
        stale_reason(periods[s][-1], freq[s], present, str(r) or None, str(src))
        for s, r, src in zip(ids, release.fillna(""), out["source"], strict=True)
    ]
    out["history_note"] = [notes.get(s, "") for s in ids]
    return out


def build_contents(
    cfg: ExperimentConfig,
    data: TrainingData,
    *,
    progress: ProgressHook | None = None,
    extra_metadata: dict[str, Any] | None = None,
) -> tuple[BundleContents, dict[str, float], dict[str, float]]:
    """The untracked core: backtest, select, fit, reconcile and assemble the bundle. Deterministic in seed."""
    progress = progress or NullProgress()
    timings: dict[str, float] = {}
    panel = data.panel.sort_values(["series_id", "period"])
    cat = data.catalogue.sort_values("series_id").reset_index(drop=True).copy()
    groups = {s: g for s, g in panel.groupby("series_id", sort=True)}
    arrays = {s: g["value"].to_numpy(dtype=float) for s, g in groups.items()}
    periods = {s: list(pd.to_datetime(g["period"])) for s, g in groups.items()}
    freq = cat.set_index("series_id")["frequency"].to_dict()
    nonneg = cat.set_index("series_id")["non_negative"].astype(bool).to_dict()
    present = data.present if data.present is not None else max(max(p) for p in periods.values())
    nowcasts = {s: nowcast_steps(periods[s][-1], freq[s], present) for s in arrays}
    steps = {s: nowcasts[s] + cfg.horizon_for(freq[s]) for s in arrays}
    cat = with_freshness(cat, periods, freq, nowcasts, present, data.notes)

    t = time.perf_counter()
    progress.stage("backtest & fit", len(arrays))
    results, calibrators, cal_of = _fit_all(cfg, arrays, freq, nonneg, progress, data.published, steps, cat)
    timings["fit"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.stage("reconcile", None)
    rec = reconcile_forecasts(cfg, panel, cat, results, periods, mapper=_mapper(cfg, lambda _n: None))
    timings["reconcile"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.stage("assemble", None)
    bound_notes: dict[str, str] = {}
    forecasts = forecast_table(cfg, results, rec, freq, periods, nowcasts, bound_notes)
    forecasts = indicator_nowcasts(cfg, data, panel, forecasts, rec["edges"], present)
    metrics = metrics_table(results, cat, rec, bound_notes)
    level_metrics = level_metrics_table(metrics, rec)
    cat["data_vintage"] = data.vintage
    history = panel.assign(period_start=pd.to_datetime(panel["period"]))
    history["period"] = [
        period_label(p, freq[s]) for p, s in zip(history["period_start"], history["series_id"], strict=True)
    ]
    history = history[["series_id", "period", "period_start", "value", "source", "vintage"]].reset_index(
        drop=True
    )
    edges = rec["edges"]
    hierarchy = edges if not edges.empty else pd.DataFrame(columns=["parent_id", "child_id"])
    timings["assemble"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.stage("scenario links", None)
    transmission, drivers, macro, rates = _transmission(cfg, data, sorted(results), hierarchy)
    timings["transmission"] = time.perf_counter() - t
    metadata = BundleMetadata(
        data_vintage=data.vintage,
        as_of=data.as_of,
        present=present.date().isoformat(),
        experiment=cfg.experiment.name,
        config=cfg.as_dict(),
        seed=cfg.seed,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        max_horizon=int(forecasts["step"].max()),
        horizons=dict(cfg.backtest.horizon),
        quantiles=list(cfg.forecast.quantiles),
        reconciliation=ReconciliationInfo(
            method=cfg.reconciliation.method,
            non_negative=cfg.reconciliation.non_negative,
            warnings=rec["warnings"],
        ),
        calibration=CalibrationInfo(calibrators=calibrators, series=cal_of),
        drivers=[DriverInfo(series_id=d, alias=alias_of(d)) for d in drivers],
        macro=macro,
        rates=rates,
        **(extra_metadata or {}),
    )
    contents = BundleContents(
        catalogue=cat,
        history=history,
        forecasts=forecasts,
        metrics=metrics,
        level_metrics=level_metrics,
        hierarchy=hierarchy.reset_index(drop=True),
        transmission=transmission,
        states={s: results[s].state for s in sorted(results)},
        metadata=metadata,
    )
    fake = cat.loc[cat["is_synthetic"].astype(bool), "series_id"] if "is_synthetic" in cat else ()
    agg = aggregate_metrics(cfg, metrics, level_metrics, results, synthetic=fake)
    if not transmission.empty:
        agg.update(transmission_metrics(transmission))
    return contents, agg, timings


def _transmission(
    cfg: ExperimentConfig, data: TrainingData, targets: list[str], hierarchy: pd.DataFrame
) -> tuple[pd.DataFrame, list[str], MacroBlock | None, RateInfo | None]:
    """Links and the macro block for scenario projections, estimated on the same panel as the forecasts
    (plus the published US$/GBP rates of the same vintage, so US$ flows are linked to GBP stocks in GBP)."""
    if not cfg.scenarios.transmission:
        return pd.DataFrame(columns=list(TRANSMISSION_COLUMNS)), [], None, None
    present = set(targets)
    drivers = [d for d in dict.fromkeys([*DEFAULT_DRIVERS, *cfg.scenarios.drivers]) if d in present]
    rates, _ = rate_table(data.panel, data.warehouse, data.as_of)
    macro = (
        estimate_macro(
            data.panel, rates, present, shock_years=tuple(cfg.scenarios.shock_years), seed=cfg.seed
        )
        if cfg.scenarios.macro
        else None
    )
    table = estimate_transmission(
        data.panel,
        data.catalogue,
        drivers,
        targets,
        rates=rates,
        hierarchy=hierarchy,
        macro_rows=macro.rows if macro is not None and macro.block is not None else None,
    )
    block = macro.block if macro is not None else None
    return table.reset_index(drop=True), drivers, block, rate_info(rates) if rates is not None else None


def _config_digest(cfg: ExperimentConfig) -> str:
    return hashlib.sha256(json.dumps(cfg.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _log_run_inputs(
    tracker: RunTracker, cfg: ExperimentConfig, data: TrainingData, config_path: Path | None
) -> None:
    commit, dirty = git_commit()
    tracker.log_params(flatten(cfg.as_dict()))
    tracker.log_params(
        {
            "data.vintage": data.vintage,
            "data.as_of": data.as_of or "latest",
            "data.n_series": data.panel["series_id"].nunique(),
        }
    )
    tracker.set_tags(
        {
            "data_vintage": data.vintage,
            "data_digest": data.digest,
            "experiment": cfg.experiment.name,
            "config_digest": _config_digest(cfg),
            "mlflow.source.git.commit": commit,
            "git_commit": commit,
            "git_dirty": dirty,
            "config_file": str(config_path) if config_path else None,
        }
    )
    tracker.flush()
    tracker.log_dataset(data.panel, name=f"warehouse@{data.vintage}", source=data.source, digest=data.digest)
    return commit


def _stage_artifacts(
    stage: Path, contents: BundleContents, cfg: ExperimentConfig, config_path: Path | None
) -> None:
    """Tables, charts and the config in one folder, uploaded with a single call."""
    from forecasting.training.charts import headline_charts

    (stage / "tables").mkdir(parents=True)
    (stage / "config").mkdir()
    contents.metrics.to_parquet(stage / "tables" / "series_metrics.parquet", index=False)
    contents.metrics.drop(columns=["candidates_json"], errors="ignore").to_csv(
        stage / "tables" / "series_metrics.csv", index=False
    )
    contents.forecasts.to_parquet(stage / "tables" / "forecasts.parquet", index=False)
    contents.forecasts.to_csv(stage / "tables" / "forecasts.csv", index=False)
    contents.level_metrics.to_csv(stage / "tables" / "level_metrics.csv", index=False)
    (stage / "config" / "resolved.json").write_text(json.dumps(cfg.as_dict(), indent=1), encoding="utf-8")
    if config_path is not None:
        shutil.copy(config_path, stage / "config" / config_path.name)
    note = f"vintage {contents.metadata.data_vintage} · {cfg.experiment.name}"
    headline_charts(
        contents.history,
        contents.forecasts,
        contents.catalogue,
        list(cfg.outputs.headline),
        stage / "charts",
        note=note,
    )


def _version_tags(contents: BundleContents, run_id: str, metrics: dict[str, float]) -> dict[str, Any]:
    meta = contents.metadata
    tags = {
        "data_vintage": meta.data_vintage,
        "data_digest": meta.data_digest,
        "experiment": meta.experiment,
        "config_digest": meta.config_digest,
        "seed": meta.seed,
        "git_commit": meta.git_commit,
        "run_id": run_id,
        "n_series": len(contents.catalogue),
    }
    from forecasting.registry.promotion import HEADLINE_METRICS
    from forecasting.registry.summary import headline

    tags.update({f"metric.{m}": f"{metrics[m]:.6g}" for m in HEADLINE_METRICS if m in metrics})
    # what `invest models list` shows: robust, real series only (synthetic apart), outliers by name
    cat = contents.catalogue
    fake = cat.loc[cat["is_synthetic"].astype(bool), "series_id"] if "is_synthetic" in cat else []
    head = headline(contents.metrics, fake)
    tags.update({f"metric.headline.{k}": f"{v:.6g}" for k, v in head.items() if isinstance(v, float)})
    tags["mase_outliers"] = head["outliers"]
    return tags


def run_training(
    cfg: ExperimentConfig,
    data: TrainingData,
    *,
    tracking_uri: str | None = None,
    settings: Settings,
    config_path: Path | None = None,
    progress: ProgressHook | None = None,
    register: bool = True,
    auto_promote: bool | None = None,
    promote_if_no_champion: bool = False,
) -> TrainOutcome:
    """The tracked job on already-loaded data (``train_experiment`` loads from the warehouse first)."""
    from forecasting.registry import promotion

    progress = progress or NullProgress()
    target = resolve_target(tracking_uri, settings)
    check_reachable(target)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    ledger = VersionLedger.beside(settings.data_dir, target.uri, target.embedded)
    with use_tracking(target.uri) as client:
        t_setup = time.perf_counter()
        experiment_id = ensure_experiment(
            client, cfg.experiment.tracking_experiment, target.artifact_location
        )
        # only runs provably dead (their process on this host is gone); others may be running elsewhere
        fail_interrupted(client, [experiment_id], "the next training start", older_than_hours=float("inf"))
        if register:
            promotion.check_ledger(client, settings.model_name, ledger, target.uri)
        setup_seconds = time.perf_counter() - t_setup
        run_name = f"{cfg.experiment.name}@{data.vintage}"
        with tracked_run(experiment_id, run_name, tags={"job": "train"}) as tracker:
            tracker.seconds += setup_seconds
            commit = _log_run_inputs(tracker, cfg, data, config_path)
            extra = {
                "data_digest": data.digest,
                "config_digest": _config_digest(cfg),
                "git_commit": commit,
                "run_id": tracker.run_id,
                "model_name": settings.model_name,
            }
            contents, metrics, timings = build_contents(cfg, data, progress=progress, extra_metadata=extra)
            # the track record `invest track-record --attach` wrote (the replay is too costly to run here)
            contents.track_record, contents.track_record_points = load_attached(
                settings.data_dir, list(contents.catalogue["series_id"])
            )
            check_registrable(contents.forecasts, contents.metrics, metrics)
            progress.stage("log to MLflow", None)
            tracker.log_metrics(metrics)
            tracker.log_metrics({f"seconds.{k}": v for k, v in timings.items()})
            with tempfile.TemporaryDirectory(prefix="invest-train-") as tmp:
                stage = Path(tmp) / "run"
                _stage_artifacts(stage, contents, cfg, config_path)
                tracker.log_artifacts(stage)
                bundle_dir = save_contents(contents, Path(tmp) / "bundle")
                model_uri = tracker.log_bundle(bundle_dir, contents.metadata.max_horizon)
            tracker.flush()
            version = None
            promoted, note = False, ""
            if register:
                progress.stage("register", None)
                with tracker.timed():
                    mv = promotion.register_version(
                        client,
                        settings.model_name,
                        model_uri,
                        tracker.run_id,
                        _version_tags(contents, tracker.run_id, metrics),
                        ledger=ledger,
                    )
                version = str(mv.version)
                tracker.set_tags({"registered_model": settings.model_name, "registered_version": version})
            seconds = time.perf_counter() - t0
            tracker.log_metrics(
                {
                    "seconds.total": seconds,
                    "seconds.tracking": tracker.seconds,
                    "tracking_share": tracker.seconds / seconds,
                }
            )
        # The run is FINISHED now; a version whose run did not finish is never promoted.
        if version is not None:
            rule = cfg.promotion
            if rule.auto if auto_promote is None else auto_promote:
                with tracker.timed():
                    decision = promotion.auto_promote(
                        client,
                        settings.model_name,
                        version,
                        rule.metric,
                        rule.level,
                        rule.margin,
                        rule.same_vintage,
                        user=settings.user,
                    )
                    promoted, note = decision.promoted, decision.reason
                    client.set_tag(
                        tracker.run_id, "auto_promotion", ("promoted: " if promoted else "kept: ") + note
                    )
            if promote_if_no_champion and not promoted:
                with tracker.timed():
                    promoted = promotion.ensure_champion(
                        client, settings.model_name, version, user=settings.user
                    )
                note = "first champion" if promoted else note
    progress.done()
    return TrainOutcome(
        run_id=tracker.run_id,
        experiment_id=experiment_id,
        tracking_uri=target.uri,
        model_name=settings.model_name,
        version=version,
        model_uri=model_uri,
        data_vintage=data.vintage,
        n_series=len(contents.catalogue),
        metrics=metrics,
        promoted=promoted,
        promotion_note=note,
        seconds=time.perf_counter() - t0,
        tracking_seconds=tracker.seconds,
        timings=timings,
        forecasts=contents.forecasts,
    )


def with_execution(
    cfg: ExperimentConfig, *, backend: str | None = None, scheduler: str | None = None
) -> ExperimentConfig:
    """The config with its ``[execution]`` backend/scheduler overridden (``--backend dask --scheduler ADDR``)."""
    if backend is None and scheduler is None:
        return cfg
    from forecasting.training.config import Execution

    ex = cfg.execution.model_dump()
    if backend is not None:
        ex["backend"] = backend
    if scheduler is not None:
        ex["scheduler"] = scheduler
        ex["backend"] = backend or "dask"
    return cfg.model_copy(update={"execution": Execution(**ex)})


def train_experiment(
    config_path: Path | str,
    as_of: str | None = None,
    tracking_uri: str | None = None,
    *,
    settings: Settings,
    warehouse_path: Path | None = None,
    show_progress: bool = True,
    register: bool = True,
    auto_promote: bool | None = None,
    promote_if_no_champion: bool = False,
    progress: ProgressHook | None = None,
    backend: str | None = None,
    scheduler: str | None = None,
) -> TrainOutcome:
    """``invest train``: validate config, probe tracking, load the panel, then the tracked job.

    ``invest run`` passes ``promote_if_no_champion=True``: the new version becomes champion when the
    registry has none yet (otherwise it stays challenger for a human to compare and promote).
    """
    config_path = Path(config_path)
    cfg = with_execution(load_config(config_path), backend=backend, scheduler=scheduler)
    check_reachable(resolve_target(tracking_uri, settings))  # before the warehouse read, too
    hook = progress or (default_progress() if show_progress else NullProgress())
    try:
        hook.stage("load data", None)
        data = load_training_data(cfg, as_of, warehouse_path=warehouse_path or settings.warehouse)
        return run_training(
            cfg,
            data,
            tracking_uri=tracking_uri,
            settings=settings,
            config_path=config_path,
            progress=hook,
            register=register,
            auto_promote=auto_promote,
            promote_if_no_champion=promote_if_no_champion,
        )
    finally:
        hook.close()
