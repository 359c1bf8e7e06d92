"""Build the 25 cluster scorecards: metrics -> normalised scores -> composite, stars, rank intervals, audit.

``build_scorecards`` is the one entry point (CLI, ``invest run``, tests) and returns data only: values,
scores, ranks, reasons as codes. ``forecasting.scorecards.document`` turns the set into the served document
(with the catalogue's method texts filled in), ``publish`` writes the files and ``report`` the HTML and PDF.

Rules a board can rely on:
* a metric with any synthetic (demo) value is never scored: it is kept for the licensed data preview;
* an evidence area whose score does not separate clusters is dropped from the composite, with its spread;
* every metric of a family is read in the family's reference year (``context.reference_years``);
* the Monte Carlo draws input-data error (``input_error``), forecasts, weights and the normalisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.audit import REDUNDANT_R as AUDIT_R
from forecasting.scorecards.audit import Audit, audit
from forecasting.scorecards.catalogue import Catalogue, ScorecardError
from forecasting.scorecards.composite import Weights, composite, load_weights, ranks
from forecasting.scorecards.context import MetricContext, ReferenceYear, reference_years
from forecasting.scorecards.forecast_metrics import QCOLS, BundleInfo, bundle_info
from forecasting.scorecards.forked import Forked
from forecasting.scorecards.input_error import InputErrorModel
from forecasting.scorecards.inputs import Inputs, load_inputs
from forecasting.scorecards.metrics import fdi_shares
from forecasting.scorecards.normalise import Method, normalise, orient
from forecasting.scorecards.paths import investment_paths
from forecasting.scorecards.registry import Registry, load_metric_set
from forecasting.scorecards.result import MetricResult
from forecasting.scorecards.robustness import Robustness, robustness
from forecasting.scorecards.stars import Stars, ratings, region_cluster_table
from forecasting.scorecards.uncertainty import (
    CHECK_SEED,
    check_replicates,
    input_replicates,
    interval_coverage,
    measurement_noise,
)

MIN_RELATIVE_RANGE = 0.02  # a metric whose spread across clusters is under 2% of its mean is not scored
AREA_MIN_SPREAD = 0.02  # an area whose scores span under 2 points of 100 does not separate clusters
# Scored metrics the correlation audit calls redundant (|r| above its threshold) are one signal: one is scored.
REDUNDANT_R = AUDIT_R
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Exclusion:
    """Why a metric is not scored: a code the report words, plus the data behind it."""

    code: str  # context | unavailable | synthetic | weight_zero | no_variation | redundant | area_dropped
    detail: str = ""


@dataclass
class ScorecardSet:
    """Everything the JSON, CSV, HTML, PDF and API show (as data)."""

    catalogue: Catalogue
    clusters: list[Any]  # forecasting.reference.clusters.Cluster
    metrics: dict[str, MetricResult]
    scored: list[str]
    excluded: dict[str, Exclusion]
    preview: list[str]  # synthetic metrics shown only in the licensed data preview
    dropped_areas: dict[str, dict[str, float]]  # area -> {"spread": score spread 0-100}
    weights: Weights
    normalisation: Method
    values: pd.DataFrame  # clusters x scored metrics, raw
    normalised: pd.DataFrame  # clusters x scored metrics, direction-adjusted, headline method
    area_scores: pd.DataFrame  # clusters x scored areas (0-1)
    score: pd.Series  # composite 0-1, headline
    rank: pd.Series  # rank of the headline score (1 = best)
    mc: mc.MonteCarloResult
    tier: pd.Series
    overlap: dict[str, list[str]]
    stars: dict[str, Stars]
    audit: Audit
    robustness: Robustness
    paths: dict[str, dict[str, Any]]
    reference_years: dict[str, ReferenceYear]
    input_errors: list[dict[str, object]]
    replicates: int
    data_vintage: str | None
    model: dict[str, Any] | None
    partner_data: str  # licensed | synthetic | absent
    seed: int
    generated_at: str
    membership: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    metric_weights: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    area_weights: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    forecast_draws: list[mc.ForecastDraws] = field(repr=False, default_factory=list)
    context: MetricContext | None = field(repr=False, default=None)
    error_model: InputErrorModel | None = field(repr=False, default=None)
    coverage: dict[str, object] | None = None
    elapsed: dict[str, float] = field(default_factory=dict)
    noise: np.ndarray | None = field(repr=False, default=None)  # (scored,) measurement sd per metric
    basket_uncertainty: bool = True

    @property
    def band(self) -> np.ndarray:
        return mc.bands(self.mc.rank_p05, self.mc.rank_p95)

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.clusters]

    @property
    def scored_areas(self) -> list[str]:
        return list(self.area_scores.columns)

    def display_order(self) -> list[str]:
        """Clusters by headline rank: the rank always follows the score shown."""
        return sorted(self.cluster_ids, key=lambda c: int(self.rank[c]))

    def mc_position(self, cid: str, metric: str) -> float:
        """Percentile position (0-1, mid-rank) of ``cid`` among the clusters on a scored metric."""
        from forecasting.scorecards.normalise import percentile

        col = orient(
            self.metrics[metric].values.to_numpy(float)[:, None], np.array([self.catalogue.get(metric).sign])
        )
        return float(percentile(col, axis=0)[self.cluster_ids.index(cid), 0])


def _exclusions(metrics: dict[str, MetricResult], cat: Catalogue, weights: Weights) -> dict[str, Exclusion]:
    out: dict[str, Exclusion] = {}
    for spec in cat.metrics:
        r = metrics[spec.id]
        v = r.values.dropna()
        if not spec.in_score:
            out[spec.id] = Exclusion("context", spec.context_reason)
        elif not r.available or v.empty:
            out[spec.id] = Exclusion("unavailable", r.reason)
        elif r.is_synthetic:
            out[spec.id] = Exclusion("synthetic", ", ".join(r.sources))
        elif weights.metric(spec.id) == 0 or weights.area(spec.area) == 0:
            out[spec.id] = Exclusion("weight_zero")
        elif v.max() - v.min() <= MIN_RELATIVE_RANGE * max(abs(v.mean()), 1e-12):
            out[spec.id] = Exclusion("no_variation", f"{v.max() - v.min():.4g}")
    return out


def _forecast_inputs(metrics: dict[str, MetricResult], scored: list[str]) -> list[mc.ForecastDraws]:
    probs = np.array([float(c[1:]) for c in QCOLS])
    out = []
    for j, m in enumerate(scored):
        r = metrics[m]
        if r.quantiles is not None and r.draw_groups is not None:
            out.append(
                mc.ForecastDraws(j, probs, r.quantiles[QCOLS].to_numpy(float), r.draw_groups.to_numpy())
            )
    return out


def _model_dict(info: BundleInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    md = info.contents.metadata
    return {
        "model_name": info.model_name,
        "model_version": info.model_version,
        "model_alias": info.model_alias,
        "data_vintage": info.data_vintage,
        "trained_at": md.trained_at,
        "run_id": md.run_id,
        "label": info.label,
    }


def _partner_data(metrics: dict[str, MetricResult], cat: Catalogue) -> str:
    partner = [metrics[m.id] for m in cat.metrics if m.partner and metrics[m.id].available]
    if not partner:
        return "absent"
    return "synthetic" if any(r.is_synthetic for r in partner) else "licensed"


def flat_areas(
    area_scores: np.ndarray, areas: list[str], min_spread: float = AREA_MIN_SPREAD
) -> dict[str, float]:
    """Areas whose scores (0-1, clusters x areas) span less than ``min_spread``: they cannot separate
    clusters (e.g. regional metrics that cancel out) and would only add a constant to every composite."""
    spreads = np.nanmax(area_scores, axis=0) - np.nanmin(area_scores, axis=0)
    return {a: float(s) for a, s in zip(areas, spreads, strict=True) if not s >= min_spread}


def score_matrix(
    values: pd.DataFrame,
    signs: np.ndarray,
    membership: np.ndarray,
    metric_w: np.ndarray,
    area_w: np.ndarray,
    method: Method,
    noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Headline (nominal) normalised values, area scores and composite for one normalisation method."""
    norm = normalise(orient(values.to_numpy(float), signs), method, axis=0, noise=noise)
    a, s = composite(norm, metric_w, membership, area_w)
    return norm, a, s


