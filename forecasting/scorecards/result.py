"""What a metric's compute function returns: values per cluster with benchmark, provenance and details.

Why ``details`` and not a note: the build returns data only; the catalogue's ``method`` text is filled from
these details by the document and report layer, so prose lives in one place (the catalogue) and a number in
it always comes from the computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SYNTHETIC_SOURCE = "synthetic"


@dataclass
class Provenance:
    sources: list[str]
    vintage: str | None
    synthetic: bool


@dataclass
class MetricResult:
    """One metric for every cluster: values, benchmark, provenance; quantiles for forecast metrics.

    ``synthetic`` says, per cluster, whether the value was built from synthetic (demo) rows: such values are
    never scored, ranked or starred, only shown in the licensed data preview.
    """

    metric: str
    values: pd.Series
    benchmark: pd.Series
    period: str
    sources: list[str]
    vintage: str | None
    synthetic: pd.Series | None = None
    available: bool = True
    reason: str = ""  # why unavailable (data), shown by the report
    details: dict[str, Any] = field(default_factory=dict)
    quantiles: pd.DataFrame | None = None  # clusters x quantile levels (forecast metrics)
    draw_groups: pd.Series | None = None  # cluster -> group id: clusters in a group share a forecast draw
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.synthetic is None:
            self.synthetic = pd.Series(False, index=self.values.index)

    @property
    def is_synthetic(self) -> bool:
        return bool(self.synthetic.any())

    def is_synthetic_for(self, cluster: str) -> bool:
        return bool(self.synthetic.get(cluster, False))

    def conform(self, clusters: list[str]) -> MetricResult:
        """Values, benchmark and flags indexed by ``clusters`` as floats/bools."""
        self.values = pd.Series(self.values, dtype=float).reindex(clusters)
        self.benchmark = pd.Series(self.benchmark, dtype=float).reindex(clusters)
        self.synthetic = (
            pd.Series(self.synthetic, dtype=bool).reindex(clusters, fill_value=False).astype(bool)
        )
        return self


def unavailable(metric: str, clusters: list[str], reason: str) -> MetricResult:
    nan = pd.Series(np.nan, index=clusters, dtype=float)
    return MetricResult(metric, nan, nan.copy(), "", [], None, available=False, reason=reason)


def provenance(*frames: pd.DataFrame | None) -> Provenance:
    """Sources, latest vintage and synthetic flag of the rows a value was built from."""
    rows = [f for f in frames if f is not None and not f.empty]
    if not rows:
        return Provenance([], None, False)
    df = pd.concat([f[["source", "vintage", "is_synthetic"]] for f in rows])
    return Provenance(
        sorted(set(df["source"].astype(str))), str(df["vintage"].max()), bool(df["is_synthetic"].any())
    )


def merge_provenance(*provs: Provenance) -> Provenance:
    vint = [p.vintage for p in provs if p.vintage]
    return Provenance(
        sorted({s for p in provs for s in p.sources}),
        max(vint) if vint else None,
        any(p.synthetic for p in provs),
    )


def year_of(ts: Any) -> int:
    return int(pd.Timestamp(ts).year)
