"""What every metric's compute function is given: inputs, catalogue, reference years and shared pieces.

Why a context object: metrics share expensive intermediate results (the BRES employment base, the FDI
apportionment key, the forecast bundle) and depend on each other (scenario downside reads the forecast
metric). The context computes each once, on demand, through the registry; a Monte Carlo input replicate is
a new context over perturbed inputs that keeps the reference years, bundle and row structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.scorecards.catalogue import Catalogue, InputSpec, ScorecardError
from forecasting.scorecards.employment import EmploymentBase, employment_base
from forecasting.scorecards.inputs import Inputs
from forecasting.scorecards.registry import Registry
from forecasting.scorecards.result import MetricResult, unavailable


@dataclass(frozen=True)
class ReferenceYear:
    """One reference year per family, and the years each of its measures holds (calendar / observed)."""

    family: str
    label: str
    year: int | None
    rule: str
    held: dict[str, list[int]]
    conversions: list[str]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "label": self.label,
            "year": self.year,
            "rule": self.rule,
            "held": self.held,
            "conversions": self.conversions,
            "note": self.note,
        }


def calendar_years(df: pd.DataFrame, spec: InputSpec) -> set[int]:
    """Calendar (observed) years a measure can supply: financial years need both neighbours."""
    years = {int(y) for y in pd.to_datetime(df["period"]).dt.year.unique()}
    if spec.year_basis == "financial_april":
        return {y for y in years if y - 1 in years}
    if spec.year_basis == "cohort":
        return {y + spec.observed_lag for y in years}
    return years


def to_calendar(df: pd.DataFrame, spec: InputSpec, year: int) -> pd.DataFrame:
    """Rows for calendar/observed ``year``: FY (Apr-Mar) values become 1/4 FY(y-1) + 3/4 FY(y).

    Why 1/4 and 3/4: calendar year y holds January-March of FY y-1/y and April-December of FY y/y+1.
    Cohort measures (n-year survival, dated by birth year) are taken from the cohort observed in ``year``.
    """
    if spec.year_basis == "financial_april":
        keys = ["geography", "cluster"]
        a = df[df["period"].dt.year == year - 1].set_index(keys)
        b = df[df["period"].dt.year == year].set_index(keys)
        common = a.index.intersection(b.index)
        out = b.loc[common].copy()
        out["value"] = 0.25 * a.loc[common, "value"] + 0.75 * b.loc[common, "value"]
        out["period"] = pd.Timestamp(f"{year}-01-01")
        return out.reset_index()
    if spec.year_basis == "cohort":
        return df[df["period"].dt.year == year - spec.observed_lag]
    return df[df["period"].dt.year == year]


def reference_years(inp: Inputs, cat: Catalogue) -> dict[str, ReferenceYear]:
    """The reference year of every family (see catalogue.toml for the rules).

    ``latest_common``: the latest year every *held* measure of the family can supply; a measure the
    warehouse does not hold at all does not block the others (its metrics are unavailable instead).
    """
    out = {}
    for fam_id, fam in cat.families.items():
        held: dict[str, list[int]] = {}
        conv = []
        for m in fam.measures:
            df = inp.get(m)
            spec = cat.input(m)
            held[m] = sorted(calendar_years(df, spec)) if not df.empty else []
            if spec.year_basis == "financial_april":
                conv.append(f"{m}: April-March financial years converted to calendar years (1/4 + 3/4)")
            elif spec.year_basis == "cohort":
                conv.append(f"{m}: birth cohort dated by the year observed ({spec.observed_lag} years later)")
        year: int | None = None
        present = [set(v) for v in held.values() if v]  # a measure not held leaves its metrics unavailable
        if fam.reference_year == "latest_common" and present:
            common = set.intersection(*present)
            year = max(common) if common else None
        elif fam.reference_year == "list":
            years = [max(v) for v in held.values() if v]
            year = max(years) if years else None
        out[fam_id] = ReferenceYear(fam_id, fam.label, year, fam.reference_year, held, conv, fam.note)
    return out


@dataclass
class MetricContext:
    inp: Inputs
    catalogue: Catalogue
    registry: Registry
    info: Any | None  # forecast_metrics.BundleInfo (the champion bundle) or None
    years: dict[str, ReferenceYear]
    _memo: dict[str, Any] = field(default_factory=dict)
    _results: dict[str, MetricResult] = field(default_factory=dict)
    _computing: set[str] = field(default_factory=set)

    @property
    def clusters(self) -> list[str]:
        return self.inp.cluster_ids

    def year(self, family: str) -> int:
        ry = self.years.get(family)
        if ry is None or ry.year is None:
            raise ScorecardError(f"no reference year for family {family!r}: its measures share no year")
        return ry.year

    def has_year(self, family: str) -> bool:
        ry = self.years.get(family)
        return ry is not None and ry.year is not None

    def cached(self, key: str, build: Any) -> Any:
        """A shared intermediate (employment base, FDI key ...) computed once per context."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def stable(self, key: str, measures: list[str], build: Any) -> Any:
        """Like ``cached``, but shared with every replicate when none of ``measures`` is perturbed."""
        if set(measures) & set(self.catalogue.perturbed_measures()):
            return self.cached(key, build)
        return self.inp.cached(key, build)

    @property
    def base(self) -> EmploymentBase:
        measure = self.catalogue.shared["employment"]

        def build() -> EmploymentBase:
            if not self.has_year("structure"):
                raise ScorecardError(
                    "the warehouse holds no year with BRES employment, business counts and GVA by industry: "
                    "run `invest data ingest` first"
                )
            b = employment_base(self.inp, measure, self.year("structure"))
            if b is None:
                raise ScorecardError(
                    "the warehouse holds no BRES cluster employment: run `invest data ingest` first"
                )
            return b

        return self.cached("employment-base", build)

    def result(self, metric_id: str) -> MetricResult:
        """The metric's result, computed once through its registered function."""
        if metric_id not in self._results:
            if metric_id in self._computing:
                raise ScorecardError(f"metric {metric_id!r} depends on itself")
            self._computing.add(metric_id)
            try:
                spec = self.catalogue.get(metric_id)
                ry = self.years.get(spec.family)
                if ry is not None and ry.rule != "horizon" and ry.year is None:
                    held = [m for m, years in ry.held.items() if years]
                    why = (
                        f"the warehouse holds no {ry.label.lower()} data"
                        if not held
                        else (f"the {ry.label.lower()} measures share no year")
                    )
                    r = unavailable(metric_id, self.clusters, why)
                else:
                    r = self.registry[metric_id](self, spec)
                r.metric = metric_id
                self._results[metric_id] = r.conform(self.clusters)
            finally:
                self._computing.discard(metric_id)
        return self._results[metric_id]

    def compute(self, metric_ids: list[str] | None = None) -> dict[str, MetricResult]:
        ids = metric_ids if metric_ids is not None else self.catalogue.ids
        return {m: self.result(m) for m in ids}

    def replicate(self, inp: Inputs) -> MetricContext:
        """The same catalogue, years and bundle over perturbed inputs (fresh results)."""
        return MetricContext(inp, self.catalogue, self.registry, self.info, self.years)
