"""A real-time track record: replay every publisher release of a series and score what was forecast then.

For each release of a series held in the warehouse, the engine settings of an experiment (families,
backtest, selection, interval calibration: what ``invest train`` would have used) are applied to the
series *as that release published it*, and the forecasts are scored against the newest release:

* **levels** by step ahead of the last observed period (absolute % error, 80/95% interval coverage), only
  when the vintage and the outturn are on the same price basis: chained-volume levels of different
  reference years (ONS moved from 2019 to 2022 prices in September 2025) are never compared;
* **calendar-year growth rates** (what economists quote) by year ahead of the release date (-1 = the
  year just ended, 0 = the current year, 1 = next year): observed quarters of the vintage joined with the
  forecast ones, against the newest release's growth. Growth rates are comparable across rebasing.

Both are set against two benchmarks made from the same vintage: no-change (the last observed level
carried forward) and drift (the vintage's average change carried forward).

The replay of one series trains it on its own (a calibration group of one, its interval calibrated from
its own rolling-origin errors), not inside the whole experiment panel: that is what makes 28 releases
cost minutes, not hours. Each release is one task for ``forecasting.parallel.map_series`` (joblib or
Dask), so results are identical on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import InvalidParameter, NotFound
from forecasting.training.config import ExperimentConfig
from forecasting.vocabulary import (
    level_to_quantiles,
    nowcast_steps,
    parse_series_id,
    period_label,
    qcol,
    season_length,
    shift_periods,
)

# Reference-year detection: a chained-volume series equals its current-price twin, summed over the
# reference year (ONS annual chain-linking with annual overlaps). Between Blue Books a quarterly release
# may revise current prices of the reference year a little (QNA March 2023: 2019 at 0.4%), so the year
# closest to equality is taken when within this tolerance (neighbouring years differ by 1-3% of prices):
REFERENCE_TOLERANCE = 0.01
GROWTH_HORIZONS = (-1, 0, 1, 2)  # calendar years relative to the release year
LEVELS = (80, 95)


@dataclass(frozen=True)
class VintageTask:
    """One release of one series to train on (picklable for joblib/Dask workers)."""

    series_id: str
    release: str
    periods: tuple[pd.Timestamp, ...]
    values: np.ndarray
    frequency: str
    steps: int
    seasonal: bool
    non_negative: bool
    methods: tuple[str, ...] | None
    selection: str | None
    metric: str
    n_windows: int | None
    backtest_step: int
    quantiles: tuple[float, ...]
    seed: int
    calibrate: bool
    # quarters nowcast by a bridge on a timelier published indicator (``forecasting.training.bridge``)
    bridge: tuple[tuple[pd.Timestamp, float], ...] = ()
    bridge_note: str = ""


@dataclass
class VintageForecast:
    """What one release led to: the forecast path with its quantiles and the two benchmark paths."""

    series_id: str
    release: str
    last_observed: pd.Timestamp
    frequency: str
    n_observations: int
    method: str
    forecasts: pd.DataFrame  # step, period, mean, q..., naive, drift
    observed: pd.Series  # the vintage's own values, by period start
    reference_year: int | None = None
    note: str = ""
    nowcast_indicators: str = ""  # what the bridged quarters used ("" = the engine's own forecast only)


@dataclass
class TrackRecord:
    """Every replayed vintage of one series, its scores, and what they were scored against."""

    series_id: str
    frequency: str
    unit: str
    price_basis: str
    outturn_release: str
    outturn_reference_year: int | None
    experiment: str
    vintages: list[VintageForecast]
    levels: pd.DataFrame  # release, step, period, mean, lo/hi, naive, drift, outturn, comparable
    growth: pd.DataFrame  # release, year, horizon, model, naive, drift, outturn (percent)
    summary: pd.DataFrame  # kind, horizon, n, model, naive, drift, ratio_naive, coverage80/95
    notes: list[str] = field(default_factory=list)


# ---- reading the releases ------------------------------------------------------------------------------
def series_releases(wh: Any, series_id: str) -> pd.DataFrame:
    """Every published value of a series: period, value, release, source, reference_year (oldest first).

    ``reference_year`` is the warehouse's record of a chained-volume release's reference year where the
    warehouse keeps one (NULL/absent otherwise: then it is read off the data, see ``reference_year``).
    """
    rows = wh.release_history(series_id)
    if rows.empty:
        raise NotFound(f"no observations for series {series_id!r} in the warehouse (see `invest data list`)")
    rows["period"] = pd.to_datetime(rows["period"])
    return rows


def recorded_reference_year(rows: pd.DataFrame, release: str) -> int | None:
    """The reference year the warehouse recorded for a release (``None`` when it has none)."""
    r = rows.loc[rows["release"] == release, "reference_year"].dropna()
    return int(r.iloc[-1]) if len(r) else None


def release_values(rows: pd.DataFrame, release: str) -> pd.Series:
    """The series as one release published it (its own rows only: never spliced onto another release)."""
    r = rows[rows["release"] == release].drop_duplicates("period", keep="last")
    return r.set_index("period")["value"].sort_index().astype(float)


def trailing_run(values: pd.Series, frequency: str) -> pd.Series:
    """The last run of consecutive periods (a gap is never modelled across, as in training)."""
    if values.empty:
        return values
    idx = pd.DatetimeIndex(values.index)
    months = idx.year * 12 + idx.month
    step = {"A": 12, "Q": 3, "M": 1}[frequency]
    breaks = np.flatnonzero(np.diff(months) != step)
    start = int(breaks[-1]) + 1 if breaks.size else 0
    return values.iloc[start:]


def reference_year(cvm: pd.Series, cp: pd.Series | None, frequency: str) -> int | None:
    """The reference year of a chained-volume release: the year where it sums to its current-price twin.

    ``None`` when the twin is missing or no year matches (levels are then not compared across releases).
    """
    if cp is None or cp.empty or cvm.empty:
        return None
    per_year = {"A": 1, "Q": 4, "M": 12}[frequency]
    both = pd.concat({"v": cvm, "c": cp}, axis=1).dropna()
    by_year = both.groupby(both.index.year).agg(["sum", "count"])
    full = by_year[(by_year[("v", "count")] == per_year) & (by_year[("c", "count")] == per_year)]
    ratio = (full[("v", "sum")] / full[("c", "sum")] - 1).abs()
    if ratio.empty or ratio.min() >= REFERENCE_TOLERANCE:
        return None
    return int(ratio.idxmin())


def _cp_twin(measure: str) -> str | None:
    return measure.replace("_cvm", "_cp") if "_cvm" in measure else None


# ---- training one vintage ------------------------------------------------------------------------------
def _serial(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [fn(x) for x in items]


def train_vintage(task: VintageTask) -> dict[str, Any]:
    """The experiment's engine on one release (runs in a worker): forecast path, quantiles, benchmarks."""
    from forecasting.evaluation.auto import forecast_many

    y = np.asarray(task.values, dtype=float)
    m = season_length(task.frequency)
    res = forecast_many(
        {task.series_id: y},
        task.steps,
        season_length=m,
        methods=task.methods,
        selection=task.selection,
        metric=task.metric,
        n_windows=task.n_windows,
        step=task.backtest_step,
        quantiles=task.quantiles,
        seed=task.seed,
        non_negative=task.non_negative,
        calibrate_intervals=task.calibrate,
        mapper=_serial,
        seasonal=task.seasonal,
    )[task.series_id]
    fc = res.forecast
    steps = np.arange(1, task.steps + 1)
    slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
    out = pd.DataFrame(
        {
            "step": steps,
            "period": shift_periods(task.periods[-1], task.frequency, steps),
            "mean": np.asarray(fc.mean, dtype=float),
        }
    )
    for q in task.quantiles:
        out[qcol(q)] = np.asarray(fc.quantiles[q], dtype=float)
    out["naive"] = float(y[-1])
    out["drift"] = y[-1] + slope * steps
    # the engine's path with the bridged quarters in place of its own forecast, re-anchored after them
    bridged = dict(task.bridge)
    path, ratio = [], 1.0
    for p, m in zip(out["period"], out["mean"], strict=True):
        if p in bridged:
            ratio = bridged[p] / m
            path.append(bridged[p])
        else:
            path.append(m * ratio)
    out["bridge"] = path if bridged else np.nan
    return {"forecasts": out, "method": res.method}


