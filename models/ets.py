"""Automatic exponential smoothing (statsmodels ``ETSModel``) selected by AICc.

Why these choices
- Candidates: error add (mul only for strictly positive data), trend none/add/add-damped, season
  none/add (mul only for positive data, and never with additive error: Hyndman's "restricted" set,
  whose variance can be infinite). Very short series (n < 8) get no damping and no season; a
  candidate whose AICc is undefined (n <= k + 1) is never fitted.
- ``search="stepwise"`` (default) walks the set greedily (trend, then season, then error: 4-6 fits
  instead of up to 15) because this model runs on ~1,000 series x several backtest windows;
  ``search="full"`` fits every candidate. On tourism data (MASE, h=4/8) stepwise vs full: yearly
  3.05 vs 3.07 (200 series), quarterly 1.54 vs 1.51 (150 series), at about a third of the time.
- Looser L-BFGS tolerances (``factr``/``pgtol``) cut the fits by about a third with AICc unchanged
  to two decimals.
- Intervals: the analytic variance for the linear models (ANN, AAN, AAdN, ANA, AAA, AAdA), otherwise
  ``simulations`` sample paths drawn with ``seed`` (deterministic).
- State stores the chosen specification and parameters; ``from_state`` re-smooths with them (one
  pass, no optimisation), which is exactly what ``fit`` returns.
- ``spec`` (what ``pinned()`` returns: error, trend, damped, season) fits that one candidate instead
  of searching: a backtest searches at its earliest origin only. A specification the history cannot
  take (multiplicative parts once a value is <= 0, a season without the data for one) is searched.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, gaussian_quantiles, register, seasonal_strength

_EXACT = {"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA"}
_FIT_OPTIONS = {"disp": False, "maxiter": 200, "factr": 1e10, "pgtol": 1e-4}

Spec = tuple[str, str | None, bool, str | None]  # error, trend, damped, seasonal


def _model(y: np.ndarray, spec: Spec, m: int) -> Any:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    error, trend, damped, seasonal = spec
    return ETSModel(
        y,
        error=error,
        trend=trend,
        damped_trend=damped,
        seasonal=seasonal,
        seasonal_periods=m if seasonal else None,
    )


def _as_spec(value: Any) -> Spec:
    """A pinned specification as stored (JSON list) back to the tuple the search keys on."""
    error, trend, damped, seasonal = value
    return (
        str(error),
        None if trend is None else str(trend),
        bool(damped),
        None if seasonal is None else str(seasonal),
    )


@register
class ETS(Forecaster):
    name = "ets"
    capabilities = Capabilities(min_length=5, seasonal=True, stochastic=True)  # n=4: no AICc

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        n, m = y.size, self.season_length
        self.positive_ = bool(np.min(y) > 0)
        self.m_ = m if m > 1 and n >= 8 and n >= 2 * m + 3 else 1
        self.tried_: dict[Spec, float] = {}
        self._results: dict[Spec, Any] = {}
        pinned = None if self.params.get("spec") is None else _as_spec(self.params["spec"])
        # a pinned specification gets the search's own fit of that candidate; one this history cannot
        # take (or whose fit fails) is searched afresh
        if pinned is None or not self._takes(pinned) or not np.isfinite(self._aicc(y, pinned)):
            if self.params.get("search", "stepwise") == "full":
                self._full(y)
            else:
                self._stepwise(y)
        fitted = {s: a for s, a in self.tried_.items() if np.isfinite(a)}
        if not fitted:
            raise ValueError("no ETS candidate could be fitted")
        self.spec_ = min(fitted, key=fitted.get)
        model, params = self._results[self.spec_]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.res_ = model.smooth(params)  # what ``ETSModel.fit`` returns, built for the chosen one only
        self._results = {}

    def _takes(self, spec: Spec) -> bool:
        """Whether this history can take a pinned specification (positive data for multiplicative
        parts, a season's worth of data for a seasonal one): else the search runs instead."""
        error, _, _, seasonal = spec
        positive_ok = self.positive_ or (error != "mul" and seasonal != "mul")
        return positive_ok and (seasonal is None or self.m_ > 1)

    def _pinned(self) -> dict[str, Any]:
        return {"spec": list(self.spec_)}

    def _aicc(self, y: np.ndarray, spec: Spec) -> float:
        """AICc of one candidate, as ``ETSModel.fit(...).aicc`` computes it (``llf``, ``nobs``, ``k_params
        + 1``) but from ``return_params``: the results object fit builds for every candidate computes a
        numerical covariance matrix (~30% of the search) that only the chosen one needs, and not even it."""
        from statsmodels.tools import eval_measures

        if spec in self.tried_:
            return self.tried_[spec]
        model = _model(y, spec, self.m_)
        aicc = np.inf
        if y.size - (model.k_params + 1) - 1 >= 1:  # AICc defined
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    params = model.fit(return_params=True, **_FIT_OPTIONS)
                    aicc = float(eval_measures.aicc(model.loglike(params), y.size, model.k_params + 1))
                if np.isfinite(aicc):
                    self._results[spec] = (model, params)
            except Exception:  # a candidate that cannot be fitted is simply not chosen
                aicc = np.inf
        self.tried_[spec] = aicc
        return aicc

    def _trends(self, n: int) -> list[tuple[str | None, bool]]:
        damped = n >= 8 and self.params.get("damped", True)
        return [(None, False), ("add", False)] + ([("add", True)] if damped else [])

    def _full(self, y: np.ndarray) -> None:
        errors = ["add", "mul"] if self.positive_ else ["add"]
        seasons: list[str | None] = [None]
        if self.m_ > 1:
            seasons += ["add", "mul"] if self.positive_ else ["add"]
        for error in errors:
            for trend, damped in self._trends(y.size):
                for seasonal in seasons:
                    if not (error == "add" and seasonal == "mul"):
                        self._aicc(y, (error, trend, damped, seasonal))

    def _stepwise(self, y: np.ndarray) -> None:
        best = self._best(y, [("add", t, d, None) for t, d in self._trends(y.size)[:2]])
        if best[1] is not None and len(self._trends(y.size)) > 2:
            best = self._best(y, [best, ("add", "add", True, None)])
        _, trend, damped, _ = best
        if self.m_ > 1 and seasonal_strength(y, self.m_) > 0.3:
            best = self._best(y, [best, ("add", trend, damped, "add")])
        if self.positive_:
            seasonal = best[3]
            options = [best, ("mul", trend, damped, seasonal)]
            if seasonal == "add":
                options.append(("mul", trend, damped, "mul"))
            best = self._best(y, options)

    def _best(self, y: np.ndarray, specs: list[Spec]) -> Spec:
        return min(specs, key=lambda s: self._aicc(y, s))

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        res = self.res_
        mean = np.asarray(res.forecast(h), dtype=float)
        if res.model.short_name in _EXACT:
            var = res.mse * res._relative_forecast_variance(np.arange(1, h + 1))
            qs = gaussian_quantiles(mean, np.sqrt(np.maximum(var, 0.0)), quantiles)
        else:
            reps = int(self.params.get("simulations", 1000))
            rng = np.random.default_rng(self.seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths = np.asarray(
                    res.simulate(h, anchor="end", repetitions=reps, rng=rng), dtype=float
                ).reshape(h, reps)
            qs = {q: row for q, row in zip(quantiles, np.quantile(paths, quantiles, axis=1), strict=True)}
        return Forecast(mean, qs, method=f"ets({res.model.short_name})")

    # ---- state: the chosen specification and its parameters, re-smoothed on load ----------------
    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.fallback_ is None and getattr(self, "res_", None) is not None:
            state["spec"] = list(self.spec_)
            state["m"] = self.m_
            state["fitted_params"] = np.asarray(self.res_.params, dtype=float).tolist()
        return state

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> ETS:
        if "spec" not in state:
            return super()._restore(state)  # type: ignore[return-value]
        model = cls(state["season_length"], state["seed"], state["non_negative"], **state.get("params", {}))
        model._restored(state)
        model.m_ = int(state["m"])
        model.spec_ = tuple(state["spec"])  # type: ignore[assignment]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.res_ = _model(model.y_, model.spec_, model.m_).smooth(np.asarray(state["fitted_params"]))
        return model
