"""Write a built scorecard set: JSON and CSV files (what the API serves), the HTML report and the PDFs.

Why separate from ``build``: building is pure computation that tests and benchmarks run without touching
disk; publishing is the one place that decides file names and layout:

    scorecards.json, clusters/<id>.json, scorecards.csv, ranking.csv, robustness.csv   (data)
    index.html, methodology.html, clusters/<id>.html, print.html, img/*.png             (report)
    scorecards.pdf (summary, methodology, one page per cluster), pdf/<id>.pdf           (print)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.scorecards.build import ScorecardSet
from forecasting.scorecards.document import json_number, scorecard_document


def publish(
    sset: ScorecardSet, out_dir: Path, *, report: bool = True, pdf: bool = False, workers: int = 1
) -> dict[str, Path]:
    """The files the API serves; with ``report`` the HTML report (its charts drawn by ``workers``
    processes), with ``pdf`` also the print PDFs."""
    out_dir = Path(out_dir)
    doc = scorecard_document(sset)
    files = write_outputs(doc, out_dir)
    if report or pdf:
        from forecasting.scorecards.report import render_report

        files |= render_report(doc, out_dir, workers=workers)
    if pdf:
        from forecasting.scorecards.pdf import render_pdfs

        files |= render_pdfs(out_dir, doc)
    return files


def write_outputs(doc: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """scorecards.json (everything), clusters/<id>.json, scorecards.csv (long), ranking.csv, robustness.csv."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "clusters").mkdir(exist_ok=True)
    files = {
        "json": out_dir / "scorecards.json",
        "csv": out_dir / "scorecards.csv",
        "ranking": out_dir / "ranking.csv",
        "robustness": out_dir / "robustness.csv",
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
                    "preview": m["preview"],
                    "reference_year": m["reference_year"],
                    "period": m["period"],
                    "source": m["source"],
                    "vintage": m["vintage"],
                    "data_kind": m["data_kind"],
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
                "band": r["band_label"],
                "robustness_max_shift": r["robustness_max_shift"],
                **{f"star_{k}": v for k, v in r["stars"].items() if k != "label"},
                **{f"area_{k}": v for k, v in r["area_scores"].items()},
                "data_vintage": doc["provenance"]["data_vintage"],
                "model": (doc["provenance"]["model"] or {}).get("label"),
            }
        )
    pd.DataFrame(rk).to_csv(files["ranking"], index=False)
    rob = doc["robustness"]
    pd.DataFrame(
        [{"cluster": c, **ranks, "max_shift": rob["max_shift"][c]} for c, ranks in rob["ranks"].items()]
    ).to_csv(files["robustness"], index=False)
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
