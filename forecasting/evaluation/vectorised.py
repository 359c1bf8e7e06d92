"""``auto`` for many annual series at once: the same numbers as ``forecast_many``, computed on arrays.

Why: ``forecast_many`` runs every series through model objects, backtest windows and pandas frames one
at a time (~30 ms of CPU per ten-point series), so 100,000 series took hours. statsforecast's answer is
to fit many series per call; here the annual (non-seasonal) default is rebuilt on ``(series, time)``
arrays: naive, drift, the anchor and the shrinkage weight of ``shrunk_combo`` in closed form across
series, statsforecast's AutoTheta/AutoETS fitted per series with no wrapper around them and AutoTheta's
simulated interval drawn for every series at once (the same seed and draws as statsforecast's own).
Every guard of ``models.base.Forecaster`` (minimum length, flat series, non-finite or explosive output
-> the robust fallback, clipping at zero) is applied the same way, so the results equal the per-series
path up to floating-point summation order (``tests/evaluation/test_vectorised.py`` holds them together).

Shape of the work (``forecast_csv`` streams it): :func:`backtest_panel` runs one chunk's rolling-origin
backtests of the candidates and returns their scaled errors and scores; :func:`choose` makes the
group's pooled choice (``auto.choose_by_group``'s rule) over every chunk; the calibrator is fitted on
the chosen candidate's errors of every series (``calibration.fit_calibrator``); :func:`final_panel`
then fits the chosen method on each chunk's full histories and calibrates it, chunk after chunk, so no
chunk boundary changes any number and the forecasts are never all in memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.evaluation import bands
from forecasting.evaluation.auto import (
    DEFAULTS,
    GUARD_METRICS,
    MIN_GROUP_SERIES,
    SHRINKAGE_K,
    SPEC_SEARCH,
    _pooled_pick,
    panel_windows,
    without_context,
)
from forecasting.evaluation.backtest import MIN_WINDOWS, default_min_train, plan
from forecasting.evaluation.calibration import Calibrator
from models.base import _z
from models.statsforecast_models import ets_spec_kwargs, fit_pinned

# a CSV panel has no calibration groups, so a panel family is its drift: shrunk_combo, drift, naive
CANDIDATES: tuple[str, ...] = without_context(DEFAULTS["annual"].methods)
SINGLE: tuple[str, ...] = ("naive", "drift")  # single methods this module fits (``--method naive``)


def supported(method: str, season_lengths: Sequence[int]) -> bool:
    """True when this module computes ``method`` for these series: annual ``auto`` or naive/drift."""
    return all(int(m) == 1 for m in season_lengths) and (method == "auto" or method in SINGLE)


def candidates(method: str) -> tuple[str, ...]:
    return CANDIDATES if method == "auto" else (method,)


# ---- scales and guards ------------------------------------------------------------------------------------
def naive_scale_rows(Y: np.ndarray) -> np.ndarray:
    """``metrics.naive_scale(y, 1)`` of every row of ``Y`` (equal lengths)."""
    n = Y.shape[1]
    out = np.full(Y.shape[0], np.nan)
    if n > 1:
        out = np.mean(np.abs(Y[:, 1:] - Y[:, :-1]), axis=1)
    bad = ~(out > 1e-12)
    if bad.any():
        with np.errstate(over="ignore"):
            level = np.mean(np.abs(Y[bad]), axis=1)
        level = np.minimum(level, float(np.finfo(float).max))
        out[bad] = np.where(level > 1e-12, level, 1.0)
    return out


def _sound(Y: np.ndarray, mean: np.ndarray, sd: np.ndarray | None) -> np.ndarray:
    """``Forecaster._problem`` is None: finite mean and spread, not explosive (per row)."""
    h, n = mean.shape[1], Y.shape[1]
    ok = np.isfinite(mean).all(axis=1)
    if sd is not None:
        ok &= np.isfinite(sd).all(axis=1)
    span = np.maximum(np.maximum(np.ptp(Y, axis=1), np.abs(Y).mean(axis=1) * 0.1), 1e-9)
    with np.errstate(invalid="ignore", over="ignore"):
        move = np.max(np.abs(mean - Y[:, -1:]), axis=1)
        ok &= ~(move > 10 * span * max(1, h / max(n, 1)) + 10 * span)
    return ok


def _last(Y: np.ndarray, h: int) -> np.ndarray:
    """The robust fallback's mean for a non-seasonal model: the last value repeated."""
    return np.repeat(Y[:, -1:], h, axis=1)


