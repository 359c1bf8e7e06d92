"""Model-level accuracy a reader can trust: robust, counted, real series only, outliers by name.

Why: the mean MASE over 3,662 series was 5,520 because one series (Micronesia's FDI flows, a near-zero
in-sample naive error) scored 2e7, while the median was 1.10; and the headline coverage mixed in 1,706
synthetic series. So the headline is the median and the geometric mean of MASE with the number of
series behind them, over real (published) series only; synthetic series are summarised apart; series
far outside the bulk (Tukey's far-out fence on log MASE, ``Q3 + 3 IQR``) are listed by name with their
score instead of being averaged in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

# the figures `invest models list` shows, from the run's ``metric.*`` tags
HEADLINE = ("n_series", "mase_median", "mase_geomean", "coverage80", "coverage95")
MAX_OUTLIERS = 5


def _finite(x: Iterable[Any]) -> np.ndarray:
    a = pd.to_numeric(pd.Series(list(x), dtype=object), errors="coerce").to_numpy(dtype=float)
    return a[np.isfinite(a)]


def robust_summary(metrics: pd.DataFrame) -> dict[str, float]:
    """``n_series``, median and geometric-mean MASE (positive finite values), median coverages."""
    out: dict[str, float] = {"n_series": float(len(metrics))}
    if "mase" in metrics.columns:
        mase = _finite(metrics["mase"])
        pos = mase[mase > 0]
        out["n_scored"] = float(mase.size)
        if mase.size:
            out["mase_median"] = float(np.median(mase))
        if pos.size:
            out["mase_geomean"] = float(np.exp(np.mean(np.log(pos))))
    for m in ("coverage80", "coverage95"):
        if m in metrics.columns:
            v = _finite(metrics[m])
            if v.size:
                out[m] = float(np.mean(v))  # bounded in [0, 1]: the mean is the pooled share covered
    return out


def outliers(metrics: pd.DataFrame, limit: int = MAX_OUTLIERS) -> list[tuple[str, float]]:
    """Series whose MASE is far out (log scale, ``Q3 + 3 IQR``), worst first: (series_id, mase)."""
    if "mase" not in metrics.columns or metrics.empty:
        return []
    m = metrics[["series_id", "mase"]].copy()
    m["mase"] = pd.to_numeric(m["mase"], errors="coerce")
    m = m[np.isfinite(m["mase"]) & (m["mase"] > 0)]
    if len(m) < 4:
        return []
    logs = np.log(m["mase"].to_numpy(float))
    q1, q3 = np.quantile(logs, [0.25, 0.75])
    far = m[logs > q3 + 3 * (q3 - q1)].sort_values(["mase", "series_id"], ascending=[False, True])
    return [(str(s), float(v)) for s, v in zip(far["series_id"], far["mase"], strict=True)][:limit]


BASELINES = ("naive", "seasonal_naive")  # the no-change rival a series' choice is measured against


def relative_mase(metrics: pd.DataFrame, baselines: Iterable[str] = BASELINES) -> dict[str, float]:
    """The chosen method's MASE relative to the no-change rival's on the same backtest windows.

    Why: a MASE summary alone cannot say whether the model beats the simplest rival on the series it
    serves; the ratio per series (< 1: better than no change) has no scale, and its geometric mean is
    the usual relative-accuracy figure (Davydenko & Fildes). Read from each row's ``candidates_json``
    (every candidate scored on the same windows): the chosen ``method``'s entry against the first of
    ``baselines`` present. Series without a baseline candidate (a group switched to a rival keeps only
    the rival's scores) are left out and the count says how many were compared.
    ``mase_rel_naive`` (geometric mean of the ratios), ``n_rel_naive``, ``share_beats_naive``."""
    if "candidates_json" not in metrics.columns or "method" not in metrics.columns:
        return {}
    order = tuple(baselines)
    ratios: list[float] = []
    for method, raw in zip(metrics["method"], metrics["candidates_json"], strict=True):
        try:
            cands = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError:
            continue
        base = next((b for b in order if b in cands), None)
        if base is None or method not in cands:
            continue
        a, b = cands[method].get("mase"), cands[base].get("mase")
        if a is None or b is None:
            continue
        r = float(a) / float(b) if float(b) > 0 else float("nan")
        if np.isfinite(r) and r > 0:
            ratios.append(r)
    if not ratios:
        return {}
    x = np.asarray(ratios)
    return {
        "mase_rel_naive": float(np.exp(np.mean(np.log(x)))),
        "n_rel_naive": float(x.size),
        "share_beats_naive": float(np.mean(x < 1.0)),
    }


def headline(metrics: pd.DataFrame, synthetic: Iterable[str] = ()) -> dict[str, Any]:
    """Real-series headline (``HEADLINE`` keys), the synthetic series' summary (``synthetic.*``) and the
    outliers (``outliers``: "id (mase)" in words) of a bundle's metrics table."""
    fake = set(synthetic)
    is_fake = metrics["series_id"].isin(fake) if fake else pd.Series(False, index=metrics.index)
    real = metrics[~is_fake]
    out: dict[str, Any] = dict(robust_summary(real))
    if is_fake.any():
        out.update({f"synthetic.{k}": v for k, v in robust_summary(metrics[is_fake]).items()})
    out["outliers"] = "; ".join(f"{s} ({v:.3g})" for s, v in outliers(real))
    return out
