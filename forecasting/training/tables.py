"""The bundle's tables: forecasts with quantile columns, per-series and per-level metrics, run metrics."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from forecasting.evaluation import bands
from forecasting.hierarchy.bounds import parent_caps
from forecasting.registry.schema import SCORE_COLUMNS
from forecasting.training.config import ExperimentConfig
from forecasting.vocabulary import months_per_period, period_label, qcol, shift_periods

RECONCILIATION_LABELS = {
    "bottom_up": "bottom-up",
    "top_down": "top-down",
    "ols": "OLS",
    "wls_struct": "WLS-structural",
    "mint_shrink": "MinT-shrink",
}
# Reconciliation that moves a forecast by more than this share of its level (at any reconciled step)
# changes what the forecast says, so the served method names it ("reconciled (MinT-shrink) from naive").
MATERIAL_SHIFT = 0.01


def served_method(base_method: str, shift: float, reconciliation: str) -> str:
    if shift <= MATERIAL_SHIFT:
        return base_method
    return f"reconciled ({RECONCILIATION_LABELS.get(reconciliation, reconciliation)}) from {base_method}"


def forecast_table(
    cfg: ExperimentConfig,
    results: dict[str, Any],
    rec: dict[str, Any],
    freq: dict[str, str],
    periods: dict[str, list[pd.Timestamp]],
    nowcasts: dict[str, int],
    bound_notes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per series and step: the period, point (median), mean, quantiles, ``band_source``,
    ``kind`` (nowcast | forecast) and method.

    The quantiles are finished last (``bands.enforce``: never crossing, band widths never falling with
    the step, the series' floor), after reconciliation moved them; ``point`` is their median, the number
    to lead with, and ``mean`` (the same distribution's mean) stays inside the 80% band. ``band_source``
    says per step whether the band rests on the series' group's own backtest errors (``own``), on like
    series' pooled errors (``pooled``), on measured growth beyond every backtested step
    (``extrapolated``) or on the model alone (``model``).

    ``base_method`` is what the engine chose; ``method`` says "reconciled (...) from <base>" when
    reconciliation moved the forecast materially (``reconciliation_shift`` = the largest move relative to
    the base forecast's level), so a flat naive forecast turned into a trend is not served as "naive".

    Bounds from the published aggregates: where every child of a parent (``rec["edges"]``) is bounded
    at 0, a child's quantiles are capped at the parent's in the same period
    (``hierarchy.bounds.parent_caps``); ``bound_notes`` (if given) receives the reason per capped series.
    """
    qs = list(cfg.forecast.quantiles)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "series_id",
            "step",
            "period",
            "period_start",
            "kind",
            "point",
            "mean",
            *(qcol(q) for q in qs),
            "band_source",
            "method",
            "base_method",
            "fallback",
            "reconciled",
            "reconciliation_shift",
        )
    }
    finished, starts_of = {}, {}
    for s in sorted(results):
        r = results[s]
        qd = rec["quantiles"].get(s, r.forecast.quantiles)
        finished[s] = bands.enforce({q: np.asarray(qd[q], dtype=float) for q in qs}, floor=r.floor)
        starts_of[s] = _period_starts(periods[s][-1], freq[s], len(r.forecast.mean))
    floored = {s: r.floor is not None and r.floor >= 0 for s, r in results.items()}
    caps = parent_caps(finished, starts_of, rec.get("edges", pd.DataFrame()), floored)
    if bound_notes is not None:
        bound_notes.update({s: c.note for s, c in caps.items()})
    for s in sorted(results):
        r = results[s]
        base = np.asarray(r.forecast.mean, dtype=float)
        mean = np.asarray(rec["mean"].get(s, base), dtype=float)
        qd = finished[s]
        if s in caps:  # finished again under the ceiling: bands.enforce keeps the last word
            qd = bands.enforce(qd, floor=r.floor, ceiling=caps[s].ceiling)
        if r.floor is not None:
            mean = np.maximum(mean, r.floor)
        mean = bands.within_band(mean, qd)
        med = bands.median(qd)
        point = med if med is not None else mean
        h = len(mean)
        src = list(r.band_sources or [])
        src = (src + ["extrapolated"] * h)[:h] if src else ["model"] * h
        starts = starts_of[s]
        a, n = rec["window"].get(s, (0, 0))
        reconciled = np.zeros(h, dtype=bool)
        reconciled[a : a + n] = True
        level = np.maximum(np.abs(base), 1e-12)
        shift = float(np.max(np.abs(mean - base) / level)) if n else 0.0
        steps = np.arange(1, h + 1, dtype="int64")
        # columns gathered for one frame at the end: a frame per series cost seconds over 4,000 series
        cols["series_id"] += [s] * h
        cols["step"].append(steps)
        cols["period"] += [period_label(t, freq[s]) for t in starts]
        cols["period_start"] += starts
        cols["kind"].append(np.where(steps <= nowcasts.get(s, 0), "nowcast", "forecast").astype(object))
        cols["point"].append(np.broadcast_to(np.asarray(point, dtype=float), h))
        cols["mean"].append(mean)
        for q in qs:
            cols[qcol(q)].append(np.broadcast_to(np.asarray(qd[q], dtype=float), h))
        cols["band_source"] += src
        cols["method"] += [served_method(r.method, shift, cfg.reconciliation.method)] * h
        cols["base_method"] += [r.method] * h
        cols["fallback"] += [r.forecast.fallback or ""] * h
        cols["reconciled"].append(reconciled)
        cols["reconciliation_shift"] += [shift] * h
    arrays = ("step", "kind", "point", "mean", *(qcol(q) for q in qs), "reconciled")
    data = {k: (np.concatenate(v) if v else np.array([])) if k in arrays else v for k, v in cols.items()}
    data["period_start"] = pd.DatetimeIndex(data["period_start"]).as_unit("ns")
    return pd.DataFrame(data)