def _sigma_rows(R: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(R**2, axis=1)) if R.shape[1] else np.zeros(R.shape[0])


def _guarded(Y: np.ndarray, mean: np.ndarray, sd: np.ndarray | None, nn: np.ndarray) -> np.ndarray:
    """A family's mean after ``Forecaster.predict``'s guard (fallback) and ``_finalise`` (clip)."""
    ok = _sound(Y, mean, sd)
    out = np.where(ok[:, None], mean, _last(Y, mean.shape[1]))
    return np.where(nn[:, None], np.maximum(out, 0.0), out)


# ---- families on arrays ---------------------------------------------------------------------------------
def naive_mean(Y: np.ndarray, h: int, nn: np.ndarray) -> np.ndarray:
    """``naive``: the last value (its Gaussian spread is always finite, so only the clip applies)."""
    mean = _last(Y, h)
    sigma = _sigma_rows(np.diff(Y, axis=1)) if Y.shape[1] > 1 else np.abs(Y[:, -1]) * 0.1
    return _guarded(Y, mean, sigma[:, None] * np.sqrt(np.arange(1, h + 1)), nn)


def drift_mean(Y: np.ndarray, h: int, nn: np.ndarray) -> np.ndarray:
    """``drift``: last value plus the mean first difference per step (fallback below 2 points)."""
    n = Y.shape[1]
    if n < 2:
        return _guarded(Y, _last(Y, h), None, nn)
    slope = (Y[:, -1] - Y[:, 0]) / (n - 1)
    steps = np.arange(1, h + 1)
    mean = Y[:, -1:] + slope[:, None] * steps
    sigma = _sigma_rows(np.diff(Y, axis=1) - slope[:, None]) if n > 2 else np.abs(slope) + 1e-09
    sd = sigma[:, None] * np.sqrt(steps * (1 + steps / max(n - 1, 1)))
    return _guarded(Y, mean, sd, nn)


Pins = list  # per row: the specification a backtest's earliest origin found (None: none, search)


def _fit_sf(cls: type, row: np.ndarray, spec: dict | None) -> object:
    """As the families fit (``fit_pinned``): the pinned specification when it fits, else the search."""
    fixed = None if spec is None else (lambda: cls(season_length=1, **spec))
    return fit_pinned(fixed, lambda: cls(season_length=1), row)


def theta_sf_mean(
    Y: np.ndarray, h: int, nn: np.ndarray, pins: Pins | None = None, record: bool = False
) -> np.ndarray:
    """``theta_sf`` (AutoTheta): fitted per series, its simulated 80% interval drawn for all at once.
    ``pins`` (per row, ``ThetaSF.pinned()``'s model name) refits those specifications; with ``record``
    the fits write theirs into ``pins`` instead (the backtest's earliest origin, ``backtest.backtest``)."""
    from statsforecast.models import AutoTheta
    from statsforecast.theta import forecast_theta

    S, n = Y.shape
    if n < 4:  # below ThetaSF's min_length: the robust fallback
        return _guarded(Y, _last(Y, h), None, nn)
    mean = _last(Y, h).astype(float)
    sd = np.zeros((S, h))
    fitted = np.zeros(S, dtype=bool)
    objs: list[dict] = []
    rows: list[int] = []
    flat = np.ptp(Y, axis=1) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in np.flatnonzero(~flat):
            try:
                spec = None if record or pins is None or pins[i] is None else {"model": pins[i]}
                obj = _fit_sf(AutoTheta, Y[i], spec).model_
                if record and pins is not None:
                    pins[i] = str(obj["modeltype"])
                mean[i] = forecast_theta({**obj, "decompose": False}, h=h)["mean"]
            except Exception:  # ThetaSF: a failed fit is the robust fallback
                continue
            if obj.get("distribution", "normal") != "normal" or obj.get("decompose", False):
                continue  # never for annual AutoTheta; left to the fallback rather than guessed
            objs.append(obj)
            rows.append(int(i))
    if rows:
        lo, hi = _theta_band80(objs, h)
        sd[rows] = np.maximum(hi - lo, 0.0) / (2 * _z(0.9))
        fitted[rows] = True
    sd = np.where(fitted[:, None] | flat[:, None], sd, np.nan)  # not fitted: fallback
    return _guarded(Y, mean, sd, nn)


