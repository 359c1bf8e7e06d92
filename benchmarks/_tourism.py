"""Shared loader for the tourism competition data (yearly/quarterly/monthly), used by every benchmark.

Reads the tidy ``tourism/tourism_long.csv`` + ``tourism_series_meta.csv`` described in SOURCES.md §8
from ``$INVEST_MIRROR`` (or ``/work/shared/data``), so each benchmark scores exactly the same series.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path("/work/shared/data")
FREQUENCIES: dict[str, tuple[str, int, int]] = {
    # name -> (meta "period" label, season length, competition horizon)
    "yearly": ("YEARLY", 1, 4),
    "quarterly": ("QUARTERLY", 4, 8),
    "monthly": ("MONTHLY", 12, 24),
}


@dataclass(frozen=True)
class TourismSeries:
    series_id: str
    train: np.ndarray
    test: np.ndarray
    season_length: int
    h: int


def data_dir(path: str | Path | None = None) -> Path:
    """Explicit path, else ``$INVEST_MIRROR``, else the shared mirror."""
    if path is not None:
        return Path(path)
    env = os.environ.get("INVEST_MIRROR")
    return Path(env) if env else DEFAULT_DATA


def load_tourism(
    frequency: str, *, limit: int | None = None, path: str | Path | None = None, half: str | None = None
) -> list[TourismSeries]:
    """Series of one frequency in file order (``limit`` takes an evenly spaced subset, for quick runs).

    ``half="even"``/``"odd"``: every other series (0-based position in that order), so a default can be
    chosen on one half and confirmed on the other (the engine's defaults were chosen on "even").
    """
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {sorted(FREQUENCIES)}, got {frequency!r}")
    label, m, h = FREQUENCIES[frequency]
    root = data_dir(path) / "tourism"
    meta = pd.read_csv(root / "tourism_series_meta.csv")
    ids = meta.loc[meta["period"] == label, "series_id"].tolist()
    ids.sort(key=lambda s: (s[0], int(s[1:])) if s[1:].isdigit() else (s, 0))
    if half is not None:
        if half not in ("even", "odd"):
            raise ValueError(f"half must be 'even' or 'odd', got {half!r}")
        ids = ids[0 if half == "even" else 1 :: 2]
    if limit is not None and limit < len(ids):
        idx = np.linspace(0, len(ids) - 1, limit).round().astype(int)
        ids = [ids[i] for i in sorted(set(idx))]
    long = pd.read_csv(root / "tourism_long.csv")
    long = long[long["series_id"].isin(set(ids))].sort_values(["series_id", "split", "t"])
    groups = {key: g["value"].to_numpy(float) for key, g in long.groupby(["series_id", "split"], sort=False)}
    return [TourismSeries(sid, groups[(sid, "train")], groups[(sid, "test")][:h], m, h) for sid in ids]


# ---- runners shared by tourism_accuracy and engine_speed ---------------------------------------------------
@dataclass
class Run:
    """Forecasts of one method on a list of series: ``(n_series, h)`` arrays and the wall time."""

    name: str
    mean: np.ndarray
    quantiles: dict[float, np.ndarray]
    seconds: float
    methods: list[str] | None = None  # per-series chosen method (auto)


def _fit_one(item: tuple[str, np.ndarray, int, int]) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    from models.base import make

    name, y, m, h = item
    fc = make(name, season_length=m, non_negative=True).fit(y).predict(h)
    return fc.mean, fc.quantiles


def run_family(series: list[TourismSeries], name: str, mapper) -> Run:
    """One registered family fitted on each training series (its own intervals, no calibration)."""
    import time

    t0 = time.perf_counter()
    out = mapper(_fit_one, [(name, s.train, s.season_length, s.h) for s in series])
    secs = time.perf_counter() - t0
    mean = np.vstack([o[0] for o in out])
    qs = {q: np.vstack([o[1][q] for o in out]) for q in out[0][1]}
    return Run(name, mean, qs, secs)


def run_auto(series: list[TourismSeries], mapper, **kwargs) -> Run:
    """``forecast_many`` with calibrated intervals (one calibrator per frequency), scored on its point
    forecast (``Forecast.point``: the median of the distribution its bands come from)."""
    import time

    from forecasting.evaluation.auto import forecast_many

    t0 = time.perf_counter()
    res = forecast_many(
        {s.series_id: s.train for s in series},
        {s.series_id: s.h for s in series},
        season_length={s.series_id: s.season_length for s in series},
        non_negative=True,
        mapper=mapper,
        **kwargs,
    )
    secs = time.perf_counter() - t0
    fcs = [res[s.series_id].forecast for s in series]
    qs = {q: np.vstack([f.quantiles[q] for f in fcs]) for q in fcs[0].quantiles}
    points = np.vstack([getattr(f, "point", f.mean) for f in fcs])
    return Run("auto", points, qs, secs, [res[s.series_id].method for s in series])


SF_MODELS = ("AutoETS", "AutoTheta", "AutoARIMA")


def run_statsforecast(
    series: list[TourismSeries], n_jobs: int, models: tuple[str, ...] = SF_MODELS
) -> dict[str, Run]:
    """statsforecast on the same series in one call (as its users run it); plus the mean of the models.

    Every model gets the same wall time: the one call that fits them all (statsforecast runs them together).
    """
    import time
    import warnings

    import statsforecast.models as sfm
    from statsforecast import StatsForecast

    by_m: dict[int, list[TourismSeries]] = {}
    for s in series:
        by_m.setdefault(s.season_length, []).append(s)
    frames, secs = [], 0.0
    for m, group in by_m.items():
        df = pd.concat(
            [
                pd.DataFrame({"unique_id": s.series_id, "ds": np.arange(s.train.size), "y": s.train})
                for s in group
            ]
        )
        sf = StatsForecast(
            models=[getattr(sfm, name)(season_length=m) for name in models],
            freq=1,
            n_jobs=n_jobs,
            fallback_model=sfm.Naive(),
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=df, h=group[0].h, level=[80, 95])
        secs += time.perf_counter() - t0
        frames.append(fc.reset_index() if "unique_id" not in fc.columns else fc)
    fc = pd.concat(frames)
    order = {s.series_id: i for i, s in enumerate(series)}
    fc = fc.assign(_i=fc["unique_id"].map(order)).sort_values(["_i", "ds"])
    h = series[0].h
    n = len(series)

    def arr(col: str) -> np.ndarray:
        return np.maximum(fc[col].to_numpy(float).reshape(n, h), 0.0)  # same non-negativity as ours

    runs: dict[str, Run] = {}
    for name in models:
        qs = {
            0.1: arr(f"{name}-lo-80"),
            0.9: arr(f"{name}-hi-80"),
            0.025: arr(f"{name}-lo-95"),
            0.975: arr(f"{name}-hi-95"),
        }
        runs[f"sf-{name}"] = Run(f"sf-{name}", arr(name), qs, secs)
    mean_q = {
        q: np.mean([runs[f"sf-{m}"].quantiles[q] for m in models], axis=0) for q in (0.1, 0.9, 0.025, 0.975)
    }
    runs["sf-mean3"] = Run("sf-mean3", np.mean([runs[f"sf-{m}"].mean for m in models], axis=0), mean_q, secs)
    return runs
