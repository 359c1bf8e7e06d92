"""One forecaster interface for every model family.

Shape borrowed from statsforecast (numpy in, arrays out) and sktime (public methods validate and apply
guards, private ``_fit``/``_predict`` compute). A family is one module with a ``Forecaster`` subclass
registered with ``@register``; nothing else needs to change to add a model.

Conventions
- ``y`` is a 1-D float array, oldest first, no NaN. ``X`` (optional) is ``(n, k)`` for fit and ``(h, k)``
  for predict.
- ``predict`` returns a ``Forecast`` with the mean and a quantile array for every requested quantile
  (probabilities in (0, 1)). Quantiles are monotone in probability at every step.
- Same inputs + same ``seed`` -> identical outputs.
- Guards (here, not in families): non-finite or explosive output falls back to a robust model and says
  so in ``Forecast.fallback``; ``non_negative`` clips mean and quantiles at zero.
- ``get_state``/``from_state`` give a JSON-safe dict, so bundles never pickle arbitrary objects.
- ``ModelError`` (bad input) always reaches the caller, even from a family's ``_fit``/``_predict``;
  any other exception there means a numerical failure and triggers the fallback.
- A series shorter than a family's ``min_length`` is not an error: the robust fallback is fitted and the
  reason recorded (callers then see ``Forecast.fallback``); only empty or non-finite input raises.
- Fits run with BLAS limited to one thread: scipy's L-BFGS-B on these tiny problems is 3-5x slower when
  OpenBLAS spins up threads (measured on the 2-core machines), and series are parallelised above us.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from forecasting.errors import InvestError
from forecasting.vocabulary import QUANTILE_GRID, level_to_quantiles


@dataclass(frozen=True)
class Capabilities:
    exogenous: bool = False
    min_length: int = 1
    seasonal: bool = False
    stochastic: bool = False  # uses the seed (e.g. Prophet's MCMC/simulation)


@dataclass
class Forecast:
    mean: np.ndarray
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    method: str = ""
    fallback: str | None = None  # why a fallback model produced this, if one did

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = level_to_quantiles(level)
        return self.quantiles[lo], self.quantiles[hi]

    @property
    def point(self) -> np.ndarray:
        """The point forecast to lead with: the median of the distribution the bands come from (the
        stored 0.5 quantile), else the mean when no median is stored."""
        for p, v in self.quantiles.items():
            if abs(p - 0.5) < 1e-9:
                return np.asarray(v, dtype=float)
        return np.asarray(self.mean, dtype=float)


class ModelError(InvestError):
    """Bad input to a model (empty, wrong shapes, non-finite values)."""


_BLAS_CONTROLLER: Any = None
_BLAS_PINNED = False  # this (worker) process has BLAS limited to one thread for good


@contextmanager
def single_thread_blas() -> Iterator[None]:
    """Limit BLAS to one thread for the duration.

    Why the process flag: entering and leaving threadpoolctl's limit costs ~0.1 ms per call, ~4% of a
    training worker's time at two calls per fit. A worker process (joblib/loky, multiprocessing) only
    fits and predicts, so its first call limits BLAS for good and later calls are free; the main process
    (``n_jobs=1``, the CLI, the service) keeps the scoped limit so its other BLAS work keeps its threads.
    """
    global _BLAS_CONTROLLER, _BLAS_PINNED
    limiter = None
    if not _BLAS_PINNED:
        try:
            if _BLAS_CONTROLLER is None:
                from threadpoolctl import ThreadpoolController

                _BLAS_CONTROLLER = ThreadpoolController()
            if _in_worker_process():
                _BLAS_CONTROLLER.limit(limits=1, user_api="blas")  # kept for the worker's lifetime
                _BLAS_PINNED = True
            else:
                limiter = _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
        except Exception:  # threadpoolctl missing or unusable: run as is
            limiter = None
    if limiter is None:
        yield
        return
    with limiter:
        yield


def _in_worker_process() -> bool:
    """True in a child process started by multiprocessing/loky (joblib's workers)."""
    import multiprocessing

    return multiprocessing.parent_process() is not None


_REGISTRY: dict[str, type[Forecaster]] = {}


def register(cls: type[Forecaster]) -> type[Forecaster]:
    if not getattr(cls, "name", None):
        raise TypeError(f"{cls.__name__} needs a class attribute 'name'")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Forecaster]]:
    import models.registry  # noqa: F401  (imports every family module so they register)

    return dict(_REGISTRY)


def make(name: str, **params: Any) -> Forecaster:
    reg = registry()
    if name not in reg:
        raise ModelError(f"unknown model {name!r}; known: {sorted(reg)}")
    return reg[name](**params)