def _theta_band80(objs: list[dict], h: int) -> tuple[np.ndarray, np.ndarray]:
    """``models.statsforecast_models.theta_forecast80``'s 80% band for many fitted models at once:
    every series draws the same standard normals (seed 0) times its own sigma, so the draws are shared."""
    S, n_samples = len(objs), 200
    n = np.array([o["n"] for o in objs])
    if np.unique(n).size != 1:
        raise ValueError("series of one call must have one length")
    n0 = int(n[0])
    alpha = np.array([o["par"]["alpha"] for o in objs], dtype=float)[:, None]
    theta = np.array([o["par"]["theta"] for o in objs], dtype=float)[:, None]
    sigma = np.empty(S)
    for k, o in enumerate(objs):
        tail = o["residuals"][3:]
        sigma[k] = np.std(tail, ddof=1) if len(tail) >= 2 else np.std(o["residuals"], ddof=1)
    last = np.array([o["states"][-1] for o in objs], dtype=float)
    smoothed, A, B = last[:, [0]], last[:, [2]], last[:, [3]]
    mean_y = np.array([o["mean_y"] for o in objs], dtype=float)[:, None]
    samples = np.full((h, S, n_samples), np.nan, dtype=np.float32)
    rng = np.random.default_rng(0)
    for i in range(n0, n0 + h):
        z = rng.standard_normal(n_samples)
        row = samples[i - n0]
        row[:] = smoothed + (1 - 1 / theta) * (
            A * ((1 - alpha) ** i) + B * (1 - (1 - alpha) ** (i + 1)) / alpha
        )
        row += sigma[:, None] * z
        smoothed = alpha * row + (1 - alpha) * smoothed
        mean_y = (i * mean_y + row) / (i + 1)
        B = ((i - 1) * B + 6 * (row - mean_y) / (i + 1)) / (i + 2)
        A = mean_y - B * (i + 2) / 2
    min_q = (100 - 80) / 200
    lo = np.quantile(samples, min_q, axis=2).T
    hi = np.quantile(samples, min_q + 80 / 100, axis=2).T
    return lo, hi


def ets_sf_mean(
    Y: np.ndarray, h: int, nn: np.ndarray, pins: Pins | None = None, record: bool = False
) -> np.ndarray:
    """``ets_sf`` (AutoETS): fitted per series (fallback below 7 points, as the family); ``pins`` and
    ``record`` as for :func:`theta_sf_mean` (``ETSsf.pinned()``'s components)."""
    from statsforecast.models import AutoETS

    S, n = Y.shape
    if n < 7:
        return _guarded(Y, _last(Y, h), None, nn)
    mean = _last(Y, h).astype(float)
    sd = np.full((S, h), np.nan)
    flat = np.ptp(Y, axis=1) == 0
    sd[flat] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in np.flatnonzero(~flat):
            try:
                pin = None if record or pins is None else pins[i]
                spec = None if pin is None else ets_spec_kwargs(pin)
                fitted_model = _fit_sf(AutoETS, Y[i], spec)
                if record and pins is not None:
                    pins[i] = str(fitted_model.model_["components"])
                res = fitted_model.predict(h, level=[80])
            except Exception:
                continue
            mean[i] = res["mean"]
            sd[i] = np.maximum(np.asarray(res["hi-80"]) - np.asarray(res["lo-80"]), 0.0) / (2 * _z(0.9))
    return _guarded(Y, mean, sd, nn)


