"""Static HTML report: an overview ranking with rank intervals and one page per cluster.

Why static files: the report goes into board packs and onto shared drives; PNG charts and inline CSS
open anywhere (no server, no scripts, no network). Everything shown comes from ``ScorecardSet.to_dict``,
the same document the API serves, so the report and the API cannot disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from forecasting.scorecards import charts
from forecasting.scorecards.build import ScorecardSet

TEMPLATES = Path(__file__).parent / "templates"
STAR_NAMES = ("size", "specialisation", "focus", "momentum")
SHORT_AREAS = {
    "business_population": "Business pop.",
    "support_environment": "Support env.",
    "innovation": "Innovation",
    "investment_stocks": "Inv. stocks",
    "investment_trends": "Inv. trends",
}


def fmt(value: Any, spec: str = ".2f") -> str:
    """A number in the catalogue's format; an em dash for missing."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "–"
    return format(v, spec).replace("-", "−")


def stars(s: dict[str, Any]) -> Markup:
    out = []
    for k in STAR_NAMES:
        v = s.get(k)
        title = f"{k}: {'yes' if v else ('not assessable' if v is None else 'no')}"
        glyph = "★" if v else ("–" if v is None else "☆")
        cls = "" if v else ' class="no"'
        out.append(f'<span{cls} title="{title}">{glyph}</span>')
    return Markup("".join(out))


def star_text(s: dict[str, Any]) -> str:
    got = [k for k in STAR_NAMES if s.get(k)]
    na = " (momentum not assessable)" if s.get("momentum") is None else ""
    return ("stars: " + ", ".join(got) if got else "no stars") + na


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(fmt=fmt, stars=stars, star_text=star_text)
    return env


def _footer(doc: dict[str, Any], model_label: str) -> str:
    return f"Source: ONS via the project warehouse, vintage {doc['provenance']['data_vintage']}; forecasts {model_label}."


def render_report(sset: ScorecardSet, out_dir: Path, cluster_pages: bool = True) -> Path:
    """Write ``index.html``, ``clusters/<id>.html`` and ``img/*.png`` under ``out_dir``; returns index."""
    doc = sset.to_dict()
    out_dir = Path(out_dir)
    (out_dir / "img").mkdir(parents=True, exist_ok=True)
    (out_dir / "clusters").mkdir(exist_ok=True)
    prov = doc["provenance"]
    model_label = (
        prov["model"]["label"] if prov["model"] else "no champion model (forecast metrics unavailable)"
    )
    footer = _footer(doc, model_label)
    sources = sorted({s for c in doc["clusters"] for m in c["metrics"] for s in (m["source_ids"] or [])})
    env = _env()
    common = {"prov": prov, "model_label": model_label, "notes": doc["notes"], "areas": doc["areas"]}

    charts.rank_intervals(
        doc["ranking"],
        out_dir / "img" / "rank_intervals.png",
        footer + f" {prov['draws']} draws, seed {prov['seed']}.",
    )
    names = {m["id"]: m["name"] for m in doc["catalogue"]}
    excluded = doc["excluded_metrics"]
    (out_dir / "index.html").write_text(
        env.get_template("overview.html.j2").render(
            **common,
            ranking=doc["ranking"],
            catalogue=doc["catalogue"],
            excluded=excluded,
            audit=doc["audit"],
            metric_names=names,
            short_areas=SHORT_AREAS,
            n_scored=len(doc["scored_metrics"]),
            sources_text=", ".join(sources),
        ),
        encoding="utf-8",
    )

    medians = {
        a: float(
            np.nanmedian(
                [
                    c["area_scores"].get(a) if c["area_scores"].get(a) is not None else np.nan
                    for c in doc["clusters"]
                ]
            )
        )
        for a in doc["areas"]
        if any(c["area_scores"].get(a) is not None for c in doc["clusters"])
    }
    page = env.get_template("cluster.html.j2")
    for c in doc["clusters"] if cluster_pages else []:
        cid = c["id"]
        charts.area_profile(
            c["area_scores"], doc["areas"], medians, out_dir / "img" / f"{cid}_areas.png", footer
        )
        rows = [
            {
                "name": m["name"],
                "position": m["normalised"]
                if sset.normalisation != "minmax"
                else float(sset.mc_position(cid, m["id"])),
                "is_synthetic": m["is_synthetic"],
            }
            for m in c["metrics"]
            if m["scored"]
        ]
        charts.metric_positions(rows, out_dir / "img" / f"{cid}_positions.png", footer)
        hist = charts.investment_history(
            c["investment_path"] or {}, out_dir / "img" / f"{cid}_history.png", footer
        )
        (out_dir / "clusters" / f"{cid}.html").write_text(
            page.render(**common, c=c, history_img=hist is not None), encoding="utf-8"
        )
    return out_dir / "index.html"