def _forecast_noise(r: MetricResult) -> float:
    """A forecast metric's sd from its 10-90% band (median over clusters)."""
    if r.quantiles is None or not {"q0.1", "q0.9"} <= set(r.quantiles.columns):
        return 0.0
    width = (r.quantiles["q0.9"] - r.quantiles["q0.1"]).to_numpy(float) / 2.563
    return float(np.nanmedian(width)) if np.isfinite(width).any() else 0.0


def redundant_pairs(
    norm: np.ndarray, scored: list[str], threshold: float = REDUNDANT_R
) -> list[tuple[str, str, float]]:
    """(kept, dropped, r): while two scored metrics correlate at |r| > threshold across clusters, the later
    one in catalogue order (the restatement) is dropped. Acts on the redundancy audit instead of listing it."""
    from forecasting.scorecards.audit import _corr

    keep = list(range(len(scored)))
    out = []
    while True:
        best = None
        for a_i, i in enumerate(keep):
            for j in keep[a_i + 1 :]:
                r = _corr(norm[:, i], norm[:, j])
                if np.isfinite(r) and abs(r) > threshold and (best is None or abs(r) > abs(best[2])):
                    best = (i, j, r)
        if best is None:
            return out
        i, j, r = best
        out.append((scored[i], scored[j], round(float(r), 3)))
        keep.remove(j)