# ---- the replay ----------------------------------------------------------------------------------------
def _engine_settings(cfg: ExperimentConfig) -> dict[str, Any]:
    auto = cfg.models.auto
    return {
        "methods": None if auto else tuple(cfg.models.families),
        "selection": None if auto else cfg.selection.engine_selection,
        "metric": cfg.selection.metric,
        "n_windows": None if auto else cfg.backtest.windows,
        "backtest_step": cfg.backtest.step,
        "quantiles": tuple(cfg.forecast.quantiles),
        "seed": cfg.seed,
        "calibrate": cfg.forecast.calibrate_intervals,
    }


def vintage_tasks(
    wh: Any, series_id: str, cfg: ExperimentConfig
) -> tuple[list[VintageTask], pd.DataFrame, dict[str, int | None], list[str]]:
    """One task per release of the series with enough observations; the rows; reference years; notes."""
    from forecasting.reference.measures import get_measure

    sid = parse_series_id(series_id)
    measure = get_measure(sid.measure)
    rows = series_releases(wh, series_id)
    releases = sorted(rows["release"].unique())
    if len(releases) < 2:
        raise InvalidParameter(
            f"series {series_id!r} has one release in the warehouse ({releases[0]}): a track record needs "
            "at least two (ingest more vintages)"
        )
    twin_rows = None
    twin = _cp_twin(sid.measure) if measure.price_basis == "chained_volume" else None
    if twin is not None:
        try:
            twin_rows = series_releases(wh, f"{twin}.{sid.geography}.{sid.cluster}.{sid.frequency}")
        except NotFound:
            twin_rows = None
    ref_years: dict[str, int | None] = {}
    notes: list[str] = []
    tasks: list[VintageTask] = []
    settings = _engine_settings(cfg)
    horizon = cfg.horizon_for(sid.frequency)
    monthly, indicator = _bridge_indicator(wh, sid.measure)
    for rel in releases:
        vals = trailing_run(release_values(rows, rel), sid.frequency)
        if measure.price_basis in ("chained_volume", "index"):
            cp = release_values(twin_rows, rel) if twin_rows is not None else None
            recorded = recorded_reference_year(rows, rel)
            ref_years[rel] = recorded if recorded is not None else reference_year(vals, cp, sid.frequency)
        else:
            ref_years[rel] = None
        if len(vals) < cfg.data.min_observations:
            notes.append(f"release {rel}: {len(vals)} observations, fewer than {cfg.data.min_observations}")
            continue
        last = pd.Timestamp(vals.index[-1])
        steps = max(nowcast_steps(last, sid.frequency, pd.Timestamp(rel)), 0) + horizon
        bridge, bridge_note = (), ""
        if monthly is not None:
            from forecasting.training.bridge import bridge_nowcast

            try:
                b = bridge_nowcast(vals, monthly, rel, indicator, tuple(cfg.scenarios.shock_years))
            except ValueError as exc:  # too little overlap: the engine's forecast alone
                b, bridge_note = None, f"no bridge: {exc}"
            if b is not None:
                bridge = tuple(zip(b.periods, b.levels, strict=True))
                bridge_note = b.describe()
        tasks.append(
            VintageTask(
                bridge=bridge,
                bridge_note=bridge_note,
                series_id=series_id,
                release=rel,
                periods=tuple(pd.Timestamp(p) for p in vals.index),
                values=vals.to_numpy(dtype=float),
                frequency=sid.frequency,
                steps=steps,
                seasonal=measure.seasonal_adjustment != "sa",
                non_negative=measure.non_negative,
                **settings,
            )
        )
    return tasks, rows, ref_years, notes


