"""One row of the transmission table: a (target, driver) link with its coefficient, se and interval.

Why its own module: every estimator (``identities``, ``pooled``, ``elasticities``, the macro block's rows)
returns these, and ``transmission`` turns them into the bundle's table (``registry.schema.TRANSMISSION_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

from forecasting.registry.schema import TRANSMISSION_COLUMNS

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Link:
    """One (target, driver) link: its effective (shrunk) coefficient and se, and its own estimate."""

    target_id: str
    driver_id: str
    form: str
    coefficient: float
    se: float
    model: str
    n_obs: int
    note: str
    elasticity: float | None = None
    used: bool = False
    conversion: str = ""
    pooled: str = ""
    dof: int | None = None  # Student t degrees of freedom for the interval; None: normal
    identity: bool = False  # exact by accounting (no uncertainty at all)
    ci: tuple[float, float] | None = None  # an interval from draws (macro block), else +- t se
    own: tuple[float, float] | None = None  # the link's own estimate and se before shrinkage
    weight: float = 1.0  # weight on its own data: tau^2 / (tau^2 + se^2) (1: not shrunk, 0: the prior)

    @property
    def interval(self) -> tuple[float, float]:
        if self.ci is not None:
            return self.ci
        half = self.half_width
        return self.coefficient - half, self.coefficient + half

    @property
    def half_width(self) -> float:
        if self.identity or not self.se > 0:
            return 0.0
        crit = float(stats.t.ppf(0.975, self.dof)) if self.dof else Z95
        return crit * self.se

    def row(self) -> dict[str, object]:
        lo, hi = self.interval
        own_b, own_se = self.own if self.own is not None else (self.coefficient, self.se)
        values = {
            "target_id": self.target_id,
            "driver_id": self.driver_id,
            "elasticity": float(self.coefficient if self.elasticity is None else self.elasticity),
            "se": float(self.se),
            "ci_lo": float(lo),
            "ci_hi": float(hi),
            "model": self.model,
            "n_obs": int(self.n_obs),
            "used": bool(self.used),
            "note": self.note,
            "form": self.form,
            "coefficient": float(self.coefficient),
            "conversion": self.conversion,
            "pooled": self.pooled,
            "own_coefficient": float(own_b),
            "own_se": float(own_se),
            "weight": float(self.weight),
        }
        return {c: values[c] for c in TRANSMISSION_COLUMNS}  # the table's one column list, in its order