def _stars(ctx: MetricContext, metrics: dict[str, MetricResult], scored: list[str]) -> dict[str, Stars]:
    """Observatory stars from BRES; momentum only from a scored (real, forecast) FDI growth."""
    base = ctx.base
    region_of = ctx.inp.itl1_of_itl2
    emp, tot = region_cluster_table(
        base.region_emp(region_of), base.region_total(region_of), list(MIDLANDS_ITL1)
    )
    fdi = metrics.get("forecast_fdi_growth")
    real = fdi is not None and "forecast_fdi_growth" in scored and fdi.quantiles is not None
    return ratings(
        emp,
        tot,
        metrics["location_quotient"].values,
        fdi.quantiles["q0.1"] if real else None,
        fdi.quantiles["q0.5"] if real else None,
        float(fdi.benchmark.iloc[0]) if real else None,
    )


def build_scorecards(
    warehouse_path: Path,
    bundle: object | None = None,
    weights_path: Path | None = None,
    seed: int = 20261124,
    *,
    draws: int = 1000,
    replicates: int = 40,
    normalisation: Method = "minmax",
    as_of: str | None = None,
    inputs: Inputs | None = None,
    catalogue_path: Path | None = None,
    registry: Registry | None = None,
    check_redraws: int = 0,
    basket_uncertainty: bool = True,
    workers: int = 1,
) -> ScorecardSet:
    """All 25 scorecards, as data. ``replicates`` input replicates feed the ``draws`` Monte Carlo draws;
    ``check_redraws`` > 0 also measures how often independently re-drawn inputs land inside the intervals;
    ``basket_uncertainty`` lets input replicates draw basket variants (``basket.py``) too. With
    ``workers`` > 1 the interval check's re-drawn inputs are computed in a forked child beside the Monte
    Carlo's (``forked.py``): the same numbers as with one worker."""
    t0 = time.perf_counter()
    ms = load_metric_set(catalogue_path, registry)
    cat = ms.catalogue
    weights = load_weights(weights_path, cat)
    inp = inputs or load_inputs(Path(warehouse_path), as_of=as_of, catalogue=cat)
    t_load = time.perf_counter()
    info = bundle_info(bundle)
    clusters = inp.cluster_ids
    ctx = MetricContext(inp, cat, ms.registry, info, reference_years(inp, cat))
    metrics = ctx.compute()

    excluded = _exclusions(metrics, cat, weights)
    preview = [m for m, e in excluded.items() if e.code == "synthetic"]
    scored = [m.id for m in cat.metrics if m.id not in excluded]
    if not scored:
        raise ScorecardError("no metric can be scored: check the warehouse and the weights file")
    values = pd.DataFrame({m: metrics[m].values for m in scored}, index=clusters)

    # Input replicates (re-drawn published inputs and, with basket uncertainty, basket variants) for every
    # candidate metric; measurement noise is sized on the clusters that kept their basket as defined.
    t_mc = time.perf_counter()
    model = InputErrorModel.from_inputs(inp, cat)
    check = None
    if check_redraws > 0:  # its own seed and stream: started now, on the candidate metrics
        candidates = list(scored)
        check = Forked(
            check_replicates,
            ctx,
            model,
            candidates,
            values.to_numpy(float),
            check_redraws,
            CHECK_SEED,
            fork=workers > 1,
        )
    kept: list[np.ndarray] = []
    all_reps = input_replicates(
        ctx,
        model,
        scored,
        values.to_numpy(float),
        replicates,
        seed,
        basket=basket_uncertainty,
        as_defined=kept,
    )
    all_noise = measurement_noise(all_reps, np.stack(kept))
    for j, m in enumerate(scored):
        if cat.get(m).aggregation in ("forecast", "scenario"):
            all_noise[j] = _forecast_noise(metrics[m])
    noise_of = dict(zip(scored, all_noise, strict=True))
    t_rep = time.perf_counter()

    def matrices(ms: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.array([cat.get(m).sign for m in ms]),
            np.array([weights.metric(m) for m in ms]),
            np.array([noise_of[m] for m in ms]),
        )

    # One metric per signal: a metric restating another (|r| >= REDUNDANT_R) is moved to context.
    signs, metric_w, noise = matrices(scored)
    norm0 = normalise(orient(values.to_numpy(float), signs), normalisation, axis=0, noise=noise)
    for kept_m, dropped_m, r in redundant_pairs(norm0, scored):
        excluded[dropped_m] = Exclusion("redundant", f"r = {r:.2f} with {cat.get(kept_m).name}")
    scored = [m for m in scored if m not in excluded]
    values = values[scored]
    signs, metric_w, noise = matrices(scored)

    # Areas: those with a scored metric, minus any whose headline scores do not separate clusters.
    areas = [a for a in cat.areas if any(cat.get(m).area == a for m in scored)]
    dropped: dict[str, dict[str, float]] = {}
    while True:
        membership = np.array([[1.0 if cat.get(m).area == a else 0.0 for a in areas] for m in scored])
        area_w = np.array([weights.area(a) for a in areas])
        norm, a_scores, score = score_matrix(
            values, signs, membership, metric_w, area_w, normalisation, noise
        )
        flat = flat_areas(a_scores, areas)
        if not flat or len(areas) == 1:
            break
        dropped |= {a: {"spread": spread * 100} for a, spread in flat.items()}
        areas = [a for a in areas if a not in flat]
        keep = [m for m in scored if cat.get(m).area in areas]
        for m in scored:
            if m not in keep:
                excluded[m] = Exclusion("area_dropped", cat.get(m).area)
        scored, values = keep, values[keep]
        signs, metric_w, noise = matrices(scored)

    cols = [list(noise_of).index(m) for m in scored]
    reps = all_reps[:, :, cols]
    fc_draws = _forecast_inputs(metrics, scored)
    result = mc.run(reps, signs, membership, metric_w, area_w, fc_draws, draws=draws, seed=seed, noise=noise)
    t_mc_end = time.perf_counter()
    tier, overlap = mc.tiers(result.median_rank, result.rank_p05, result.rank_p95)

    aud = audit(norm, scored, [cat.get(m).area for m in scored], metric_w)
    aud.excluded = [{"metric": m, "reason": e.code} for m, e in excluded.items()]
    rob = robustness(
        values.to_numpy(float),
        signs,
        membership,
        metric_w,
        area_w,
        clusters,
        areas,
        [cat.areas[a] for a in areas],
        normalisation,
        noise,
    )
    shares = fdi_shares(ctx)[0]
    sset = ScorecardSet(
        catalogue=cat,
        clusters=inp.clusters,
        metrics=metrics,
        scored=scored,
        excluded=excluded,
        preview=preview,
        dropped_areas=dropped,
        weights=weights,
        normalisation=normalisation,
        values=values,
        normalised=pd.DataFrame(norm, index=clusters, columns=scored),
        area_scores=pd.DataFrame(a_scores, index=clusters, columns=areas),
        score=pd.Series(score, index=clusters),
        rank=pd.Series(ranks(score), index=clusters),
        mc=result,
        tier=pd.Series(tier, index=clusters),
        overlap={clusters[i]: [clusters[j] for j in o] for i, o in enumerate(overlap)},
        stars=_stars(ctx, metrics, scored),
        audit=aud,
        robustness=rob,
        paths=investment_paths(inp, info, shares, metrics, cat.get("forecast_fdi_growth").measure("own")),
        reference_years=ctx.years,
        input_errors=model.describe(inp),
        replicates=len(reps),
        data_vintage=inp.data_vintage,
        model=_model_dict(info),
        partner_data=_partner_data(metrics, cat),
        seed=seed,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        membership=membership,
        metric_weights=metric_w,
        area_weights=area_w,
        forecast_draws=fc_draws,
        context=ctx,
        error_model=model,
        noise=noise,
        basket_uncertainty=basket_uncertainty,
    )
    if check is not None:
        check_reps = check.result()[:, :, [candidates.index(m) for m in scored]]
        sset.coverage = interval_coverage(sset, check_redraws, CHECK_SEED, check_reps)
    sset.elapsed = {
        "load_s": t_load - t0,
        "replicates_s": t_rep - t_mc,
        "monte_carlo_s": t_mc_end - t_rep,
        "total_s": time.perf_counter() - t0,
    }
    return sset
