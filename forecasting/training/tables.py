"""The bundle's tables: forecasts with quantile columns, per-series and per-level metrics, run metrics."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from forecasting.registry.schema import SCORE_COLUMNS
from forecasting.training.config import ExperimentConfig
from forecasting.vocabulary import period_label, qcol, shift_periods


def forecast_table(
    cfg: ExperimentConfig,
    results: dict[str, Any],
    rec: dict[str, Any],
    freq: dict[str, str],
    periods: dict[str, list[pd.Timestamp]],
) -> pd.DataFrame:
    rows = []
    for s in sorted(results):
        r = results[s]
        mean = rec["mean"].get(s, r.forecast.mean)
        qd = rec["quantiles"].get(s, r.forecast.quantiles)
        last = periods[s][-1]
        for k in range(len(mean)):
            start = shift_periods(last, freq[s], k + 1)[0]
            row = {
                "series_id": s,
                "step": k + 1,
                "period": period_label(start, freq[s]),
                "period_start": start,
                "mean": float(mean[k]),
            }
            row.update({qcol(q): float(qd[q][k]) for q in cfg.forecast.quantiles})
            row.update(method=r.method, fallback=r.forecast.fallback or "", reconciled=s in rec["mean"])
            rows.append(row)
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("int64")
    return df


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not np.isfinite(v) else v


def metrics_table(results: dict[str, Any], cat: pd.DataFrame, rec: dict[str, Any]) -> pd.DataFrame:
    level = cat.set_index("series_id")["geography_level"].astype(str).to_dict()
    rows = []
    for s in sorted(results):
        r = results[s]
        chosen = r.scores.get(r.method, {})
        row = {"series_id": s, "level": level.get(s, ""), "method": r.method}
        row.update({m: float(chosen.get(m, np.nan)) for m in SCORE_COLUMNS})
        row["mase_reconciled"] = float(rec["mase_reconciled"].get(s, np.nan))
        row["calibrated"] = bool(r.calibrated)
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
    cfg: ExperimentConfig, metrics: pd.DataFrame, level_metrics: pd.DataFrame, results: dict[str, Any]
) -> dict[str, float]:
    """Headline, per hierarchy level and per model family (every candidate's backtest scores)."""
    out: dict[str, float] = {
        "n_series": float(len(metrics)),
        "n_fallback": float(sum(bool(r.forecast.fallback) for r in results.values())),
    }
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