def trend_weight_rows(Y: np.ndarray, c: float = 1.0) -> np.ndarray:
    """``models.combination.trend_weight`` of every row."""
    d = np.diff(Y, axis=1)
    if d.shape[1] < 2:
        return np.zeros(Y.shape[0])
    mu, sd = d.mean(axis=1), d.std(axis=1, ddof=1)
    tiny = sd <= 1e-12 * np.maximum(1.0, np.abs(mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = mu * mu / (sd * sd / d.shape[1])
        w = t2 / (t2 + float(c))
    return np.where(tiny, (np.abs(mu) > 0).astype(float), w)


def shrunk_combo_mean(
    Y: np.ndarray, h: int, nn: np.ndarray, pins: dict[str, Pins] | None = None, record: bool = False
) -> np.ndarray:
    """``shrunk_combo``: naive + w * (mean(drift, theta_sf, ets_sf) - naive), then its own guard;
    ``pins`` by member (``theta_sf``, ``ets_sf``), ``record`` as for :func:`theta_sf_mean`."""
    pins = pins or {}
    members = [
        drift_mean(Y, h, nn),
        theta_sf_mean(Y, h, nn, pins.get("theta_sf"), record),
        ets_sf_mean(Y, h, nn, pins.get("ets_sf"), record),
    ]
    comb = np.mean(np.stack(members), axis=0)
    base = naive_mean(Y, h, nn)
    w = trend_weight_rows(Y)[:, None]
    mean = base + w * (comb - base)
    return _guarded(Y, mean, None, nn)


FAMILIES = {"naive": naive_mean, "drift": drift_mean, "shrunk_combo": shrunk_combo_mean}


def family_mean(name: str, Y: np.ndarray, h: int, nn: np.ndarray) -> np.ndarray:
    """Mean forecasts ``(series, h)`` of a registered family, as ``make(name).fit(y).predict(h).mean``."""
    return FAMILIES[name](np.asarray(Y, dtype=float), int(h), np.asarray(nn, dtype=bool))


# ---- backtests, choice, final fits --------------------------------------------------------------------------
def windows_for(n_series: int, method: str) -> tuple[int, int | None]:
    """(windows per series, windows the group choice scores) as ``forecast_many`` picks them."""
    names = candidates(method)
    selection = None if method == "auto" else "best"
    nw = panel_windows(1, n_series, selection, len(names), True)
    sw = panel_windows(1, n_series, selection, len(names), True, False)
    return nw, sw


@dataclass
class Backtests:
    """One chunk's backtests: per candidate, scaled errors ``(series, windows, h)`` and scores."""

    origins: tuple[int, ...]
    errors: dict[str, np.ndarray]
    mase: dict[str, np.ndarray]  # per series, over the most recent ``score_windows`` windows
    smape: dict[str, np.ndarray]


def backtest_panel(
    Y: np.ndarray, h: int, nn: np.ndarray, method: str, n_windows: int, score_windows: int | None
) -> Backtests:
    """Rolling-origin backtests of the candidates on equal-length rows (``backtest.backtest``'s plan)."""
    S, n = Y.shape
    bp = plan(n, h, n_windows, 1, default_min_train(1, h), MIN_WINDOWS)
    names = candidates(method)
    errs = {c: np.empty((S, bp.n_windows, bp.h)) for c in names}
    ae = {c: np.empty((S, bp.n_windows, bp.h)) for c in names}
    sm = {c: np.empty((S, bp.n_windows, bp.h)) for c in names}
    # specifications searched at the earliest origin and refitted at the later ones (backtest.backtest)
    pins: dict[str, Pins] = {m: [None] * S for m in ("theta_sf", "ets_sf")} if SPEC_SEARCH == "first" else {}
    for k, o in enumerate(bp.origins):
        train, actual = Y[:, :o], Y[:, o : o + bp.h]
        scale = naive_scale_rows(train)[:, None]
        for c in names:
            if c == "shrunk_combo":
                f = shrunk_combo_mean(train, bp.h, np.asarray(nn, dtype=bool), pins, record=k == 0)
            else:
                f = family_mean(c, train, bp.h, nn)
            errs[c][:, k] = (actual - f) / scale
            ae[c][:, k] = np.abs(actual - f) / scale
            den = np.abs(actual) + np.abs(f)
            with np.errstate(invalid="ignore", divide="ignore"):
                sm[c][:, k] = np.where(den > 0, 200.0 * np.abs(actual - f) / den, 0.0)
    k0 = 0 if score_windows is None or score_windows >= bp.n_windows else bp.n_windows - score_windows
    mase = {c: ae[c][:, k0:].mean(axis=2).mean(axis=1) for c in names} if bp.n_windows else {}
    smape = {c: sm[c][:, k0:].mean(axis=2).mean(axis=1) for c in names} if bp.n_windows else {}
    return Backtests(bp.origins, errs, mase, smape)


def choose(mase: np.ndarray, smape: np.ndarray, names: Sequence[str]) -> str:
    """``auto.choose_by_group`` for one group: tables ``(series, candidates)`` of MASE and sMAPE."""
    if len(names) < 2 or mase.size == 0:
        return names[0]
    tables = [mase, smape][: 1 + len(GUARD_METRICS)]
    finite = np.all([np.isfinite(t).all(axis=1) for t in tables], axis=0)
    tables = [t[finite] for t in tables]
    pick = _pooled_pick(tables)[0] if finite.sum() >= MIN_GROUP_SERIES else 0
    return names[pick]


def errors_frame(ids: Sequence[str], origins: Sequence[int], errors: np.ndarray) -> pd.DataFrame:
    """``calibration.errors_table`` rows (series_id, origin, step, scaled_error) for a chunk."""
    S, W, H = errors.shape
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(np.asarray(ids, dtype=object), W * H),
            "origin": np.tile(np.repeat(np.asarray(origins, dtype=int), H), S),
            "step": np.tile(np.arange(1, H + 1), S * W),
            "scaled_error": errors.reshape(-1),
        }
    )
    return frame[np.isfinite(frame["scaled_error"].to_numpy())]