class Forecaster(ABC):
    name: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(
        self, season_length: int = 1, seed: int = 0, non_negative: bool = False, **params: Any
    ) -> None:
        self.season_length = int(season_length)
        self.seed = int(seed)
        self.non_negative = bool(non_negative)
        self.params = params
        self.y_: np.ndarray | None = None
        self.X_: np.ndarray | None = None
        self.fallback_: str | None = None

    # ---- public API: validate, then compute -------------------------------------------------------
    def fit(self, y: Sequence[float] | np.ndarray, X: np.ndarray | None = None) -> Forecaster:
        y = np.asarray(y, dtype=float).ravel()
        if y.size == 0:
            raise ModelError(f"{self.name}: empty history")
        if not np.all(np.isfinite(y)):
            raise ModelError(f"{self.name}: history contains NaN or inf")
        if X is not None:
            X = self._check_X(X, y.size, "fit")
        self._validate(y, X)
        self.y_ = y
        self.X_ = X
        self.fallback_ = None
        need = max(1, self.capabilities.min_length)
        if y.size < need:
            self.fallback_ = (
                f"{self.name} needs at least {need} observations, got {y.size}; used the robust fallback"
            )
            return self
        try:
            with single_thread_blas():
                self._fit(y, X)
        except ModelError:
            raise
        except Exception as exc:  # any numerical failure -> robust fallback, recorded
            self.fallback_ = f"{self.name} fit failed ({type(exc).__name__}: {exc}); used the robust fallback"
        return self

    def predict(
        self, h: int, X: np.ndarray | None = None, quantiles: Sequence[float] = QUANTILE_GRID
    ) -> Forecast:
        if self.y_ is None:
            raise ModelError(f"{self.name}: call fit before predict")
        if int(h) < 1:
            raise ModelError(f"{self.name}: horizon must be >= 1, got {h}")
        qs = sorted({float(q) for q in quantiles})
        if any(not 0 < q < 1 for q in qs):
            raise ModelError(f"{self.name}: quantiles must be in (0, 1), got {qs}")
        if X is not None:
            X = self._check_X(X, int(h), "predict")
        if (X is None) != (self.X_ is None):
            raise ModelError(f"{self.name}: X must be given in predict exactly when it was given in fit")
        fc: Forecast | None = None
        reason = self.fallback_
        if reason is None:
            try:
                with single_thread_blas():
                    fc = self._predict(int(h), X, qs)
                reason = self._problem(fc, int(h))
            except ModelError:
                raise
            except Exception as exc:
                reason = f"{self.name} predict failed ({type(exc).__name__}: {exc})"
        if reason is not None:
            fc = _robust_fallback(self.y_, int(h), qs, self.season_length)
            fc.fallback = reason
        assert fc is not None
        fc.method = fc.method or self.name
        return self._finalise(fc, qs)

    # ---- for families -----------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None: ...

    @abstractmethod
    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast: ...

    def pinned(self) -> dict[str, Any]:
        """Constructor params that refit the specification this fit chose, without searching again.

        Why: a backtest searches a family's specification (ETS type, ARIMA order, Theta variant) at its
        earliest origin and refits that one specification at the later origins (``backtest``), which
        costs a fraction of a search. ``{}`` for families without a search and for a fit that fell back.
        """
        if self.fallback_ is not None or self.y_ is None:
            return {}
        return self._pinned()

    def _pinned(self) -> dict[str, Any]:
        """Families with a specification search override this (see ``pinned``)."""
        return {}

    def _validate(self, y: np.ndarray, X: np.ndarray | None) -> None:  # noqa: B027 (optional hook)
        """Family-specific input checks that must raise ModelError rather than fall back."""

    def get_state(self) -> dict[str, Any]:
        """JSON-safe state; the default refits from the stored history (cheap for these models)."""
        return {
            "name": self.name,
            "season_length": self.season_length,
            "seed": self.seed,
            "non_negative": self.non_negative,
            "params": self.params,
            "y": None if self.y_ is None else self.y_.tolist(),
            "X": None if self.X_ is None else self.X_.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Forecaster:
        """Rebuild a fitted model; dispatches on ``state["name"]``, so ``Forecaster.from_state`` works."""
        klass = registry().get(state.get("name", ""))
        if klass is None:
            raise ModelError(f"unknown model {state.get('name')!r} in state")
        return klass._restore(state)

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> Forecaster:
        """Default: refit on the stored history (families override to avoid the search/optimisation)."""
        model = cls(
            season_length=state["season_length"],
            seed=state["seed"],
            non_negative=state["non_negative"],
            **state.get("params", {}),
        )
        if state.get("y") is not None:
            X = state.get("X")
            model.fit(np.asarray(state["y"], dtype=float), None if X is None else np.asarray(X, dtype=float))
        return model

    def _restored(self, state: dict[str, Any]) -> None:
        """Set the base attributes a restored family model needs (history, drivers, no fallback)."""
        self.y_ = np.asarray(state["y"], dtype=float)
        self.X_ = None if state.get("X") is None else np.asarray(state["X"], dtype=float)
        self.fallback_ = None

    # ---- guards -----------------------------------------------------------------------------------
    def _check_X(self, X: np.ndarray, n: int, where: str) -> np.ndarray:
        if not self.capabilities.exogenous:
            raise ModelError(f"{self.name}: does not take exogenous drivers")
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] != n:
            raise ModelError(f"{self.name}: X in {where} has shape {X.shape}, expected ({n}, k)")
        if where == "predict" and self.X_ is not None and X.shape[1] != self.X_.shape[1]:
            raise ModelError(
                f"{self.name}: X in predict has {X.shape[1]} columns, fit had {self.X_.shape[1]}"
            )
        if not np.all(np.isfinite(X)):
            raise ModelError(f"{self.name}: X in {where} contains NaN or inf")
        return X

    def _problem(self, fc: Forecast, h: int) -> str | None:
        """Non-finite or explosive output (beyond 10x the history's range from its last value)."""
        y = self.y_
        arrays = [fc.mean, *fc.quantiles.values()]
        # one isfinite over the stacked arrays: per-array checks were ~3% of training time
        if any(a.shape != (h,) for a in arrays) or not np.isfinite(np.array(arrays)).all():
            return f"{self.name} produced non-finite values"
        span = max(float(np.ptp(y)), float(np.abs(y).mean()) * 0.1, 1e-9)
        if np.max(np.abs(fc.mean - y[-1])) > 10 * span * max(1, h / max(len(y), 1)) + 10 * span:
            return f"{self.name} forecast is explosive (moves more than 10x the history's range)"
        return None

    def _finalise(self, fc: Forecast, qs: list[float]) -> Forecast:
        mean = np.asarray(fc.mean, dtype=float)
        qarr = (
            np.vstack([np.asarray(fc.quantiles[q], dtype=float) for q in qs])
            if qs
            else np.empty((0, mean.size))
        )
        if qs:
            qarr = np.sort(qarr, axis=0)  # monotone in probability
        if self.non_negative:
            mean = np.maximum(mean, 0.0)
            qarr = np.maximum(qarr, 0.0)
        fc.mean = mean
        fc.quantiles = {q: qarr[i] for i, q in enumerate(qs)}
        return fc


