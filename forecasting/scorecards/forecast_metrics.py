"""Forecast-based metrics: forward-looking investment growth per cluster from the champion bundle.

Why growth of a level against a recent base: the bundle stores forecast *levels* (quantiles per step), and
a scorecard needs a rate comparable across series of different sizes and frequencies. Growth is annualised
from the mean of the last year(s) of history (3 years for annual series, 4 quarters / 12 months otherwise)
to the forecast ``horizon_years`` ahead; a quantile of the level maps to the same quantile of growth
because the transformation is monotone.

Cluster relevance: the cluster's own (partner) series when the bundle forecasts it; otherwise the East and
West Midlands series apportioned by the cluster's employment (level quantiles added comonotonically, an
approximation that keeps the regions' common shocks together); otherwise the Midlands total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.registry.contents import BundleContents
from forecasting.scorecards.metrics import SYNTHETIC_LABEL, MetricResult, unavailable
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
    freq = series_id.rsplit(".", 1)[-1]
    ppy = PPY.get(freq, 1)
    k = 3 if ppy == 1 else ppy
    base = float(hist["value"].tail(k).mean())
    h = int(min(fc["step"].max(), horizon_years * ppy))
    row = fc[fc["step"] == h].iloc[0]
    cat = info.contents.catalogue
    syn = (
        bool(cat.loc[cat["series_id"] == series_id, "is_synthetic"].any()) if "is_synthetic" in cat else False
    )
    return LevelPath(
        series_id, base, row[QCOLS].to_numpy(float), (h + (k - 1) / 2) / ppy, str(row["period"]), syn
    )


def summed_path(
    info: BundleInfo, ids: list[str], horizon_years: int = 3
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
    cat = info.contents.catalogue
    syn = bool(cat.loc[cat["series_id"].isin(ids), "is_synthetic"].any()) if "is_synthetic" in cat else False
    first = SeriesId.parse(ids[0])
    path = LevelPath(
        str(first.at("MID-LADs")),
        base,
        fan.loc[target].to_numpy(float),
        target - last + 1.0,
        str(target),
        syn,
    )
    out = fan.reset_index().rename(columns={"year": "period"})
    out["period"] = out["period"].astype(str)
    return path, out


def growth_from_levels(base: float | np.ndarray, levels: np.ndarray, years: float) -> np.ndarray:
    """Annualised % growth; a non-positive level or base gives NaN (growth undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(levels, float) / base
        out = (np.power(ratio, 1.0 / years) - 1.0) * 100.0
    return np.where(ratio > 0, out, np.nan)


def _frame(clusters: list[str], rows: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        [rows.get(c, np.full(len(QCOLS), np.nan)) for c in clusters], index=clusters, columns=QCOLS
    )


def forecast_growth_metric(
    metric: str,
    info: BundleInfo | None,
    clusters: list[str],
    own_measure: str,
    regional_measure: str | None,
    region_shares: pd.DataFrame | None,
    uk_series: str,
    lads: list[str] | None = None,
) -> MetricResult:
    """Cluster forecast growth quantiles; see the module docstring for which series is used."""
    if info is None:
        return unavailable(metric, clusters, "no champion forecast bundle: forecast metrics not computed")
    ids = set(info.contents.forecasts["series_id"])
    rows: dict[str, np.ndarray] = {}
    groups: dict[str, int] = {}
    used: dict[str, str] = {}
    synthetic = False
    horizon = ""
    own_syn: set[str] = set()
    n_lads: dict[str, int] = {}
    for i, c in enumerate(clusters):
        p = level_path(info, f"{own_measure}.MID.{c}.A") if f"{own_measure}.MID.{c}.A" in ids else None
        if p is None and lads:
            lad_ids = [f"{own_measure}.{lad}.{c}.A" for lad in lads if f"{own_measure}.{lad}.{c}.A" in ids]
            summed = summed_path(info, lad_ids) if lad_ids else None
            if summed is not None:
                p = summed[0]
                n_lads[c] = len(lad_ids)
        if p is not None:
            rows[c] = growth_from_levels(p.base, p.levels, p.years)
            groups[c], used[c], horizon = 1000 + i, p.series_id, p.horizon_label
            synthetic |= p.is_synthetic
            if p.is_synthetic:
                own_syn.add(c)
    rest = [c for c in clusters if c not in rows]
    how = ""
    if rest and regional_measure is not None:
        paths = {r: level_path(info, f"{regional_measure}.{r}.all.A") for r in MIDLANDS_ITL1}
        mid = level_path(info, f"{regional_measure}.MID.all.A")
        if all(paths.values()) and region_shares is not None:
            for c in rest:
                s = region_shares[c].reindex(list(MIDLANDS_ITL1)).fillna(0.0)
                base = sum(float(s[r]) * paths[r].base for r in MIDLANDS_ITL1)
                lv = sum(float(s[r]) * paths[r].levels for r in MIDLANDS_ITL1)
                rows[c] = growth_from_levels(base, lv, paths["TLF"].years)
                groups[c], used[c] = 0, f"{regional_measure}.TLF/TLG.all.A"
            horizon = paths["TLF"].horizon_label
            how = (
                "East and West Midlands FDI forecasts apportioned by the cluster's FDI-weighted employment "
                "share of each region (as for the FDI position; forecast quantiles added across regions)"
            )
        elif mid is not None:
            for c in rest:
                rows[c] = growth_from_levels(mid.base, mid.levels, mid.years)
                groups[c], used[c] = 0, mid.series_id
            horizon = mid.horizon_label
            how = "the Midlands total forecast (the same for every cluster)"
    elif rest:
        p = level_path(info, uk_series)
        if p is not None:
            for c in rest:
                rows[c] = growth_from_levels(p.base, p.levels, p.years)
                groups[c], used[c] = 0, uk_series
            horizon = p.horizon_label
            how = f"the UK series {uk_series} (the same for every cluster)"
    if not rows:
        return unavailable(
            metric, clusters, f"the bundle ({info.label}) forecasts none of the series this metric needs"
        )
    q = _frame(clusters, rows)
    ukp = level_path(info, uk_series)
    bench = float(growth_from_levels(ukp.base, ukp.levels, ukp.years)[QCOLS.index("q0.5")]) if ukp else np.nan
    own = sum(1 for c in used if used[c].startswith(f"{own_measure}.MID"))
    parts = []
    if own:
        label = f" ({SYNTHETIC_LABEL})" if synthetic else ""
        lad_note = (
            ", summed over the Midlands Local Authorities the bundle forecasts (quantiles added, so the "
            "interval is an upper bound on the spread)"
            if n_lads
            else ""
        )
        parts.append(f"{own} cluster(s) use their own {own_measure} forecast{label}{lad_note}")
    if how:
        parts.append(f"{len(clusters) - own} use {how}")
    note = (
        f"Annualised growth from the mean of recent history to {horizon}, model {info.label}, trained on "
        f"data vintage {info.data_vintage}. " + "; ".join(parts) + "."
    )
    metric_result = MetricResult(
        metric,
        q["q0.5"],
        pd.Series(bench, index=clusters),
        f"to {horizon}",
        ["forecast bundle"],
        info.data_vintage,
        synthetic,
        note=note,
        quantiles=q,
        draw_groups=pd.Series(groups).reindex(clusters).fillna(-1).astype(int),
    )
    metric_result.extra["series"] = used
    metric_result.extra["synthetic_clusters"] = sorted(own_syn)
    metric_result.extra["n_lads"] = n_lads
    return metric_result
