"""Forecast-based metrics: forward-looking investment growth per cluster from the champion bundle.

Why growth of a level against a recent base: the bundle stores forecast *levels* (quantiles per step), and
a scorecard needs a rate comparable across series of different sizes and frequencies. Growth is annualised
from the mean of the last year(s) of history (3 years for annual series, 4 quarters / 12 months otherwise)
to the forecast ``horizon_years`` ahead; a quantile of the level maps to the same quantile of growth
because the transformation is monotone.

Cluster relevance: the cluster's own (partner) series when the bundle forecasts it *from licensed data*;
a series the bundle flags synthetic is never used (a synthetic number never scores). Otherwise the East and
West Midlands series apportioned by the cluster's FDI-weighted employment (level quantiles added
comonotonically, which keeps the regions' common shocks together); otherwise the Midlands or UK total.
Series ids come from the catalogue's ``series`` templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.registry.contents import BundleContents
from forecasting.scorecards.catalogue import MetricSpec
from forecasting.scorecards.context import MetricContext
from forecasting.scorecards.metrics import fdi_shares
from forecasting.scorecards.registry import metric
from forecasting.scorecards.result import MetricResult, unavailable
from forecasting.vocabulary import QUANTILE_COLUMNS, SeriesId

QCOLS = list(QUANTILE_COLUMNS)
PPY = {"A": 1, "Q": 4, "M": 12}


@dataclass(frozen=True)
class BundleInfo:
    """The bundle plus the provenance every forecast number carries."""

    contents: BundleContents
    model_name: str | None
    model_version: str | None
    model_alias: str | None
    data_vintage: str | None

    @property
    def label(self) -> str:
        v = f" v{self.model_version}" if self.model_version else ""
        a = f" @{self.model_alias}" if self.model_alias else ""
        return f"{self.model_name or 'forecast bundle'}{v}{a}"

    def has(self, series_id: str) -> bool:
        return series_id in self._ids

    def is_synthetic(self, series_id: str) -> bool:
        return series_id in self._synthetic

    @cached_property
    def scenario_engine(self) -> Any:
        """The bundle's scenario engine (``forecasting.scenarios.project.ScenarioEngine``), built once per
        scorecard run however many scenarios are projected."""
        from forecasting.scenarios.project import ScenarioEngine

        return ScenarioEngine(self.contents)

    @cached_property
    def _ids(self) -> set[str]:
        return set(self.contents.forecasts["series_id"])

    @cached_property
    def _synthetic(self) -> set[str]:
        cat = self.contents.catalogue
        if "is_synthetic" not in cat:
            return set()
        return set(cat.loc[cat["is_synthetic"].astype(bool), "series_id"])


def bundle_info(bundle: object | None) -> BundleInfo | None:
    """Accept a ``LoadedBundle`` (contents + name/version) or bare ``BundleContents``."""
    if bundle is None:
        return None
    contents = getattr(bundle, "contents", bundle)
    if not isinstance(contents, BundleContents):
        raise TypeError(f"expected a LoadedBundle or BundleContents, got {type(bundle).__name__}")
    md = contents.metadata
    return BundleInfo(
        contents,
        getattr(bundle, "model_name", None) or md.model_name,
        getattr(bundle, "version", None) or md.model_version,
        getattr(bundle, "alias", None) or md.model_alias,
        md.data_vintage,
    )


@dataclass(frozen=True)
class LevelPath:
    """What growth needs from one series: base level, forecast level quantiles at the horizon, timing."""

    series_id: str
    base: float
    levels: np.ndarray  # one per QUANTILE_GRID
    years: float
    horizon_label: str
    is_synthetic: bool


def level_path(info: BundleInfo, series_id: str, horizon_years: int = 3) -> LevelPath | None:
    fc = info.contents.forecasts
    fc = fc[fc["series_id"] == series_id].sort_values("step")
    hist = info.contents.history
    hist = hist[hist["series_id"] == series_id].sort_values("period_start")
    if fc.empty or hist.empty or not set(QCOLS) <= set(fc.columns):
        return None
    ppy = PPY.get(SeriesId.parse(series_id).frequency, 1)
    k = 3 if ppy == 1 else ppy
    base = float(hist["value"].tail(k).mean())
    h = int(min(fc["step"].max(), horizon_years * ppy))
    row = fc[fc["step"] == h].iloc[0]
    return LevelPath(
        series_id,
        base,
        row[QCOLS].to_numpy(float),
        (h + (k - 1) / 2) / ppy,
        str(row["period"]),
        info.is_synthetic(series_id),
    )


def summed_path(
    info: BundleInfo, ids: list[str], label_id: str, horizon_years: int = 3
) -> tuple[LevelPath, pd.DataFrame] | None:
    """Several annual count series (a cluster's Local Authorities) added up, aligned by calendar year.

    Years a series does not report count as zero (partner lists only hold years with records). The
    forecast fan is the sum of each series' quantiles for the same year (comonotone: an upper bound on
    the spread); years some series cannot reach are dropped. Returns the path and the summed fan.
    """
    h = info.contents.history
    h = h[h["series_id"].isin(ids)]
    if h.empty:
        return None
    years = h["period_start"].dt.year
    last = int(years.max())
    per_year = h.groupby(years)["value"].sum()
    base = float(per_year.reindex(range(last - 2, last + 1), fill_value=0.0).mean())
    fc = info.contents.forecasts
    fc = fc[fc["series_id"].isin(set(h["series_id"]))].copy()
    fc["year"] = pd.to_datetime(fc["period_start"]).dt.year
    fc = fc[fc["year"] > last]
    n = h["series_id"].nunique()
    counts = fc.groupby("year")["series_id"].nunique()
    full = sorted(int(y) for y in counts[counts == n].index)
    if not full:
        return None
    fan = fc[fc["year"].isin(full)].groupby("year")[QCOLS].sum().sort_index()
    target = min(last + horizon_years, full[-1])
    syn = any(info.is_synthetic(i) for i in ids)
    path = LevelPath(label_id, base, fan.loc[target].to_numpy(float), target - last + 1.0, str(target), syn)
    out = fan.reset_index().rename(columns={"year": "period"})
    out["period"] = out["period"].astype(str)
    return path, out


def growth_from_levels(base: float | np.ndarray, levels: np.ndarray, years: float) -> np.ndarray:
    """Annualised % growth; a non-positive level or base gives NaN (growth undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(levels, float) / base
        out = (np.power(ratio, 1.0 / years) - 1.0) * 100.0
    return np.where(ratio > 0, out, np.nan)


def own_path(
    info: BundleInfo, spec: MetricSpec, cluster: str, lads: list[str], horizon: int
) -> LevelPath | None:
    """The cluster's own series (Midlands, or the sum of its Local Authorities) when licensed, else None."""
    mid = spec.series_id("own", geography="MID", cluster=cluster)
    if info.has(mid) and not info.is_synthetic(mid):
        return level_path(info, mid, horizon)
    lad_ids = [spec.series_id("own", geography=lad, cluster=cluster) for lad in lads]
    lad_ids = [i for i in lad_ids if info.has(i) and not info.is_synthetic(i)]
    if not lad_ids:
        return None
    summed = summed_path(info, lad_ids, mid, horizon)
    return summed[0] if summed else None


def _synthetic_own(info: BundleInfo, spec: MetricSpec, cluster: str, lads: list[str]) -> bool:
    ids = [spec.series_id("own", geography=g, cluster=cluster) for g in ["MID", *lads]]
    return any(info.has(i) and info.is_synthetic(i) for i in ids)


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _frame(clusters: list[str], rows: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        [rows.get(c, np.full(len(QCOLS), np.nan)) for c in clusters], index=clusters, columns=QCOLS
    )


def _forecast_growth(ctx: MetricContext, spec: MetricSpec) -> MetricResult:
    """Cluster forecast growth quantiles; see the module docstring for which series is used."""
    clusters, info = ctx.clusters, ctx.info
    if info is None:
        return unavailable(spec.id, clusters, "no champion forecast bundle: forecast metrics not computed")
    horizon = int(spec.param("horizon_years"))
    lads = ctx.inp.midlands_lads
    rows: dict[str, np.ndarray] = {}
    groups: dict[str, int] = {}
    used: dict[str, str] = {}
    horizon_label = ""
    skipped = [c for c in clusters if _synthetic_own(info, spec, c, lads)]
    for i, c in enumerate(clusters):
        p = own_path(info, spec, c, lads, horizon)
        if p is not None:
            rows[c] = growth_from_levels(p.base, p.levels, p.years)
            groups[c], used[c], horizon_label = 1000 + i, p.series_id, p.horizon_label
    n_own = len(rows)
    rest = [c for c in clusters if c not in rows]
    how = ""
    if rest and "regional" in spec.series:
        paths = {r: level_path(info, spec.series_id("regional", region=r), horizon) for r in MIDLANDS_ITL1}
        if all(paths.values()):
            shares, _, _ = fdi_shares(ctx)
            for c in rest:
                s = shares[c].reindex(list(MIDLANDS_ITL1)).fillna(0.0)
                base = sum(float(s[r]) * paths[r].base for r in MIDLANDS_ITL1)
                lv = sum(float(s[r]) * paths[r].levels for r in MIDLANDS_ITL1)
                rows[c] = growth_from_levels(base, lv, paths[MIDLANDS_ITL1[0]].years)
                groups[c] = 0
                used[c] = spec.series_id("regional", region="/".join(MIDLANDS_ITL1))
            horizon_label = paths[MIDLANDS_ITL1[0]].horizon_label
            how = (
                "the East and West Midlands FDI position forecasts apportioned by the cluster's FDI-weighted "
                "employment share of each region (quantiles added across regions)"
            )
        elif "midlands" in spec.series and (mid := level_path(info, spec.series_id("midlands"), horizon)):
            for c in rest:
                rows[c] = growth_from_levels(mid.base, mid.levels, mid.years)
                groups[c], used[c] = 0, mid.series_id
            horizon_label = mid.horizon_label
            how = "the Midlands total forecast (the same for every cluster)"
    elif rest and "uk" in spec.series and (p := level_path(info, spec.series_id("uk"), horizon)):
        for c in rest:
            rows[c] = growth_from_levels(p.base, p.levels, p.years)
            groups[c], used[c] = 0, p.series_id
        horizon_label = p.horizon_label
        how = f"the UK series {p.series_id} (the same for every cluster)"
    if not rows:
        return unavailable(
            spec.id, clusters, f"the bundle ({info.label}) forecasts none of the series this metric needs"
        )
    q = _frame(clusters, rows)
    ukp = level_path(info, spec.series_id("benchmark"), horizon)
    bench = float(growth_from_levels(ukp.base, ukp.levels, ukp.years)[QCOLS.index("q0.5")]) if ukp else np.nan
    parts = []
    if n_own:
        parts.append(f"{n_own} cluster(s) use their own licensed partner forecast")
    if how:
        parts.append(f"{len(clusters) - n_own} use {how}")
    if skipped:
        parts.append(f"synthetic (demo) partner forecasts of {len(skipped)} cluster(s) are not used")
    result = MetricResult(
        spec.id,
        q["q0.5"],
        pd.Series(bench, index=clusters),
        f"to {horizon_label}",
        ["forecast bundle"],
        info.data_vintage,
        pd.Series(False, index=clusters),
        details={
            "horizon": horizon_label,
            "model": info.label,
            "model_vintage": info.data_vintage,
            "how": _sentence("; ".join(parts)),
            "n_own": n_own,
            "n_synthetic_skipped": len(skipped),
        },
        quantiles=q,
        draw_groups=pd.Series(groups).reindex(clusters).fillna(-1).astype(int),
    )
    result.extra["series"] = used
    return result


metric("forecast_fdi_growth")(_forecast_growth)
metric("forecast_domestic_growth")(_forecast_growth)
