"""Forecast combination: equal-weight mean or median of member forecasts, quantiles Vincentised.

Why: simple combinations (e.g. SES/Holt/Damped, ETS+Theta) are among the most reliable forecasters on
short annual and quarterly data (M4's "Comb" benchmark). Quantiles are combined level by level
(quantile averaging), which keeps them monotone and is better calibrated than pooling.

Each member is a full ``Forecaster`` with its own guards and fallback; the combination is marked as a
fallback only when every member fell back. ``method`` names the members, e.g. ``combo(ets,theta)``.
``pins`` (member name -> params, what ``pinned()`` returns) refits members' specifications unsearched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, ModelError, make, register


@register
class Combination(Forecaster):
    name = "combo"
    capabilities = Capabilities(min_length=1, seasonal=True, stochastic=True)

    def __init__(
        self, season_length: int = 1, seed: int = 0, non_negative: bool = False, **params: Any
    ) -> None:
        params.setdefault("members", ["ets", "theta"])
        params.setdefault("how", "mean")
        members = list(params["members"])
        if not members or "combo" in members:
            raise ModelError(f"combo: members must be a non-empty list of other models, got {members}")
        if params["how"] not in ("mean", "median"):
            raise ModelError(f"combo: how must be 'mean' or 'median', got {params['how']!r}")
        params["members"] = members
        super().__init__(season_length, seed, non_negative, **params)
        self.members_: list[Forecaster] = [self._member(name) for name in members]

    def _member(self, name: str) -> Forecaster:
        pins = dict(self.params.get("pins") or {}).get(name, {})  # a member's pinned specification
        return make(
            name, season_length=self.season_length, seed=self.seed, non_negative=self.non_negative, **pins
        )

    def _pinned(self) -> dict[str, Any]:
        """Each searching member's specification (``pins``: member name -> its ``pinned()``)."""
        pins = {n: p for n, m in zip(self.params["members"], self.members_, strict=True) if (p := m.pinned())}
        return {"pins": pins} if pins else {}

    @property
    def label(self) -> str:
        how = "" if self.params["how"] == "mean" else "median:"
        return f"combo({how}{','.join(self.params['members'])})"

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        for member in self.members_:
            member.fit(y)

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        fcs = [member.predict(h, quantiles=quantiles) for member in self.members_]
        agg = np.mean if self.params["how"] == "mean" else np.median
        mean = agg(np.vstack([f.mean for f in fcs]), axis=0)
        qs = {q: agg(np.vstack([f.quantiles[q] for f in fcs]), axis=0) for q in quantiles}
        reasons = [
            f"{name}: {f.fallback}" for name, f in zip(self.params["members"], fcs, strict=True) if f.fallback
        ]
        fallback = "; ".join(reasons) if len(reasons) == len(fcs) else None
        return Forecast(mean, qs, method=self.label, fallback=fallback)

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["members"] = [member.get_state() for member in self.members_]
        return state

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> Combination:
        if not state.get("members") or state.get("y") is None:
            return super()._restore(state)  # type: ignore[return-value]
        model = cls(state["season_length"], state["seed"], state["non_negative"], **state.get("params", {}))
        model._restored(state)
        model.members_ = [Forecaster.from_state(s) for s in state["members"]]
        return model


TREND_MEMBERS = ("drift", "theta_sf", "ets_sf")


def trend_weight(y: np.ndarray, c: float = 1.0) -> float:
    """``t^2 / (t^2 + c)`` for the t-statistic of the mean first difference (the drift) of ``y``.

    Why: with drift ``mu`` estimated with standard error ``s``, the forecast ``naive + phi * trend``
    has the lowest squared error at ``phi = mu^2 / (mu^2 + s^2)``; plugging in the estimates gives
    ``t^2 / (t^2 + 1)`` (``c = 1``). A trend that is not distinguishable from noise (FDI positions: a
    random walk) is mostly dropped, a steady one (GVA in current prices) is kept whole.
    """
    d = np.diff(np.asarray(y, dtype=float))
    if d.size < 2:
        return 0.0
    mu, sd = float(d.mean()), float(d.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mu)):
        return 1.0 if abs(mu) > 0 else 0.0
    t2 = mu * mu / (sd * sd / d.size)
    return t2 / (t2 + float(c))


@register
class ShrunkCombination(Combination):
    """Equal-weight mean of trend-capable members, shrunk toward ``anchor`` (naive) by trend evidence.

    ``forecast = anchor + w * (mean(members) - anchor)`` with ``w = trend_weight(y, c)``, for the mean
    and quantile by quantile (a convex combination of monotone quantiles stays monotone). Defaults:
    members drift, statsforecast's AutoTheta and AutoETS; anchor naive; ``c = 1``. The issue's finding
    "beating naive [on FDI positions] takes combinations shrunk toward it" is this model; on the tourism
    yearly data it sits between the best single models and sf's three-model mean.
    """

    name = "shrunk_combo"
    capabilities = Capabilities(min_length=1, seasonal=False, stochastic=True)

    def __init__(
        self, season_length: int = 1, seed: int = 0, non_negative: bool = False, **params: Any
    ) -> None:
        params.setdefault("members", list(TREND_MEMBERS))
        params.setdefault("anchor", "naive")
        params.setdefault("c", 1.0)
        params["how"] = "mean"
        if params["anchor"] in params["members"] or params["anchor"] == "combo":
            raise ModelError(f"shrunk_combo: anchor {params['anchor']!r} must not be a member")
        if float(params["c"]) < 0:
            raise ModelError(f"shrunk_combo: c must be >= 0, got {params['c']}")
        super().__init__(season_length, seed, non_negative, **params)
        self.anchor_: Forecaster = self._member(str(params["anchor"]))
        self.weight_ = 1.0

    @property
    def label(self) -> str:
        return f"shrunk_combo({','.join(self.params['members'])}|{self.params['anchor']})"

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        super()._fit(y, X)
        self.anchor_.fit(y)
        self.weight_ = trend_weight(y, float(self.params["c"]))

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        comb = super()._predict(h, X, quantiles)
        base = self.anchor_.predict(h, quantiles=quantiles)
        w = self.weight_
        mean = base.mean + w * (comb.mean - base.mean)
        qs = {q: base.quantiles[q] + w * (comb.quantiles[q] - base.quantiles[q]) for q in quantiles}
        return Forecast(mean, qs, method=self.label, fallback=comb.fallback if base.fallback else None)

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["anchor"] = self.anchor_.get_state()
        state["weight"] = self.weight_
        return state

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> ShrunkCombination:
        if not state.get("members") or state.get("y") is None or "anchor" not in state:
            return super()._restore(state)  # type: ignore[return-value]
        model = super()._restore(state)
        assert isinstance(model, ShrunkCombination)
        model.anchor_ = Forecaster.from_state(state["anchor"])
        model.weight_ = float(state["weight"])
        return model
