"""What every stage of one scenario projection reads: the plan, the states so far and the seeded draws.

Why its own module: link transmission (``transmitted``), tree projection (``trees``) and macro conditioning
(``conditioning``) draw the same baseline draws, link coefficients and exchange-rate path from the same
seeds, so draw k of a series is the same world in every stage that reads it.
"""

from __future__ import annotations

import numpy as np

from forecasting.scenarios.index import BundleIndex, LinkSpec, rng_for
from forecasting.scenarios.state import State
from forecasting.scenarios.validate import Plan, driver_series

TINY = 1e-12


class ProjectionInputs:
    """One projection's plan and draws, and the states filled in dependency order (what
    ``conditioning.Context`` describes)."""

    def __init__(self, index: BundleIndex, plan: Plan, seed: int, n: int) -> None:
        self.index, self.plan, self.seed, self.n = index, plan, seed, n
        self.states: dict[str, State] = {}
        self.rate_rel, self.rate_years = self._rate_path()

    # ---- the exchange rate ------------------------------------------------------------------------
    def _rate_path(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        p = self.plan.rate
        if p is None or self.index.rate is None:
            return None, None
        s = driver_series(self.index, p.sid)
        assert s is not None
        return p.rel, np.array([int(x) for x in s.periods])

    def rates(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """US$ per GBP for ``years``: baseline and scenario, central (h,) and draws (n, h)."""
        r = self.index.rate
        assert r is not None
        base = r.baseline(years)
        base_d = r.draws(years, rng_for(self.seed, "rate"), self.n)
        rel = np.zeros(len(years))
        if self.rate_rel is not None and self.rate_years is not None:
            pos = {int(y): i for i, y in enumerate(self.rate_years)}
            rel = np.array([self.rate_rel[pos[int(y)]] if int(y) in pos else 0.0 for y in years])
        return base, base * (1 + rel), base_d, base_d * (1 + rel)

    # ---- helpers --------------------------------------------------------------------------------------
    def bdraw(self, sid: str) -> np.ndarray:
        return self.index.baseline_draws(sid, self.seed, self.n)

    def coef_draws(self, link: LinkSpec) -> np.ndarray:
        if link.se <= 0:
            return np.full(self.n, link.coefficient)
        rng = rng_for(self.seed, "link", link.target, link.driver)
        return link.coefficient + link.se * rng.standard_normal(self.n)

    def rel_of(self, sid: str, st: State) -> tuple[np.ndarray, np.ndarray]:
        """A driver's relative deviation: central (h,) against its point baseline, draws against the
        same draw's baseline (so a path's r stays r in every draw)."""
        s = self.index.series[sid]
        hd = len(st.central)
        b = s.mean[:hd]
        rel = np.divide(st.central, b, out=np.zeros(hd), where=np.abs(b) > TINY)
        if st.draws is None:
            return rel, np.broadcast_to(rel, (self.n, hd))
        bd = self.bdraw(sid)[:, :hd]
        ok = np.abs(bd) > 1e-9 * np.maximum(np.abs(b), TINY)
        rd = np.where(ok, st.draws / np.where(ok, bd, 1.0), rel)
        return rel, rd
