"""Build the 25 cluster scorecards: metrics -> normalised scores -> composite, stars, rank intervals, audit.

``build_scorecards`` is the one entry point (CLI, ``invest run``, tests) and returns data only;
``forecasting.scorecards.publish`` writes the JSON and CSV files the API serves and has
``forecasting.scorecards.report`` render the HTML report from the same set.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.audit import Audit, audit
from forecasting.scorecards.catalogue import Catalogue, ScorecardError, load_catalogue
from forecasting.scorecards.composite import Weights, composite, load_weights, ranks
from forecasting.scorecards.forecast_metrics import QCOLS, BundleInfo, bundle_info, forecast_growth_metric
from forecasting.scorecards.inputs import Inputs, load_inputs
from forecasting.scorecards.metrics import MetricResult, compute_data_metrics, employment_base, fdi_shares
from forecasting.scorecards.normalise import Method, normalise, orient
from forecasting.scorecards.paths import investment_paths
from forecasting.scorecards.scenario_metrics import scenario_metric
from forecasting.scorecards.stars import Stars, ratings, region_cluster_table

log = logging.getLogger(__name__)
MIN_RELATIVE_RANGE = 0.02  # a metric whose spread across clusters is under 2% of its mean is not scored
SCHEMA_VERSION = 1


@dataclass
class ScorecardSet:
    """Everything the JSON, CSV, HTML and API show; ``to_dict`` is the served form."""

    catalogue: Catalogue
    clusters: list[Any]  # forecasting.reference.clusters.Cluster
    metrics: dict[str, MetricResult]
    scored: list[str]
    excluded: dict[str, str]
    weights: Weights
    normalisation: Method
    normalised: pd.DataFrame  # clusters x scored metrics, direction-adjusted, headline method
    area_scores: pd.DataFrame  # clusters x areas (0-1)
    score: pd.Series  # composite 0-1
    rank: pd.Series
    mc: mc.MonteCarloResult
    tier: pd.Series
    overlap: dict[str, list[str]]
    stars: dict[str, Stars]
    audit: Audit
    paths: dict[str, dict[str, Any]]
    data_vintage: str | None
    model: dict[str, Any] | None
    seed: int
    generated_at: str
    elapsed: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def band(self) -> np.ndarray:
        return mc.bands(self.mc.rank_p05, self.mc.rank_p95)

    @property
    def cluster_ids(self) -> list[str]:
        return [c.id for c in self.clusters]

    def provenance(self) -> dict[str, Any]:
        return {
            "data_vintage": self.data_vintage,
            "model": self.model,
            "generated_at": self.generated_at,
            "seed": self.seed,
            "draws": self.mc.draws,
            "normalisation": self.normalisation,
            "weights": {
                "source": self.weights.source,
                "areas": self.weights.areas,
                "metrics": self.weights.metrics,
            },
        }

    def metric_row(self, cid: str, m: str) -> dict[str, Any]:
        spec = self.catalogue.get(m)
        r = self.metrics[m]
        row: dict[str, Any] = {
            "id": m,
            "name": spec.name,
            "area": spec.area,
            "unit": spec.unit,
            "direction": spec.direction,
            "value": json_number(r.values.get(cid)),
            "benchmark": json_number(r.benchmark.get(cid)),
            "benchmark_label": spec.benchmark,
            "period": r.period,
            "source": spec.source,
            "source_ids": r.sources,
            "vintage": r.vintage,
            "is_synthetic": (cid in r.extra["synthetic_clusters"])
            if "synthetic_clusters" in r.extra
            else r.is_synthetic,
            "available": r.available,
            "scored": m in self.scored,
            "excluded_reason": self.excluded.get(m),
            "normalised": json_number(self.normalised[m].get(cid)) if m in self.normalised else None,
            "aggregation": spec.aggregation,
            "finest_geography": spec.finest_geography,
            "provenance": r.note,
            "format": spec.format,
        }
        if r.quantiles is not None and cid in r.quantiles.index:
            q = r.quantiles.loc[cid]
            row["interval"] = {
                "lo95": json_number(q["q0.025"]),
                "lo80": json_number(q["q0.1"]),
                "median": json_number(q["q0.5"]),
                "hi80": json_number(q["q0.9"]),
                "hi95": json_number(q["q0.975"]),
            }
            row["forecast_series"] = r.extra.get("series", {}).get(cid)
        if "scenarios" in r.extra:
            row["scenarios"] = r.extra["scenarios"].get(cid)
        return row

    def cluster_dict(self, cid: str) -> dict[str, Any]:
        c = next(c for c in self.clusters if c.id == cid)
        i = self.cluster_ids.index(cid)
        names = dict(zip(self.cluster_ids, [x.name for x in self.clusters], strict=True))
        return {
            "id": c.id,
            "name": c.name,
            "description": c.description,
            "sic": list(c.sic),
            "score": json_number(self.score[cid] * 100),
            "rank": int(self.rank[cid]),
            "rank_interval": {
                "median": int(self.mc.median_rank[i]),
                "p05": int(self.mc.rank_p05[i]),
                "p95": int(self.mc.rank_p95[i]),
                "p_top5": json_number(self.mc.p_top5[i]),
            },
            "tier": int(self.tier[cid]),
            "band": int(self.band[i]),
            "band_label": mc.BANDS[int(self.band[i])],
            "indistinguishable_from": [{"id": o, "name": names[o]} for o in self.overlap[cid]],
            "area_scores": {
                a: json_number(self.area_scores.loc[cid, a] * 100) for a in self.area_scores.columns
            },
            "stars": self.stars[cid].as_dict(),
            "metrics": [self.metric_row(cid, m.id) for m in self.catalogue.metrics],
            "investment_path": self.paths.get(cid),
        }

    def mc_position(self, cid: str, metric: str) -> float:
        """Percentile position (0-1, mid-rank) of ``cid`` among the clusters on a scored metric."""
        from forecasting.scorecards.normalise import percentile

        col = orient(
            self.metrics[metric].values.to_numpy(float)[:, None], np.array([self.catalogue.get(metric).sign])
        )
        return float(percentile(col, axis=0)[self.cluster_ids.index(cid), 0])

    def display_order(self) -> list[str]:
        """Clusters by separated tier, median rank, 5% rank, then headline rank (how the report lists them)."""
        key = {
            c: (int(self.tier[c]), int(self.mc.median_rank[i]), int(self.mc.rank_p05[i]), int(self.rank[c]))
            for i, c in enumerate(self.cluster_ids)
        }
        return sorted(self.cluster_ids, key=key.__getitem__)

    def summary_row(self, cid: str) -> dict[str, Any]:
        d = self.cluster_dict(cid)
        return {
            k: d[k]
            for k in (
                "id",
                "name",
                "score",
                "rank",
                "rank_interval",
                "tier",
                "band",
                "band_label",
                "stars",
                "area_scores",
            )
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance(),
            "areas": self.catalogue.areas,
            "catalogue": [m.model_dump() for m in self.catalogue.metrics],
            "scored_metrics": self.scored,
            "excluded_metrics": self.excluded,
            "audit": self.audit.as_dict(),
            "notes": self.notes,
            "ranking": [self.summary_row(c) for c in self.display_order()],
            "clusters": [self.cluster_dict(c) for c in self.cluster_ids],
        }


def json_number(v: Any) -> float | None:
    """A finite float or None (JSON has no NaN)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _exclusions(metrics: dict[str, MetricResult], cat: Catalogue, weights: Weights) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in cat.metrics:
        r = metrics[spec.id]
        v = r.values.dropna()
        if not spec.in_score:
            out[spec.id] = "context only (catalogue: in_score = false)"
        elif not r.available or v.empty:
            out[spec.id] = f"unavailable: {r.note}"
        elif weights.metric(spec.id) == 0 or weights.area(spec.area) == 0:
            out[spec.id] = "weight 0 in the weights file"
        elif v.max() - v.min() <= MIN_RELATIVE_RANGE * max(abs(v.mean()), 1e-12):
            out[spec.id] = (
                "no material variation across clusters (spread under 2% of the mean): shown, not scored"
            )
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


