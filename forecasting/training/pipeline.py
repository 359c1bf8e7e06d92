"""``train_experiment``: warehouse panel -> backtest/select/fit -> reconcile -> bundle -> MLflow run + registry.

Order matters for failure handling: the config is validated and the tracking store probed *before* any
data is read; the run is opened before the heavy work so a crash or Ctrl-C marks it FAILED; the registry is
touched last (register, then alias), so a failed job never leaves a version or moves an alias.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from forecasting.settings import Settings, get_settings
from forecasting.training.config import ExperimentConfig, load_config
from forecasting.training.drivers import DEFAULT_DRIVERS
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
from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    transmission_metrics,
)
from models.bundle.contents import BundleContents
from models.bundle.store import save_contents


@dataclass
class TrainingData:
    """The panel a job trains on (warehouse rows) plus its catalogue and provenance."""

    panel: (
        pd.DataFrame
    )  # series_id, measure, geography, cluster, frequency, period, value, source, vintage, is_synthetic
    catalogue: pd.DataFrame  # one row per series (warehouse catalogue columns)
    vintage: str
    source: str  # where it came from (warehouse path), for the dataset input
    as_of: str | None = None
    # series id -> its publication history, for real-time backtests ([backtest] real_time = true)
    published: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def digest(self) -> str:
        cols = ["series_id", "period", "value"]
        return frame_digest(
            self.panel.loc[:, cols].sort_values(["series_id", "period"]).reset_index(drop=True)
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


# ---- progress ----------------------------------------------------------------------------------------------
class ProgressHook(Protocol):
    def stage(self, name: str, total: int | None) -> None: ...
    def update(self, done: int) -> None: ...
    def done(self) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def stage(self, name: str, total: int | None) -> None: ...
    def update(self, done: int) -> None: ...
    def done(self) -> None: ...
    def close(self) -> None: ...


class RichProgress:
    """Stage, series done / total and time left, on stderr (one line per stage)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._p = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<15}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            console=Console(stderr=True),
        )
        self._task: Any = None
        self._t0 = 0.0
        self._started = False

    def stage(self, name: str, total: int | None) -> None:
        if not self._started:
            self._p.start()
            self._started = True
        self.done()
        self._t0 = time.perf_counter()
        count = f"0/{total} series" if total else ""
        self._task = self._p.add_task(name, total=total, count=count, left="")

    def update(self, done: int) -> None:
        if self._task is None:
            return
        task = next(t for t in self._p.tasks if t.id == self._task)
        if not task.total:
            return
        elapsed = time.perf_counter() - self._t0
        left = elapsed / done * (task.total - done) if done else None
        self._p.update(
            self._task,
            completed=done,
            count=f"{done}/{int(task.total)} series",
            left="" if left is None else f"~{left:.0f}s left",
        )

    def done(self) -> None:
        if self._task is not None:
            task = next(t for t in self._p.tasks if t.id == self._task)
            total = task.total or 1
            self._p.update(self._task, total=total, completed=total, left="")
            self._task = None

    def close(self) -> None:
        if self._started:
            self.done()
            self._p.stop()
            self._started = False


# ---- assembling the bundle ---------------------------------------------------------------------------------
SEASON_LENGTH = {"A": 1, "Q": 4, "M": 12}
_MONTHS = {"A": 12, "Q": 3, "M": 1}
SCORE_COLUMNS = ("mase", "rmsse", "smape", "mape", "pinball", "crps", "coverage80", "coverage95", "winkler95")


def is_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def period_label(ts: pd.Timestamp, frequency: str) -> str:
    from forecasting.sources.canonical import period_label as label

    return label(pd.Timestamp(ts), frequency)


