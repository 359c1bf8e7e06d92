"""Write a built scorecard set: JSON and CSV files (what the API serves) and the HTML report.

Why separate from ``build``: building is pure computation that tests and benchmarks run without touching
disk; publishing is the one place that decides file names and layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.scorecards.build import ScorecardSet, json_number


def publish(sset: ScorecardSet, out_dir: Path, *, report: bool = True) -> dict[str, Path]:
    """The files the API serves and, with ``report``, the HTML report (``index.html``) beside them."""
    out_dir = Path(out_dir)
    files = write_outputs(sset, out_dir)
    if report:
        from forecasting.scorecards.report import render_report

        files["report"] = render_report(sset, out_dir)
    return files


def write_outputs(sset: ScorecardSet, out_dir: Path) -> dict[str, Path]:
    """scorecards.json (everything), clusters/<id>.json, scorecards.csv (long) and ranking.csv."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "clusters").mkdir(exist_ok=True)
    doc = sset.to_dict()
    files = {
        "json": out_dir / "scorecards.json",
        "csv": out_dir / "scorecards.csv",
        "ranking": out_dir / "ranking.csv",
    }
    _write_json(files["json"], doc)
    for c in doc["clusters"]:
        _write_json(out_dir / "clusters" / f"{c['id']}.json", {"provenance": doc["provenance"], **c})
    rows = []
    for c in doc["clusters"]:
        for m in c["metrics"]:
            iv = m.get("interval") or {}
            rows.append(
                {
                    "cluster": c["id"],
                    "cluster_name": c["name"],
                    "metric": m["id"],
                    "metric_name": m["name"],
                    "area": m["area"],
                    "value": m["value"],
                    "lo80": iv.get("lo80"),
                    "hi80": iv.get("hi80"),
                    "lo95": iv.get("lo95"),
                    "hi95": iv.get("hi95"),
                    "benchmark": m["benchmark"],
                    "unit": m["unit"],
                    "direction": m["direction"],
                    "normalised": m["normalised"],
                    "scored": m["scored"],
                    "period": m["period"],
                    "source": m["source"],
                    "vintage": m["vintage"],
                    "is_synthetic": m["is_synthetic"],
                    "available": m["available"],
                    "provenance": m["provenance"],
                }
            )
    pd.DataFrame(rows).to_csv(files["csv"], index=False)
    rk = []
    for r in doc["ranking"]:
        rk.append(
            {
                "rank": r["rank"],
                "cluster": r["id"],
                "name": r["name"],
                "score": r["score"],
                "median_rank": r["rank_interval"]["median"],
                "rank_p05": r["rank_interval"]["p05"],
                "rank_p95": r["rank_interval"]["p95"],
                "p_top5": r["rank_interval"]["p_top5"],
                "tier": r["tier"],
                **{f"star_{k}": v for k, v in r["stars"].items()},
                **{f"area_{k}": v for k, v in r["area_scores"].items()},
                "data_vintage": sset.data_vintage,
                "model": (sset.model or {}).get("label"),
            }
        )
    pd.DataFrame(rk).to_csv(files["ranking"], index=False)
    return files


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(obj, indent=1, allow_nan=False, default=_default), encoding="utf-8")
    tmp.replace(path)


def _default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return json_number(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, pd.Timestamp):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
