"""statsforecast's AutoETS, AutoTheta and AutoARIMA behind the engine's ``Forecaster`` interface.

Why: statsforecast's numba implementations are the peers the benchmarks measure us against, and on the
tourism data its AutoETS and AutoTheta are both faster (annual: ~2 ms vs 7-8 ms per fit) and more
accurate (yearly MASE 2.79 and 2.59 against 2.94 and 2.73) than the statsmodels-based ``ets`` and
``theta`` families, which stay as they are for configurations that name them. ``arima_sf`` is here for
comparison; on these series our ``arima`` is about twice as fast.

- Intervals: statsforecast's own 80% interval gives the spread per step (Gaussian, ``sd = (hi - lo) /
  (2 z_0.9)``), and every requested quantile is drawn from it; ``auto`` replaces them with calibrated ones.
- AutoETS refuses very short series (n <= 6 without season): those get the robust fallback (naive), as
  any family below its ``min_length`` does.
- Fits are deterministic (AutoTheta's interval simulation is seeded inside statsforecast), so the JSON
  state is the history and ``from_state`` refits: a few milliseconds.
- ``spec`` (what ``pinned()`` returns after a fit: the ETS components, the Theta variant, the ARIMA
  orders and constant terms) refits that one specification instead of searching: a backtest searches
  at its earliest origin only. Fixed fits cost a fraction of the search (quarterly, one series: AutoETS
  ~35 ms vs ~3 ms, AutoTheta ~4.4 vs ~1.5 ms, AutoARIMA ~410 vs ~10 ms). A pinned specification the
  history cannot take (e.g. multiplicative errors once a value is 0) is searched afresh instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, _z, gaussian_quantiles, register


class _StatsForecast(Forecaster):
    """One statsforecast model class per subclass (``sf_class``)."""

    sf_class: ClassVar[str] = ""

    def _model(self) -> Any:
        import statsforecast.models as sfm

        return getattr(sfm, self.sf_class)(season_length=max(1, self.season_length))

    def _fixed(self, spec: Any) -> Any:
        """The statsforecast model of one pinned specification (families with ``_pinned`` override)."""
        raise NotImplementedError(f"{self.name} has no fixed specification")

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        self.constant_ = bool(np.ptp(y) == 0)
        if self.constant_:  # statsforecast divides by the spread: a flat history forecasts itself
            return
        spec = self.params.get("spec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fixed = None if spec is None else (lambda: self._fixed(spec))
            self.model_ = fit_pinned(fixed, self._model, y)

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        if self.constant_:
            mean = np.full(h, self.y_[-1])
            return Forecast(mean, {q: mean.copy() for q in quantiles}, method=f"{self.name}(constant)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self._forecast80(h)
        mean = np.asarray(res["mean"], dtype=float)
        spread = np.asarray(res["hi-80"], dtype=float) - np.asarray(res["lo-80"], dtype=float)
        sd = np.maximum(spread, 0.0) / (2 * _z(0.9))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles), method=self._label())

    def _forecast80(self, h: int) -> dict[str, np.ndarray]:
        """statsforecast's ``predict(h, level=[80])`` (families may compute the same faster)."""
        return self.model_.predict(h, level=[80])

    def _label(self) -> str:
        return self.name


def fit_pinned(fixed: Callable[[], Any] | None, search: Callable[[], Any], y: np.ndarray) -> Any:
    """The fitted statsforecast model of a pinned specification (``fixed()``) when there is one and the
    history takes it, else of the search (``search()``): a spec found at an earlier origin may not suit a
    later history (multiplicative errors once a value is 0). Shared with the vectorised path."""
    if fixed is not None:
        try:
            return fixed().fit(y)
        except Exception:  # the pinned specification does not suit this history: search
            pass
    return search().fit(y)


def ets_spec_kwargs(spec: Any) -> dict[str, Any]:
    """AutoETS arguments of a pinned ``components`` string (error, trend, season, D(amped)/N)."""
    spec = str(spec)
    return {"model": spec[:3], "damped": spec[3] == "D"}


@register
class ETSsf(_StatsForecast):
    name = "ets_sf"
    sf_class = "AutoETS"
    capabilities = Capabilities(min_length=7, seasonal=True)  # AutoETS: "tiny datasets" below 7

    def _label(self) -> str:
        return f"ets_sf({self.model_.model_.get('method', '')})"

    def _pinned(self) -> dict[str, Any]:
        if self.constant_:
            return {}
        return {"spec": str(self.model_.model_["components"])}  # error, trend, season, D(amped)/N

    def _fixed(self, spec: Any) -> Any:
        import statsforecast.models as sfm

        return sfm.AutoETS(season_length=max(1, self.season_length), **ets_spec_kwargs(spec))

    def _forecast80(self, h: int) -> dict[str, np.ndarray]:
        memo_normal_quantiles()
        return super()._forecast80(h)


_MEMO_INSTALLED = False
_NORMAL_Z: dict[tuple[Any, ...], np.ndarray] = {}