def derive_aggregates(panel: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Add parent-geography series (e.g. MID = TLF + TLG) for summable measures where every child is there.

    Codes are derived in the order given, each from the panel as extended so far, so listing ITL3 areas,
    then ITL2, ITL1 and MID builds a whole tree from Local Authority series. Only periods every child
    observes are summed; rows carry ``source = derived(<children>)``.
    """
    if not codes or panel.empty:
        return panel
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    parts, measures = load_geography().partitions(), load_measures()
    have = set(panel["series_id"])
    for code in codes:
        new = []
        kids = parts.get(code)
        if not kids:
            raise ValueError(
                f"data.derive_aggregates: {code!r} has no exact partition into child geographies"
            )
        sub = panel[panel["geography"].isin(kids)]
        for (m, c, f), g in sub.groupby(["measure", "cluster", "frequency"], sort=True):
            sid = f"{m}.{code}.{c}.{f}"
            if sid in have or not measures[m].summable or set(g["geography"]) != set(kids):
                continue
            wide = g.pivot_table(
                index="period", columns="geography", values="value", aggfunc="first"
            ).dropna()
            if wide.empty:
                continue
            rows = pd.DataFrame({"period": wide.index, "value": wide.sum(axis=1).to_numpy()})
            rows = rows.assign(
                series_id=sid,
                measure=m,
                geography=code,
                cluster=c,
                frequency=f,
                source=f"derived({'+'.join(kids)})",
                vintage=g["vintage"].max(),
                is_synthetic=bool(g["is_synthetic"].any()),
            )
            if "release" in g:
                rows["release"] = g["release"].max()
            new.append(rows)
            have.add(sid)
        if new:
            panel = pd.concat([panel, *new], ignore_index=True)
    return panel.sort_values(["series_id", "period"]).reset_index(drop=True)


def _mapper(cfg: ExperimentConfig, on_done: Callable[[int], None]) -> Callable[..., list[Any]]:
    from forecasting.parallel import map_series

    ex = cfg.execution
    backend = "serial" if ex.n_jobs == 1 and ex.backend == "joblib" else ex.backend

    def run(fn: Callable[[Any], Any], items: Any) -> list[Any]:
        return map_series(
            fn, items, backend=backend, scheduler=ex.scheduler, n_jobs=ex.n_jobs, progress=on_done
        )

    return run


def _families(cfg: ExperimentConfig) -> list[str]:
    """The candidate families actually used (``auto`` = the engine's defaults for every frequency)."""
    if not cfg.models.auto:
        return list(cfg.models.families)
    from forecasting.evaluation.auto import DEFAULTS

    return list(dict.fromkeys(m for d in DEFAULTS.values() for m in d.methods))


def _fit_all(
    cfg: ExperimentConfig,
    arrays: dict[str, np.ndarray],
    freq: dict[str, str],
    nonneg: dict[str, bool],
    progress: ProgressHook,
    published: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[Any]]]:
    """``forecast_many`` over the panel; returns results, calibrators and per-series calibration.

    One call, so each frequency's calibrator pools the backtest errors of all its series.
    """
    from forecasting.evaluation.auto import fit_calibrators, forecast_many

    auto = cfg.models.auto
    m_of = {s: SEASON_LENGTH[freq[s]] for s in arrays}
    results = forecast_many(
        arrays,
        {s: cfg.horizon_for(freq[s]) for s in arrays},
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
    )
    calibrators: list[dict[str, Any]] = []
    cal_of: dict[str, list[Any]] = {}
    if cfg.forecast.calibrate_intervals:
        for cal, members in fit_calibrators(results, m_of, cfg.forecast.quantiles):
            calibrators.append(cal.to_dict())
            cal_of.update({s: [len(calibrators) - 1, float(results[s].scale)] for s in members})
    progress.update(len(arrays))
    return results, calibrators, cal_of


def _residuals(ids: list[str], results: dict[str, Any], periods: dict[str, list[pd.Timestamp]]) -> np.ndarray:
    """Backtest errors ``(n, T)``, columns = (target period, step) shared across series (NaN elsewhere)."""
    frames = []
    for s in ids:
        bt = results[s].backtest
        if bt.empty:
            continue
        idx = (bt["origin"] + bt["step"] - 1).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "series_id": s,
                    "target": [periods[s][i] for i in idx],
                    "step": bt["step"],
                    "err": (bt["actual"] - bt["mean"]).to_numpy(),
                }
            )
        )
    if not frames:
        return np.full((len(ids), 1), np.nan)
    wide = pd.concat(frames).pivot_table(
        index="series_id", columns=["target", "step"], values="err", aggfunc="first"
    )
    return wide.reindex(ids).to_numpy(dtype=float)


def _history_matrix(ids: list[str], panel: pd.DataFrame) -> np.ndarray:
    sub = panel[panel["series_id"].isin(ids)]
    return (
        sub.pivot_table(index="series_id", columns="period", values="value", aggfunc="first")
        .reindex(ids)
        .to_numpy()
    )