def score_matrix(
    values: pd.DataFrame,
    signs: np.ndarray,
    membership: np.ndarray,
    metric_w: np.ndarray,
    area_w: np.ndarray,
    method: Method,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Headline (nominal) normalised values, area scores and composite for one normalisation method."""
    norm = normalise(orient(values.to_numpy(float), signs), method, axis=0)
    a, s = composite(norm, metric_w, membership, area_w)
    return norm, a, s


def build_scorecards(
    warehouse_path: Path,
    bundle: object | None = None,
    weights_path: Path | None = None,
    seed: int = 20261124,
    *,
    draws: int = 1000,
    normalisation: Method = "minmax",
    as_of: str | None = None,
    inputs: Inputs | None = None,
) -> ScorecardSet:
    """All 25 scorecards, as data (``forecasting.scorecards.publish`` writes the files and the report)."""
    t0 = time.perf_counter()
    cat = load_catalogue()
    weights = load_weights(weights_path, cat)
    inp = inputs or load_inputs(Path(warehouse_path), as_of=as_of)
    t_load = time.perf_counter()
    info = bundle_info(bundle)
    clusters = inp.cluster_ids
    base = employment_base(inp)
    metrics = compute_data_metrics(inp)
    shares = None
    if base is not None:
        shares, _, _ = fdi_shares(inp, base)
    metrics["forecast_fdi_growth"] = forecast_growth_metric(
        "forecast_fdi_growth",
        info,
        clusters,
        "fdi_projects",
        "fdi_inward_position",
        shares,
        "fdi_inward_position.UK.all.A",
        inp.midlands_lads,
    )
    metrics["forecast_domestic_growth"] = forecast_growth_metric(
        "forecast_domestic_growth",
        info,
        clusters,
        "equity_amount_gbp",
        None,
        None,
        "business_investment_cvm_sa.UK.all.Q",
        inp.midlands_lads,
    )
    metrics["scenario_downside"] = scenario_metric(info, clusters, metrics["forecast_fdi_growth"], shares)
    for r in metrics.values():
        r.values = r.values.reindex(clusters).astype(float)
        r.benchmark = r.benchmark.reindex(clusters).astype(float)

    excluded = _exclusions(metrics, cat, weights)
    scored = [m.id for m in cat.metrics if m.id not in excluded]
    if not scored:
        raise ScorecardError("no metric can be scored: check the warehouse and the weights file")
    areas = [a for a in cat.areas if any(cat.get(m).area == a for m in scored)]
    membership = np.array([[1.0 if cat.get(m).area == a else 0.0 for a in areas] for m in scored])
    signs = np.array([cat.get(m).sign for m in scored])
    metric_w = np.array([weights.metric(m) for m in scored])
    area_w = np.array([weights.area(a) for a in areas])
    values = pd.DataFrame({m: metrics[m].values for m in scored}, index=clusters)

    norm, a_scores, score = score_matrix(values, signs, membership, metric_w, area_w, normalisation)
    t_mc = time.perf_counter()
    result = mc.run(
        values.to_numpy(float),
        signs,
        membership,
        metric_w,
        area_w,
        _forecast_inputs(metrics, scored),
        draws=draws,
        seed=seed,
    )
    t_mc_end = time.perf_counter()
    tier, overlap = mc.tiers(result.median_rank, result.rank_p05, result.rank_p95)

    fdi = metrics["forecast_fdi_growth"]
    star_map: dict[str, Stars]
    if base is not None:
        emp, tot = region_cluster_table(
            base.region_emp(inp.itl1_of_itl2), base.region_total(inp.itl1_of_itl2), list(MIDLANDS_ITL1)
        )
        q10 = fdi.quantiles["q0.1"] if fdi.quantiles is not None else None
        star_map = ratings(
            emp,
            tot,
            metrics["location_quotient"].values,
            q10,
            fdi.quantiles["q0.5"] if fdi.quantiles is not None else None,
            float(fdi.benchmark.iloc[0]) if fdi.available else None,
        )
    else:
        star_map = {c: Stars(False, False, False, None) for c in clusters}

    aud = audit(norm, scored, [cat.get(m).area for m in scored], metric_w)
    aud.excluded = [{"metric": m, "reason": why} for m, why in excluded.items()]
    notes = []
    if info is None:
        notes.append(
            "No champion forecast bundle was available: forecast metrics, the momentum star and scenario "
            "sensitivity are marked unavailable and the composite uses observed data only."
        )
    if any(metrics[m].is_synthetic for m in metrics):
        notes.append(
            "Partner metrics use synthetic (demo data) partner files: they show how licensed data will "
            "flow through, not real companies, projects or deals."
        )
    for a in areas:
        col = pd.Series(a_scores[:, areas.index(a)])
        if col.max() - col.min() < MIN_RELATIVE_RANGE:
            notes.append(
                f"The {cat.areas[a]} area scores every cluster alike ({col.mean() * 100:.0f}/100): its "
                "metrics are regional, not industry, data and cancel out (see the correlation audit); it "
                "does not separate clusters."
            )
    names = {c.id: c.name for c in inp.clusters}
    sset = ScorecardSet(
        catalogue=cat,
        clusters=inp.clusters,
        metrics=metrics,
        scored=scored,
        excluded=excluded,
        weights=weights,
        normalisation=normalisation,
        normalised=pd.DataFrame(norm, index=clusters, columns=scored),
        area_scores=pd.DataFrame(a_scores, index=clusters, columns=areas),
        score=pd.Series(score, index=clusters),
        rank=pd.Series(ranks(score), index=clusters),
        mc=result,
        tier=pd.Series(tier, index=clusters),
        overlap={clusters[i]: [clusters[j] for j in o] for i, o in enumerate(overlap)},
        stars=star_map,
        audit=aud,
        paths=investment_paths(inp, info, shares, metrics, names),
        data_vintage=inp.data_vintage,
        model=_model_dict(info),
        seed=seed,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        notes=notes,
    )
    sset.elapsed = {
        "load_s": t_load - t0,
        "monte_carlo_s": t_mc_end - t_mc,
        "total_s": time.perf_counter() - t0,
    }
    return sset