def memo_normal_quantiles() -> None:
    """Make statsforecast's interval multiplier (``utils._quantiles``) reuse its normal z per level.

    Why: AutoETS's analytic intervals call it on every predict, and it builds a scipy frozen
    distribution each time (~6% of ``auto``'s training time) for the same ``z_0.9``. The normal case
    ignores ``dist_params``, so the memo returns a copy of exactly the array statsforecast computed the
    first time; any other distribution goes to the original function.
    """
    global _MEMO_INSTALLED
    if _MEMO_INSTALLED:
        return
    import statsforecast.utils as sfu

    original = sfu._quantiles

    def quantiles(level: Any, distribution: str = "normal", dist_params: Any = None) -> np.ndarray:
        if distribution != "normal":
            return original(level, distribution=distribution, dist_params=dist_params)
        arr = np.asarray(level)
        key = (arr.shape, arr.dtype.str, tuple(arr.ravel().tolist()))
        z = _NORMAL_Z.get(key)
        if z is None:
            z = _NORMAL_Z[key] = np.asarray(
                original(level, distribution=distribution, dist_params=dist_params)
            )
        return z.copy()

    sfu._quantiles = quantiles
    _MEMO_INSTALLED = True


@register
class ThetaSF(_StatsForecast):
    name = "theta_sf"
    sf_class = "AutoTheta"
    capabilities = Capabilities(min_length=4, seasonal=True)

    def _label(self) -> str:
        return f"theta_sf({self.model_.model_.get('modeltype', '')})"

    def _pinned(self) -> dict[str, Any]:
        if self.constant_:
            return {}
        return {"spec": str(self.model_.model_["modeltype"])}  # STM, OTM, DSTM or DOTM

    def _fixed(self, spec: Any) -> Any:
        import statsforecast.models as sfm

        return sfm.AutoTheta(season_length=max(1, self.season_length), model=str(spec))

    def _forecast80(self, h: int) -> dict[str, np.ndarray]:
        obj = self.model_.model_
        if obj.get("distribution", "normal") != "normal" or self.model_.prediction_intervals is not None:
            return super()._forecast80(h)
        return theta_forecast80(obj, h)


def theta_forecast80(obj: dict[str, Any], h: int) -> dict[str, np.ndarray]:
    """AutoTheta's mean and 80% interval, the same numbers as ``forecast_theta(obj, h, level=[80])``.

    Why: statsforecast draws each step's 200 normal errors through ``sample_errors``, which for the short
    series here (< 10 residuals) builds a scipy frozen distribution per step: ~13 ms of a ~14 ms predict,
    most of ``auto``'s time on short annual series. ``rng.normal(0, sigma, n)`` draws the same numbers
    (scipy's ``norm.rvs`` is ``loc + scale * standard_normal`` on the same generator), so this copy of
    ``compute_pi_samples`` keeps statsforecast's arithmetic and seed exactly (a test pins the two together).
    """
    from statsforecast.theta import forecast_theta
    from statsforecast.utils import _repeat_val_seas

    res = forecast_theta({**obj, "decompose": False}, h=h)
    n, alpha, theta = obj["n"], obj["par"]["alpha"], obj["par"]["theta"]
    tail = obj["residuals"][3:]
    sigma = np.std(tail, ddof=1) if len(tail) >= 2 else np.std(obj["residuals"], ddof=1)
    mean_y = obj["mean_y"]
    n_samples = 200
    samples = np.full((h, n_samples), fill_value=np.nan, dtype=np.float32)
    smoothed, _, A, B, _ = obj["states"][-1]
    rng = np.random.default_rng(0)
    for i in range(n, n + h):
        samples[i - n] = smoothed + (1 - 1 / theta) * (
            A * ((1 - alpha) ** i) + B * (1 - (1 - alpha) ** (i + 1)) / alpha
        )
        samples[i - n] += rng.normal(0, sigma, n_samples)
        smoothed = alpha * samples[i - n] + (1 - alpha) * smoothed
        mean_y = (i * mean_y + samples[i - n]) / (i + 1)
        B = ((i - 1) * B + 6 * (samples[i - n] - mean_y) / (i + 1)) / (i + 2)
        A = mean_y - B * (i + 2) / 2
    min_q = (100 - 80) / 200  # statsforecast's expressions, so the quantiles match to the bit
    res["lo-80"] = np.quantile(samples, min_q, axis=1)
    res["hi-80"] = np.quantile(samples, min_q + 80 / 100, axis=1)
    if obj.get("decompose", False):
        seas = _repeat_val_seas(obj["seas_forecast"]["mean"], h=h)
        for key in res:
            res[key] = res[key] * seas if obj["decomposition_type"] == "multiplicative" else res[key] + seas
    return res


@register
class ARIMAsf(_StatsForecast):
    name = "arima_sf"
    sf_class = "AutoARIMA"
    capabilities = Capabilities(min_length=4, seasonal=True)

    def _pinned(self) -> dict[str, Any]:
        if self.constant_:
            return {}
        p, q, P, Q, m, d, D = (int(v) for v in self.model_.model_["arma"])
        coef = self.model_.model_["coef"]
        return {"spec": [p, d, q, P, D, Q, m, int("intercept" in coef), int("drift" in coef)]}

    def _fixed(self, spec: Any) -> Any:
        import statsforecast.models as sfm

        p, d, q, P, D, Q, m, mean, drift = (int(v) for v in spec)
        return sfm.ARIMA(
            order=(p, d, q),
            season_length=max(1, m),
            seasonal_order=(P, D, Q) if m > 1 else (0, 0, 0),
            include_mean=bool(mean),
            include_drift=bool(drift),
        )
