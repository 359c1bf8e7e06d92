"""Regression on exogenous drivers with ARIMA errors (SARIMAX with exog), for the scenario engine.

Why these choices
- The error order comes from the same capped stepwise AICc search as ``arima`` (smaller caps: the
  drivers already explain most of the signal, and the scenario engine fits many driver sets); d is
  chosen on the OLS residuals, as ``auto.arima`` does with ``xreg``.
- ``coefficients_``/``bse_`` are the driver coefficients and standard errors (numerical Hessian at
  the searched parameters), in X's column order. With ``log=True`` y and X are logged first, so the
  coefficients are elasticities; forecasts are back-transformed with the lognormal mean correction
  ``exp(mu + s^2/2)``, and quantiles exactly (``exp`` of the log-scale quantiles).
- Without X it is a plain ARIMA with an empty coefficient vector.
- State stores the specification and parameters; ``from_state`` re-filters, no search.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.arima import Spec, arima_quantiles, final_results, search
from models.base import Capabilities, Forecast, Forecaster, ModelError, gaussian_quantiles, register


@register
class RegressionARIMA(Forecaster):
    name = "regression_arima"
    capabilities = Capabilities(exogenous=True, min_length=6, seasonal=True)

    @property
    def log(self) -> bool:
        return bool(self.params.get("log", False))

    def _validate(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if self.log and (np.min(y) <= 0 or (X is not None and np.min(X) <= 0)):
            raise ModelError("regression_arima: log=True needs strictly positive y and X")

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        ly, lX = (np.log(y), None if X is None else np.log(X)) if self.log else (y, X)
        if np.ptp(ly) == 0 and X is None:
            raise ValueError("constant series without drivers")
        self.spec_, self.fitted_params_ = search(
            ly,
            lX,
            m=self.season_length,
            max_p=int(self.params.get("max_p", 2)),
            max_q=int(self.params.get("max_q", 2)),
            max_fits=int(self.params.get("max_fits", 8)),
        )
        self._finish(ly, lX)

    def _finish(self, ly: np.ndarray, lX: np.ndarray | None) -> None:
        self.res_ = final_results(ly, lX, self.spec_, self.fitted_params_, cov=True)
        model = self.res_.model
        names = list(model.exog_names or []) if lX is not None else []
        idx = [model.param_names.index(n) for n in names]
        params = np.asarray(self.res_.params, dtype=float)
        try:
            cov = np.asarray(self.res_.cov_params(), dtype=float)
            bse = np.sqrt(np.clip(np.diag(cov)[idx], 0.0, None))
        except Exception:  # standard errors are informative, never a reason to fail the fit
            bse = np.full(len(idx), np.nan)
        self.coefficients_ = params[idx]
        self.bse_ = bse

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        if self.log and X is not None and np.min(X) <= 0:
            raise ModelError("regression_arima: log=True needs strictly positive future X")
        lX = None if X is None else (np.log(X) if self.log else X)
        mean, sd, qs = arima_quantiles(self.res_, h, lX, quantiles)
        if self.log:
            qs = {q: np.exp(v) for q, v in gaussian_quantiles(mean, sd, quantiles).items()}
            mean = np.exp(mean + sd**2 / 2)
        return Forecast(mean, qs, method="regression_" + self.spec_.label() + ("[log]" if self.log else ""))

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.fallback_ is None and getattr(self, "res_", None) is not None:
            state["spec"] = self.spec_.to_json()
            state["fitted_params"] = self.fitted_params_.tolist()
        return state

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> RegressionARIMA:
        if "spec" not in state:
            return super()._restore(state)  # type: ignore[return-value]
        model = cls(state["season_length"], state["seed"], state["non_negative"], **state.get("params", {}))
        model._restored(state)
        model.spec_ = Spec.from_json(state["spec"])
        model.fitted_params_ = np.asarray(state["fitted_params"], dtype=float)
        y, X = model.y_, model.X_
        model._finish(np.log(y) if model.log else y, None if X is None else (np.log(X) if model.log else X))
        return model
