"""Forecast combination: equal-weight mean or median of member forecasts, quantiles Vincentised.

Why: simple combinations (e.g. SES/Holt/Damped, ETS+Theta) are among the most reliable forecasters on
short annual and quarterly data (M4's "Comb" benchmark). Quantiles are combined level by level
(quantile averaging), which keeps them monotone and is better calibrated than pooling.

Each member is a full ``Forecaster`` with its own guards and fallback; the combination is marked as a
fallback only when every member fell back. ``method`` names the members, e.g. ``combo(ets,theta)``.
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
        return make(name, season_length=self.season_length, seed=self.seed, non_negative=self.non_negative)

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