def _bridge_indicator(wh: Any, measure: str) -> tuple[pd.Series | None, str]:
    """The monthly indicator bridging ``measure`` (its newest release), if any and in the warehouse."""
    from forecasting.training.bridge import BRIDGES

    ind = BRIDGES.get(measure)
    if ind is None:
        return None, ""
    try:
        s = wh.series(ind)
    except Exception:  # not ingested: no bridge
        return None, ""
    return s.set_index("period")["value"].astype(float), ind


def calendar_totals(values: pd.Series, frequency: str) -> pd.Series:
    """Calendar-year totals of complete years only (a quarterly flow summed; an annual series as is)."""
    per_year = {"A": 1, "Q": 4, "M": 12}[frequency]
    idx = pd.DatetimeIndex(values.index)
    g = values.groupby(idx.year)
    tot = g.sum()
    return tot[g.count() == per_year].astype(float)


def _growth(totals: pd.Series, year: int) -> float:
    if year in totals.index and year - 1 in totals.index and totals[year - 1] != 0:
        return float(100.0 * (totals[year] / totals[year - 1] - 1.0))
    return float("nan")


def score_vintage(
    vf: VintageForecast, outturn: pd.Series, comparable: bool, quantiles: Sequence[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Level rows (each forecast step with its outturn) and calendar-year growth rows of one vintage."""
    fc = vf.forecasts
    lv = fc[["step", "period", "mean", "naive", "drift", "bridge"]].copy()
    for level in LEVELS:
        lo, hi = (qcol(q) for q in level_to_quantiles(level))
        if lo in fc and hi in fc:
            lv[f"lo{level}"] = fc[lo].to_numpy()
            lv[f"hi{level}"] = fc[hi].to_numpy()
    lv["outturn"] = [float(outturn.get(p, np.nan)) for p in lv["period"]]
    lv["comparable"] = comparable
    lv.insert(0, "release", vf.release)

    release_year = pd.Timestamp(vf.release).year
    obs = vf.observed
    out_tot = calendar_totals(outturn, vf.frequency)
    rows = []
    paths = {}
    for col in ("mean", "naive", "drift", "bridge"):
        path = pd.concat([obs, fc.set_index("period")[col]])
        paths[col] = calendar_totals(path[~path.index.duplicated(keep="first")], vf.frequency)
    first_fc_year = pd.Timestamp(fc["period"].iloc[0]).year
    for h in GROWTH_HORIZONS:
        year = release_year + h
        if year < first_fc_year:
            continue  # every period of that year was observed: not a forecast
        rows.append(
            {
                "release": vf.release,
                "year": year,
                "horizon": h,
                "model": _growth(paths["mean"], year),
                "naive": _growth(paths["naive"], year),
                "drift": _growth(paths["drift"], year),
                "bridge": _growth(paths["bridge"], year),
                "outturn": _growth(out_tot, year),
            }
        )
    gr = pd.DataFrame(
        rows, columns=["release", "year", "horizon", "model", "naive", "drift", "bridge", "outturn"]
    )
    return lv, gr


def summarise(levels: pd.DataFrame, growth: pd.DataFrame, bridged: bool = False) -> pd.DataFrame:
    """Mean absolute errors by horizon: levels in % of the outturn (comparable vintages only), growth in
    percentage points; the model's ratio to no-change (< 1 beats it); interval coverage of levels.
    ``bridge``: the same for the engine's path with the bridged quarters (NaN when none was bridged)."""
    out = []
    lv = levels[levels["comparable"] & levels["outturn"].notna()]
    for h, g in lv.groupby("step"):
        o = g["outturn"].to_numpy()

        def ape(col: str, g: pd.DataFrame = g, o: np.ndarray = o) -> float:
            v = g[col].fillna(g["mean"]) if col == "bridge" else g[col]  # not bridged: the engine's path
            return float(np.mean(np.abs(v.to_numpy(dtype=float) - o) / np.abs(o)) * 100)

        row = {
            "kind": "level",
            "horizon": int(h),
            "n": len(g),
            "model": ape("mean"),
            "naive": ape("naive"),
            "drift": ape("drift"),
            "bridge": ape("bridge") if bridged else np.nan,
        }
        for level in LEVELS:
            if f"lo{level}" in g:
                row[f"coverage{level}"] = float(((g[f"lo{level}"] <= o) & (o <= g[f"hi{level}"])).mean())
        out.append(row)
    gr = growth.dropna(subset=["model", "naive", "drift", "outturn"])
    for h, g in gr.groupby("horizon"):
        o = g["outturn"].to_numpy()
        out.append(
            {
                "kind": "growth",
                "horizon": int(h),
                "n": len(g),
                "model": float(np.mean(np.abs(g["model"] - o))),
                "naive": float(np.mean(np.abs(g["naive"] - o))),
                "drift": float(np.mean(np.abs(g["drift"] - o))),
                "bridge": float(np.mean(np.abs(g["bridge"].fillna(g["model"]) - o))) if bridged else np.nan,
            }
        )
    cols = [
        "kind",
        "horizon",
        "n",
        "model",
        "naive",
        "drift",
        "bridge",
        "ratio_naive",
        "coverage80",
        "coverage95",
    ]
    df = pd.DataFrame(out)
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["ratio_naive"] = df["model"] / df["naive"].replace(0, np.nan)
    for c in cols:
        if c not in df:
            df[c] = np.nan
    return df[cols].reset_index(drop=True)


def replay_series(
    wh: Any,
    series_id: str,
    cfg: ExperimentConfig,
    *,
    mapper: Callable[[Callable[[Any], Any], list[Any]], list[Any]] | None = None,
) -> TrackRecord:
    """Train every release of ``series_id`` with ``cfg``'s engine and score it against the newest release."""
    from forecasting.reference.measures import get_measure

    sid = parse_series_id(series_id)
    measure = get_measure(sid.measure)
    tasks, rows, ref_years, notes = vintage_tasks(wh, series_id, cfg)
    newest = max(rows["release"])
    outturn = trailing_run(release_values(rows, newest), sid.frequency)
    results = (mapper or _serial)(train_vintage, tasks)
    vintages: list[VintageForecast] = []
    level_parts, growth_parts = [], []
    out_ref = ref_years.get(newest)
    for task, res in zip(tasks, results, strict=True):
        observed = pd.Series(task.values, index=pd.DatetimeIndex(task.periods))
        ref = ref_years.get(task.release)
        if measure.price_basis in ("chained_volume", "index"):
            comparable = ref is not None and ref == out_ref
            note = (
                ""
                if comparable
                else f"levels not scored: reference year {ref or 'unknown'} vs outturn's {out_ref or 'unknown'}"
            )
        else:
            comparable, note = True, ""
        vf = VintageForecast(
            series_id=series_id,
            release=task.release,
            last_observed=pd.Timestamp(task.periods[-1]),
            frequency=sid.frequency,
            n_observations=len(task.values),
            method=str(res["method"]),
            forecasts=res["forecasts"],
            observed=observed,
            reference_year=ref,
            note=note,
            nowcast_indicators=task.bridge_note,
        )
        vintages.append(vf)
        if task.release == newest:
            continue  # nothing newer to score it against
        lv, gr = score_vintage(vf, outturn, comparable, task.quantiles)
        level_parts.append(lv)
        growth_parts.append(gr)
    levels = pd.concat(level_parts, ignore_index=True) if level_parts else pd.DataFrame()
    growth = pd.concat(growth_parts, ignore_index=True) if growth_parts else pd.DataFrame()
    if levels.empty:
        levels = pd.DataFrame(
            columns=["release", "step", "period", "mean", "naive", "drift", "outturn", "comparable"]
        )
    if growth.empty:
        growth = pd.DataFrame(columns=["release", "year", "horizon", "model", "naive", "drift", "outturn"])
    return TrackRecord(
        series_id=series_id,
        frequency=sid.frequency,
        unit=measure.unit,
        price_basis=measure.price_basis,
        outturn_release=str(newest),
        outturn_reference_year=out_ref,
        experiment=cfg.experiment.name,
        vintages=vintages,
        levels=levels,
        growth=growth,
        summary=summarise(levels, growth, bridged=any(t.bridge for t in tasks)),
        notes=notes,
    )


def replayable_series(wh: Any, measures: Sequence[str] | None = None) -> list[str]:
    """Series with at least two publisher releases in the warehouse (optionally of some measures)."""
    return wh.replayable_series(measures)


def replay(
    wh: Any,
    series_ids: Sequence[str],
    cfg: ExperimentConfig,
    *,
    backend: str = "joblib",
    scheduler: str | None = None,
    n_jobs: int = -1,
    progress: Callable[[int], None] | None = None,
) -> list[TrackRecord]:
    """The track record of each series; every (series, release) is one task on the project's mapper."""
    from forecasting.parallel import map_series

    prepared = []
    all_tasks: list[VintageTask] = []
    for s in series_ids:
        tasks, rows, refs, notes = vintage_tasks(wh, s, cfg)
        prepared.append((s, len(tasks)))
        all_tasks.extend(tasks)
    results = map_series(
        train_vintage,
        all_tasks,
        backend=backend,  # type: ignore[arg-type]
        scheduler=scheduler,
        n_jobs=n_jobs,
        progress=progress,
        chunk_size=1,
    )
    done = dict(zip(((t.series_id, t.release) for t in all_tasks), results, strict=True))

    def lookup(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return [done[(t.series_id, t.release)] for t in items]

    return [replay_series(wh, s, cfg, mapper=lookup) for s, _n in prepared]


# ---- output --------------------------------------------------------------------------------------------
def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(v) else round(v, 6)


def record_json(tr: TrackRecord) -> dict[str, Any]:
    """The track record as JSON-safe data: per vintage, the release, last observed period, each forecast
    period with mean, quantiles and outturn, and the calendar-year growth rows; then the summary."""
    qcols = [c for c in (tr.vintages[0].forecasts.columns if tr.vintages else []) if c.startswith("q")]
    out_levels = tr.levels.set_index(["release", "step"]) if not tr.levels.empty else None
    vintages = []
    for vf in tr.vintages:
        fcs = []
        for rd in vf.forecasts.to_dict("records"):
            outturn = None
            if out_levels is not None and (vf.release, rd["step"]) in out_levels.index:
                outturn = _num(out_levels.at[(vf.release, rd["step"]), "outturn"])
            fcs.append(
                {
                    "period": period_label(rd["period"], vf.frequency),
                    "step": int(rd["step"]),
                    "mean": _num(rd["mean"]),
                    "quantiles": {c: _num(rd[c]) for c in qcols},
                    "naive": _num(rd["naive"]),
                    "drift": _num(rd["drift"]),
                    "bridge": _num(rd["bridge"]) if "bridge" in rd else None,
                    "outturn": outturn,
                }
            )
        g = tr.growth[tr.growth["release"] == vf.release] if not tr.growth.empty else tr.growth
        vintages.append(
            {
                "release": vf.release,
                "last_observed": period_label(vf.last_observed, vf.frequency),
                "observations": vf.n_observations,
                "reference_year": vf.reference_year,
                "method": vf.method,
                "nowcast_indicators": vf.nowcast_indicators,
                "scored": vf.release != tr.outturn_release,
                "note": vf.note,
                "forecasts": fcs,
                "growth": [
                    {k: (_num(v) if k not in ("release", "year", "horizon") else v) for k, v in row.items()}
                    for row in g.drop(columns=["release"]).to_dict("records")
                ],
            }
        )
    return {
        "series_id": tr.series_id,
        "unit": tr.unit,
        "price_basis": tr.price_basis,
        "experiment": tr.experiment,
        "outturn_release": tr.outturn_release,
        "outturn_reference_year": tr.outturn_reference_year,
        "vintages": vintages,
        "summary": [
            {k: (_num(v) if k not in ("kind", "horizon", "n") else v) for k, v in row.items()}
            for row in tr.summary.to_dict("records")
        ],
        "notes": tr.notes,
    }


def summary_table(records: Sequence[TrackRecord]) -> pd.DataFrame:
    """All series' summaries stacked (the table the CLI prints and the bundle stores)."""
    parts = []
    for tr in records:
        if tr.summary.empty:
            continue
        s = tr.summary.copy()
        s.insert(0, "series_id", tr.series_id)
        s["vintages"] = len([v for v in tr.vintages if v.release != tr.outturn_release])
        s["outturn_release"] = tr.outturn_release
        parts.append(s)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


# ---- into the bundle -----------------------------------------------------------------------------------
ATTACHED_DIR = "track_record"  # under the data dir: what `invest track-record --attach` writes


def bundle_tables(records: Sequence[TrackRecord], computed_at: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundle's ``track_record`` (summary) and ``track_record_points`` tables for these records."""
    summary = summary_table(records)
    if not summary.empty:
        summary = summary.assign(
            experiment=[r.experiment for r in records for _ in range(len(r.summary))],
            computed_at=computed_at,
        )
        summary["horizon"] = summary["horizon"].astype("int64")
        summary["n"] = summary["n"].astype("int64")
        summary["vintages"] = summary["vintages"].astype("int64")
        for c in ("model", "naive", "drift", "bridge", "ratio_naive", "coverage80", "coverage95"):
            summary[c] = summary[c].astype(float)
    parts = []
    for tr in records:
        last = {v.release: period_label(v.last_observed, v.frequency) for v in tr.vintages}
        lv = tr.levels
        if not lv.empty:
            p = pd.DataFrame(
                {
                    "series_id": tr.series_id,
                    "release": lv["release"].astype(str),
                    "last_observed": lv["release"].map(last),
                    "kind": "level",
                    "horizon": lv["step"].astype("int64"),
                    "period": [period_label(x, tr.frequency) for x in lv["period"]],
                    "mean": lv["mean"].astype(float),
                    "naive": lv["naive"].astype(float),
                    "drift": lv["drift"].astype(float),
                    "bridge": lv["bridge"].astype(float) if "bridge" in lv else np.nan,
                    "outturn": lv["outturn"].astype(float),
                    "comparable": lv["comparable"].astype(bool),
                }
            )
            for c in ("lo80", "hi80", "lo95", "hi95"):
                p[c] = lv[c].astype(float) if c in lv else np.nan
            parts.append(p)
        gr = tr.growth
        if not gr.empty:
            parts.append(
                pd.DataFrame(
                    {
                        "series_id": tr.series_id,
                        "release": gr["release"].astype(str),
                        "last_observed": gr["release"].map(last),
                        "kind": "growth",
                        "horizon": gr["horizon"].astype("int64"),
                        "period": gr["year"].astype(int).astype(str),
                        "mean": gr["model"].astype(float),
                        "naive": gr["naive"].astype(float),
                        "drift": gr["drift"].astype(float),
                        "bridge": gr["bridge"].astype(float) if "bridge" in gr else np.nan,
                        "outturn": gr["outturn"].astype(float),
                        "comparable": True,
                        **{c: np.nan for c in ("lo80", "hi80", "lo95", "hi95")},
                    }
                )
            )
    points = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return summary, points


def attach(records: Sequence[TrackRecord], data_dir: Path, computed_at: str) -> Path:
    """Write the track record where the next ``invest train``/``invest run`` puts it into the bundle.

    Validated against the bundle schemas first; series already attached are replaced, others kept.
    """
    from forecasting.registry.schema import validate_table

    summary, points = bundle_tables(records, computed_at)
    folder = Path(data_dir) / ATTACHED_DIR
    old_s, old_p = load_attached(data_dir)
    ids = {r.series_id for r in records}
    if not old_s.empty:
        summary = pd.concat([old_s[~old_s["series_id"].isin(ids)], summary], ignore_index=True)
    if not old_p.empty:
        points = pd.concat([old_p[~old_p["series_id"].isin(ids)], points], ignore_index=True)
    validate_table("track_record", summary)
    validate_table("track_record_points", points)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (("summary", summary), ("points", points)):
        tmp = folder / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
    return folder


def load_attached(
    data_dir: Path, series_ids: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attached track record (empty frames when none), limited to ``series_ids`` when given."""
    folder = Path(data_dir) / ATTACHED_DIR
    out = []
    for name in ("summary", "points"):
        f = folder / f"{name}.parquet"
        df = pd.read_parquet(f) if f.is_file() else pd.DataFrame()
        if series_ids is not None and not df.empty:
            df = df[df["series_id"].isin(set(series_ids))].reset_index(drop=True)
        out.append(df)
    return out[0], out[1]


# ---- docs/TRACK_RECORD.md ------------------------------------------------------------------------------
def _cell(v: Any, digits: int = 2) -> str:
    x = _num(v)
    return "–" if x is None else f"{x:.{digits}f}"


def markdown(records: Sequence[TrackRecord], command: str, seconds: float, when: str) -> str:
    """The track record as a Markdown document (``invest track-record --markdown FILE``)."""
    lines = [
        "# Real-time track record",
        "",
        f"Generated {when} by `{command}` ({seconds:.0f} s). Do not edit by hand: rerun the command.",
        "",
        "Each publisher release of a series is replayed: the experiment's engine (families, backtest,",
        "selection, interval calibration) is trained on the series exactly as that release published it,",
        "and its forecasts are scored against the newest release. Benchmarks from the same release:",
        "**no-change** (last observed level carried forward) and **drift** (the release's average change).",
        "",
        "* **growth**: mean absolute error of calendar-year growth (percentage points); horizon = years",
        "  after the release year (0 = the year of the release, 1 = the next). Growth rates are comparable",
        "  across rebasing, so every release is scored.",
        "* **level**: mean absolute error in % of the outturn; horizon = steps after the last observed",
        "  period; cov80/cov95 = share of outturns inside the 80%/95% intervals. Chained-volume levels are",
        "  scored only for releases in the outturn's reference year (never across a rebasing).",
        "* ratio = model / no-change (below 1 beats no-change).",
        "* **bridge** (business investment): the model's path with the quarters not yet published at the",
        "  release nowcast from monthly GDP out by then (`forecasting/training/bridge.py`; the monthly",
        "  values are those of the July 2026 release, their availability is real-time); – where no",
        "  indicator bridges the series.",
        "",
    ]
    for tr in records:
        scored = [v for v in tr.vintages if v.release != tr.outturn_release]
        lines += [
            f"## `{tr.series_id}`",
            "",
            f"{tr.unit}; {len(scored)} releases scored ({scored[0].release if scored else '–'} → "
            f"{scored[-1].release if scored else '–'}) against the {tr.outturn_release} release"
            + (f" (reference year {tr.outturn_reference_year})" if tr.outturn_reference_year else "")
            + f"; experiment `{tr.experiment}`.",
            "",
            "| kind | horizon | n | model | no-change | drift | bridge | ratio | cov80 | cov95 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in tr.summary.sort_values(["kind", "horizon"], ascending=[True, True]).to_dict("records"):
            lines.append(
                f"| {r['kind']} | {r['horizon']} | {r['n']} | {_cell(r['model'])} | {_cell(r['naive'])} | "
                f"{_cell(r['drift'])} | {_cell(r.get('bridge'))} | {_cell(r['ratio_naive'])} | "
                f"{_cell(r['coverage80'])} | "
                f"{_cell(r['coverage95'])} |"
            )
        g = tr.growth.dropna(subset=["outturn"])
        if not g.empty:
            lines += [
                "",
                "Calendar-year growth, % (each release's forecast; outturn from the newest release):",
                "",
                "| release | last observed | year | horizon | model | no-change | drift | bridge | outturn |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            last = {v.release: period_label(v.last_observed, v.frequency) for v in tr.vintages}
            for r in g.to_dict("records"):
                lines.append(
                    f"| {r['release']} | {last[r['release']]} | {r['year']} | {r['horizon']} | "
                    f"{_cell(r['model'])} | {_cell(r['naive'])} | {_cell(r['drift'])} | "
                    f"{_cell(r.get('bridge'))} | {_cell(r['outturn'])} |"
                )
        bridged = [v for v in scored if v.nowcast_indicators.startswith("bridge")]
        if bridged:
            lines += ["", "Bridged releases (what each nowcast used):", ""]
            lines += [f"* {v.release}: {v.nowcast_indicators}" for v in bridged]
        for n in tr.notes:
            lines.append(f"\n_{n}_")
        lines.append("")
    return "\n".join(lines)