def _period_starts(last: pd.Timestamp, frequency: str, h: int) -> list[pd.Timestamp]:
    """The ``h`` period starts after ``last`` (``shift_periods``' result, without an offset per step)."""
    months = months_per_period(frequency)
    first = pd.Timestamp(last)
    if first != first.normalize() or first.day != 1:  # not a period start: the general, slower path
        return shift_periods(first, frequency, range(1, h + 1))
    index = first.year * 12 + first.month - 1 + months * np.arange(1, h + 1)
    return [pd.Timestamp(int(k // 12), int(k % 12) + 1, 1) for k in index]


def describe_sources(sources: list[str]) -> str:
    """Per-step band sources in words, runs collapsed: ``own 1-4, extrapolated 5-7``."""
    runs: list[list[Any]] = []
    for i, src in enumerate(sources, start=1):
        if runs and runs[-1][0] == src:
            runs[-1][2] = i
        else:
            runs.append([src, i, i])
    return ", ".join(f"{src} {a}" if a == b else f"{src} {a}-{b}" for src, a, b in runs)


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not np.isfinite(v) else v


def metrics_table(
    results: dict[str, Any],
    cat: pd.DataFrame,
    rec: dict[str, Any],
    bound_notes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Per series: the chosen method's backtest scores and what its interval rests on; ``bound_notes``
    (``forecast_table``'s caps from the aggregates) are added to each series' ``bound_note``."""
    notes = bound_notes or {}
    level = cat.set_index("series_id")["geography_level"].astype(str).to_dict()
    rows = []
    for s in sorted(results):
        r = results[s]
        chosen = r.scores.get(r.method, {})
        row = {"series_id": s, "level": level.get(s, ""), "method": r.method}
        row.update({m: float(chosen.get(m, np.nan)) for m in SCORE_COLUMNS})
        row["mase_reconciled"] = float(rec["mase_reconciled"].get(s, np.nan))
        row["calibrated"] = bool(r.calibrated)
        # how much evidence the interval rests on (shown beside every forecast)
        row["calibration_group"] = r.group or ""
        row["calibration_errors"] = int(r.calibration_errors)
        row["little_evidence"] = bool(r.little_evidence)
        row["band_source"] = describe_sources(r.band_sources or [])
        row["bound_note"] = "; ".join(x for x in (str(r.bound_note or ""), notes.get(s, "")) if x)
        info = r.backtest_info or {}
        row["backtest_horizon"] = int(info.get("h_used") or 0)
        row["backtest_windows"] = int(info.get("windows_used") or 0)
        row["backtest_note"] = str(info.get("note") or "")
        row["candidates_json"] = json.dumps(
            {k: {m: _clean(v) for m, v in sc.items()} for k, sc in r.scores.items()}, sort_keys=True
        )
        rows.append(row)
    return pd.DataFrame(rows)


def level_metrics_table(metrics: pd.DataFrame, rec: dict[str, Any]) -> pd.DataFrame:
    cols = ["level", "n_series", "mase_base", "mase_reconciled", "helped"]
    ids = [s for s in rec["mase_base"] if s in rec["mase_reconciled"]]
    if not ids:
        return pd.DataFrame(columns=cols)
    df = (
        metrics.set_index("series_id")
        .loc[ids, ["level"]]
        .assign(
            mase_base=[rec["mase_base"][s] for s in ids],
            mase_reconciled=[rec["mase_reconciled"][s] for s in ids],
        )
    )
    out = (
        df.groupby("level")
        .agg(
            n_series=("mase_base", "size"),
            mase_base=("mase_base", "mean"),
            mase_reconciled=("mase_reconciled", "mean"),
        )
        .reset_index()
    )
    out["helped"] = out["mase_reconciled"] < out["mase_base"]
    return out[cols]


def aggregate_metrics(
    cfg: ExperimentConfig,
    metrics: pd.DataFrame,
    level_metrics: pd.DataFrame,
    results: dict[str, Any],
    synthetic: Any = (),
) -> dict[str, float]:
    """Headline, per hierarchy level and per model family (every candidate's backtest scores).

    ``headline.*`` is the robust summary over real series (``registry.summary``: median and geometric
    mean MASE with the count; ``headline.synthetic.*`` the ``synthetic`` series apart); the plain means
    stay for continuity but are not what people are shown."""
    from forecasting.registry.summary import headline

    out: dict[str, float] = {
        "n_series": float(len(metrics)),
        "n_fallback": float(sum(bool(r.forecast.fallback) for r in results.values())),
    }
    head = headline(metrics, synthetic)
    out.update({f"headline.{k}": float(v) for k, v in head.items() if isinstance(v, float)})
    for m in SCORE_COLUMNS:
        if metrics[m].notna().any():
            out[m] = float(metrics[m].mean())
    for lvl, g in metrics.groupby("level"):
        out[f"level.{lvl}.n_series"] = float(len(g))
        for m in ("mase", "crps", "coverage80", "coverage95"):
            if g[m].notna().any():
                out[f"level.{lvl}.{m}"] = float(g[m].mean())
    for _, r in level_metrics.iterrows():
        out[f"level.{r['level']}.mase_base"] = float(r["mase_base"])
        out[f"level.{r['level']}.mase_reconciled"] = float(r["mase_reconciled"])
    for fam in candidate_families(cfg):
        chosen = sum(1 for r in results.values() if fam in re.split(r"[(),:]", r.method))
        out[f"family.{fam}.chosen"] = float(chosen)
        for m in ("mase", "crps"):
            vals = [r.scores.get(fam, {}).get(m, np.nan) for r in results.values()]
            vals = [v for v in vals if v is not None and np.isfinite(v)]
            if vals:
                out[f"family.{fam}.{m}"] = float(np.mean(vals))
    return out


def candidate_families(cfg: ExperimentConfig) -> list[str]:
    """The candidate families actually used (``auto`` = the engine's defaults for every frequency)."""
    if not cfg.models.auto:
        return list(cfg.models.families)
    from forecasting.evaluation.auto import DEFAULTS

    return list(dict.fromkeys(m for d in DEFAULTS.values() for m in d.methods))