def _backtest_check(
    ids: list[str],
    results: dict[str, Any],
    periods: dict[str, list[pd.Timestamp]],
    proj: Any,
    non_negative: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """MASE of base vs reconciled backtest forecasts on the windows every series in the tree shares."""
    frames = []
    for s in ids:
        bt = results[s].backtest
        if bt.empty:
            return {}, {}
        origin = [periods[s][o - 1] for o in bt["origin"]]
        frames.append(
            bt.assign(series_id=s, origin_period=origin)[
                ["series_id", "origin_period", "step", "actual", "mean", "scale"]
            ]
        )
    df = pd.concat(frames)
    keys = df.groupby(["origin_period", "step"])["series_id"].nunique()
    keys = keys[keys == len(ids)].index
    if len(keys) == 0:
        return {}, {}
    wide = df.set_index(["origin_period", "step"]).loc[keys].reset_index()
    piv = {
        c: wide.pivot_table(index="series_id", columns=["origin_period", "step"], values=c, aggfunc="first")
        .reindex(ids)
        .to_numpy(dtype=float)
        for c in ("actual", "mean", "scale")
    }
    rec = proj.apply(piv["mean"], non_negative=non_negative)
    base = np.mean(np.abs(piv["actual"] - piv["mean"]) / piv["scale"], axis=1)
    after = np.mean(np.abs(piv["actual"] - rec) / piv["scale"], axis=1)
    return dict(zip(ids, base.tolist(), strict=True)), dict(zip(ids, after.tolist(), strict=True))


def _reconcile(
    cfg: ExperimentConfig,
    panel: pd.DataFrame,
    cat: pd.DataFrame,
    results: dict[str, Any],
    periods: dict[str, list[pd.Timestamp]],
) -> dict[str, Any]:
    """Coherent means and quantiles per (measure, cluster, frequency) tree, plus the backtest check."""
    from forecasting.hierarchy.coherent_quantiles import reconcile_quantiles
    from forecasting.hierarchy.reconcile import projection
    from forecasting.hierarchy.structure import hierarchy_from_reference

    out: dict[str, Any] = {
        "mean": {},
        "quantiles": {},
        "edges": pd.DataFrame(columns=["parent_id", "child_id"]),
        "mase_base": {},
        "mase_reconciled": {},
        "warnings": [],
    }
    method = cfg.reconciliation.method
    if method == "none":
        return out
    nonneg = cat.set_index("series_id")["non_negative"].astype(bool).to_dict()
    qs = list(cfg.forecast.quantiles)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hier = hierarchy_from_reference(cat[["series_id", "measure", "geography", "cluster", "frequency"]])
        out["edges"] = hier.edges
        for _, ids in sorted(hier.groups.items()):
            sub = hier.subset(ids)
            rows = sub.all_ids
            nn = cfg.reconciliation.non_negative and all(nonneg[s] for s in rows)
            resid = _residuals(rows, results, periods)
            hist = _history_matrix(rows, panel) if method == "top_down" else None
            proj = projection(sub, method, resid if method == "mint_shrink" else None, history=hist)
            base = np.vstack([results[s].forecast.mean for s in rows])
            mean = proj.apply(base, non_negative=nn)
            bq = {q: np.vstack([results[s].forecast.quantiles[q] for s in rows]) for q in qs}
            rq = reconcile_quantiles(
                bq,
                mean,
                sub,
                method,
                residuals=resid if method == "mint_shrink" else None,
                n_samples=cfg.reconciliation.samples,
                seed=cfg.seed,
                quantiles=qs,
                non_negative=nn,
                history=hist,
            )
            for i, s in enumerate(rows):
                out["mean"][s] = mean[i]
                out["quantiles"][s] = {q: rq[q][i] for q in qs}
            b, a = _backtest_check(rows, results, periods, proj, nn)
            out["mase_base"].update(b)
            out["mase_reconciled"].update(a)
    out["warnings"] = sorted({str(w.message) for w in caught})
    return out


def _qcol(q: float) -> str:
    return f"q{float(q):g}"


def _forecast_table(
    cfg: ExperimentConfig,
    results: dict[str, Any],
    rec: dict[str, Any],
    freq: dict[str, str],
    periods: dict[str, list[pd.Timestamp]],
) -> pd.DataFrame:
    rows = []
    for s in sorted(results):
        r = results[s]
        mean = rec["mean"].get(s, r.forecast.mean)
        qd = rec["quantiles"].get(s, r.forecast.quantiles)
        last = periods[s][-1]
        for k in range(len(mean)):
            start = last + pd.DateOffset(months=_MONTHS[freq[s]] * (k + 1))
            row = {
                "series_id": s,
                "step": k + 1,
                "period": period_label(start, freq[s]),
                "period_start": start,
                "mean": float(mean[k]),
            }
            row.update({_qcol(q): float(qd[q][k]) for q in cfg.forecast.quantiles})
            row.update(method=r.method, fallback=r.forecast.fallback or "", reconciled=s in rec["mean"])
            rows.append(row)
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("int64")
    return df


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not np.isfinite(v) else v


def _metrics_table(results: dict[str, Any], cat: pd.DataFrame, rec: dict[str, Any]) -> pd.DataFrame:
    level = cat.set_index("series_id")["geography_level"].astype(str).to_dict()
    rows = []
    for s in sorted(results):
        r = results[s]
        chosen = r.scores.get(r.method, {})
        row = {"series_id": s, "level": level.get(s, ""), "method": r.method}
        row.update({m: float(chosen.get(m, np.nan)) for m in SCORE_COLUMNS})
        row["mase_reconciled"] = float(rec["mase_reconciled"].get(s, np.nan))
        row["calibrated"] = bool(r.calibrated)
        row["candidates_json"] = json.dumps(
            {k: {m: _clean(v) for m, v in sc.items()} for k, sc in r.scores.items()}, sort_keys=True
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _level_metrics(metrics: pd.DataFrame, rec: dict[str, Any]) -> pd.DataFrame:
    cols = ["level", "n_series", "mase_base", "mase_reconciled", "helped"]
    ids = [s for s in rec["mase_base"] if s in rec["mase_reconciled"]]
    if not ids:
        return pd.DataFrame(columns=cols)
    df = (
        metrics.set_index("series_id")
        .loc[ids, ["level"]]
        .assign(
            mase_base=[rec["mase_base"][s] for s in ids],
            mase_reconciled=[rec["mase_reconciled"][s] for s in ids],
        )
    )
    out = (
        df.groupby("level")
        .agg(
            n_series=("mase_base", "size"),
            mase_base=("mase_base", "mean"),
            mase_reconciled=("mase_reconciled", "mean"),
        )
        .reset_index()
    )
    out["helped"] = out["mase_reconciled"] < out["mase_base"]
    return out[cols]


def _aggregate_metrics(
    cfg: ExperimentConfig, metrics: pd.DataFrame, level_metrics: pd.DataFrame, results: dict[str, Any]
) -> dict[str, float]:
    """Headline, per hierarchy level and per model family (every candidate's backtest scores)."""
    out: dict[str, float] = {
        "n_series": float(len(metrics)),
        "n_fallback": float(sum(bool(r.forecast.fallback) for r in results.values())),
    }
    for m in SCORE_COLUMNS:
        if metrics[m].notna().any():
            out[m] = float(metrics[m].mean())
    for lvl, g in metrics.groupby("level"):
        out[f"level.{lvl}.n_series"] = float(len(g))
        for m in ("mase", "crps", "coverage80", "coverage95"):
            if g[m].notna().any():
                out[f"level.{lvl}.{m}"] = float(g[m].mean())
    for _, r in level_metrics.iterrows():
        out[f"level.{r['level']}.mase_base"] = float(r["mase_base"])
        out[f"level.{r['level']}.mase_reconciled"] = float(r["mase_reconciled"])
    for fam in _families(cfg):
        chosen = sum(1 for r in results.values() if fam in re.split(r"[(),:]", r.method))
        out[f"family.{fam}.chosen"] = float(chosen)
        for m in ("mase", "crps"):
            vals = [r.scores.get(fam, {}).get(m, np.nan) for r in results.values()]
            vals = [v for v in vals if v is not None and np.isfinite(v)]
            if vals:
                out[f"family.{fam}.{m}"] = float(np.mean(vals))
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

    t = time.perf_counter()
    progress.stage("backtest & fit", len(arrays))
    results, calibrators, cal_of = _fit_all(cfg, arrays, freq, nonneg, progress, data.published)
    timings["fit"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.stage("reconcile", None)
    rec = _reconcile(cfg, panel, cat, results, periods)
    timings["reconcile"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.stage("assemble", None)
    forecasts = _forecast_table(cfg, results, rec, freq, periods)
    metrics = _metrics_table(results, cat, rec)
    level_metrics = _level_metrics(metrics, rec)
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
    transmission, drivers = _transmission(cfg, data, sorted(results))
    timings["assemble"] = time.perf_counter() - t
    metadata = {
        "data_vintage": data.vintage,
        "as_of": data.as_of,
        "experiment": cfg.experiment.name,
        "config": cfg.as_dict(),
        "seed": cfg.seed,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "max_horizon": int(forecasts["step"].max()),
        "horizons": dict(cfg.backtest.horizon),
        "quantiles": list(cfg.forecast.quantiles),
        "reconciliation": {
            "method": cfg.reconciliation.method,
            "non_negative": cfg.reconciliation.non_negative,
            "warnings": rec["warnings"],
        },
        "calibration": {"calibrators": calibrators, "series": cal_of},
        "drivers": drivers,
        **(extra_metadata or {}),
    }
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
    agg = _aggregate_metrics(cfg, metrics, level_metrics, results)
    if not transmission.empty:
        agg.update(transmission_metrics(transmission))
    return contents, agg, timings


def _transmission(
    cfg: ExperimentConfig, data: TrainingData, targets: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Driver -> target links for scenario projections, estimated on the same panel as the forecasts."""
    if not cfg.scenarios.transmission:
        return pd.DataFrame(columns=list(TRANSMISSION_COLUMNS)), []
    present = set(targets)
    drivers = [d for d in dict.fromkeys([*DEFAULT_DRIVERS, *cfg.scenarios.drivers]) if d in present]
    table = estimate_transmission(data.panel, data.catalogue, drivers, targets, cfg.seed)
    return table.reset_index(drop=True), drivers


def load_training_data(
    cfg: ExperimentConfig, as_of: str | None = None, warehouse_path: Path | None = None
) -> TrainingData:
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
        published = {}
        if cfg.backtest.real_time:
            from forecasting.evaluation.realtime import published_histories

            published = published_histories(wh, sorted(panel["series_id"].unique()), as_of=as_of)
    if d.frequencies:
        panel = panel[panel["frequency"].isin(d.frequencies)]
    panel = derive_aggregates(panel, d.derive_aggregates)
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
    vintage = as_of if as_of and not is_date(as_of) else (f"{latest}@release<={as_of}" if as_of else latest)
    published = {s: h for s, h in published.items() if s in set(keep)}
    return TrainingData(panel, catalogue_from_observations(panel), str(vintage), str(path), as_of, published)


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
    note = f"vintage {contents.metadata.get('data_vintage')} · {cfg.experiment.name}"
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
        "data_vintage": meta["data_vintage"],
        "data_digest": meta.get("data_digest"),
        "experiment": meta["experiment"],
        "config_digest": meta.get("config_digest"),
        "seed": meta["seed"],
        "git_commit": meta.get("git_commit"),
        "run_id": run_id,
        "n_series": len(contents.catalogue),
    }
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
    promote_if_no_champion: bool = False,
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
        experiment_id = ensure_experiment(
            client, cfg.experiment.tracking_experiment, target.artifact_location
        )
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
                    mv = promotion.register_version(
                        client,
                        settings.model_name,
                        model_uri,
                        tracker.run_id,
                        _version_tags(contents, tracker.run_id, metrics),
                    )
                version = str(mv.version)
                tracker.set_tags({"registered_model": settings.model_name, "registered_version": version})
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
                        )
                    promoted, note = decision.promoted, decision.reason
                    tracker.set_tags({"auto_promotion": ("promoted: " if promoted else "kept: ") + note})
                if promote_if_no_champion and not promoted:
                    with tracker.timed():
                        promoted = promotion.ensure_champion(client, settings.model_name, version)
                    note = "first champion" if promoted else note
            seconds = time.perf_counter() - t0
            tracker.log_metrics(
                {
                    "seconds.total": seconds,
                    "seconds.tracking": tracker.seconds,
                    "tracking_share": tracker.seconds / seconds,
                }
            )
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
    settings: Settings | None = None,
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
    settings = settings or get_settings()
    check_reachable(resolve_target(tracking_uri, settings))  # before the warehouse read, too
    hook = progress or (RichProgress() if show_progress else NullProgress())
    try:
        hook.stage("load data", None)
        data = load_training_data(cfg, as_of, warehouse_path or settings.warehouse)
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