def gaussian_quantiles(
    mean: np.ndarray, sd: np.ndarray, quantiles: Sequence[float]
) -> dict[float, np.ndarray]:
    return {q: mean + _z(float(q)) * sd for q in quantiles}


@lru_cache(maxsize=256)
def _z(q: float) -> float:
    """Standard normal quantile, cached: every predict asks for the same grid (scipy's ppf is slow)."""
    return float(stats.norm.ppf(q))


def _robust_fallback(y: np.ndarray, h: int, qs: list[float], season_length: int) -> Forecast:
    """Random walk (seasonal when there is a full season) with residual-scaled Gaussian intervals."""
    m = season_length if season_length > 1 and y.size >= 2 * season_length else 1
    if y.size > m:
        base = y[-m:]
        mean = np.array([base[i % m] for i in range(h)], dtype=float)
        resid = y[m:] - y[:-m]
        sigma = float(np.sqrt(np.mean(resid**2))) if resid.size else 0.0
    else:
        mean = np.full(h, y[-1])
        sigma = float(np.std(y)) if y.size > 1 else abs(float(y[-1])) * 0.1
    steps = np.arange(1, h + 1)
    sd = sigma * np.sqrt(np.ceil(steps / m))
    method = "seasonal_naive" if m > 1 else "naive"
    return Forecast(mean=mean, quantiles=gaussian_quantiles(mean, sd, qs), method=method)


def seasonal_strength(y: np.ndarray, m: int) -> float:
    """Hyndman's STL seasonal strength in [0, 1]; 0 when there are fewer than two full seasons.

    Shared by families that decide seasonality with a test (ARIMA's D, ETS's stepwise search, Theta).
    """
    if m <= 1 or y.size < 2 * m + 1 or np.ptp(y) == 0:
        return 0.0
    from statsmodels.tsa.seasonal import STL

    res = STL(y, period=m, robust=False).fit()
    remainder = np.asarray(res.resid)
    denom = float(np.var(np.asarray(res.seasonal) + remainder))
    return 0.0 if denom <= 0 else max(0.0, 1.0 - float(np.var(remainder)) / denom)