def enforce_rows(arr: np.ndarray, probs: Sequence[float], floor: np.ndarray) -> np.ndarray:
    """``bands.enforce`` on ``(series, quantiles, h)`` at once; ``floor`` per series (NaN: none)."""
    arr = np.array(arr, dtype=float)
    has = np.isfinite(floor)
    f = np.where(has, floor, -np.inf)[:, None, None]
    arr = np.where(has[:, None, None], np.maximum(arr, f), arr)
    arr = np.sort(arr, axis=1)
    inner: tuple[int, int] | None = None
    fl = np.where(has, floor, 0.0)
    for i, j in bands._pairs(sorted(float(p) for p in probs)):
        if inner is not None:
            arr[:, i] = np.minimum(arr[:, i], arr[:, inner[0]])
            arr[:, j] = np.maximum(arr[:, j], arr[:, inner[1]])
        for s in range(1, arr.shape[2]):
            short = (arr[:, j, s - 1] - arr[:, i, s - 1]) - (arr[:, j, s] - arr[:, i, s])
            pos = short > 0
            down = short / 2
            down = np.where(has, np.minimum(down, np.maximum(arr[:, i, s] - fl, 0.0)), down)
            arr[:, i, s] -= np.where(pos, down, 0.0)
            arr[:, j, s] += np.where(pos, short - down, 0.0)
        inner = (i, j)
    return np.sort(arr, axis=1)


@dataclass
class Final:
    """A chunk's calibrated forecasts: ``quantiles`` ``(series, probs, h)``, mean and point ``(series, h)``."""

    probs: tuple[float, ...]
    quantiles: np.ndarray
    mean: np.ndarray
    point: np.ndarray
    sources: list[str]
    calibration_errors: int
    little_evidence: bool


def final_panel(
    Y: np.ndarray, h: int, nn: np.ndarray, chosen: str, cal: Calibrator, probs: Sequence[float]
) -> Final:
    """The chosen method fitted on full histories, calibrated and finished (``auto.calibrate``)."""
    centre = family_mean(chosen, Y, h, nn)
    scale = naive_scale_rows(Y)
    qd = cal.apply(centre, scale, h)
    probs = tuple(sorted(float(p) for p in probs))
    arr = np.stack([_pick(qd, p) for p in probs], axis=1)
    mean = cal.apply_mean(centre, scale, h)
    floor = np.where(nn, 0.0, np.nan)
    arr = enforce_rows(arr, probs, floor)
    mean = np.where(nn[:, None], np.maximum(mean, 0.0), mean)
    lo, hi = _index(probs, 0.1), _index(probs, 0.9)
    if lo is not None and hi is not None:
        mean = np.clip(mean, arr[:, lo], arr[:, hi])
    mid = _index(probs, 0.5)
    point = arr[:, mid] if mid is not None else mean
    little = cal.counts.size == 0 or int(cal.counts[0]) < SHRINKAGE_K
    return Final(probs, arr, mean, point, cal.sources(h), int(cal.n_errors), bool(little))


def _pick(qd: dict[float, np.ndarray], p: float) -> np.ndarray:
    for q, v in qd.items():
        if abs(q - p) < 1e-9:
            return v
    raise KeyError(p)


def _index(probs: Sequence[float], p: float) -> int | None:
    return next((k for k, q in enumerate(probs) if abs(q - p) < 1e-9), None)
