"""Static HTML report and the print document the PDFs are made from, both from the served document.

Why one set of templates for screen and print: the board pack (PDF) and the web report must show the same
numbers and words. ``index.html`` (ranking, robustness), ``methodology.html`` and ``clusters/<id>.html`` are
the web report; ``print.html`` strings the same summary, methodology and cluster partials together, one A4
page each, for ``pdf.py`` to print. PNG charts and inline CSS open anywhere (no server, no scripts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forecasting.scorecards import charts
from forecasting.scorecards.stars import DIMENSIONS

TEMPLATES = Path(__file__).parent / "templates"
SHORT_AREAS = {
    "business_population": "Business",
    "support_environment": "Support",
    "innovation": "Innovation",
    "investment_stocks": "Inv. stocks",
    "investment_trends": "Inv. trends",
}
STAR_SHORT = {"size": "Size", "specialisation": "Spec.", "focus": "Focus", "momentum": "Mom."}
BAND_SHORT = {1: "top half", 2: "either half", 3: "bottom half"}
ALWAYS_SHOWN_FAMILIES = ("structure", "demography", "fdi", "forecast")


def fmt(value: Any, spec: str = ".2f") -> str:
    """A number in the catalogue's format; an en dash for missing."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "–"
    return format(v, spec).replace("-", "−")


def star_mark(v: bool | None) -> str:
    return "–" if v is None else ("★" if v else "☆")


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        fmt=fmt,
        star_mark=star_mark,
        star_dims=DIMENSIONS,
        star_short=STAR_SHORT,
        band_short=BAND_SHORT,
        short_areas=SHORT_AREAS,
    )
    return env


def source_names(doc: dict[str, Any], metric_ids: list[str] | None = None) -> list[str]:
    """Publisher/dataset names of the metrics shown (scored ones by default), in catalogue order."""
    want = set(metric_ids if metric_ids is not None else doc["scored_metrics"])
    out: list[str] = []
    for m in doc["catalogue"]:
        if m["id"] not in want:
            continue
        for part in m["source"].split(";"):
            name = part.strip()
            if name and name not in out:
                out.append(name)
    return out


def reference_text(doc: dict[str, Any]) -> str:
    """'Employment and industry structure 2021 · ... · Forecasts to 2027' for the families in use."""
    used = {m["family"] for m in doc["catalogue"] if m["id"] in doc["scored_metrics"]}
    horizon = next(
        (
            c_m["period"]
            for c_m in doc["clusters"][0]["metrics"]
            if c_m["family"] == "forecast" and c_m["available"] and c_m["period"]
        ),
        None,
    )
    parts = []
    for ry in doc["reference_years"]:
        if ry["family"] not in used and ry["family"] not in ALWAYS_SHOWN_FAMILIES:
            continue
        if ry["rule"] == "horizon":
            if horizon:
                parts.append(f"{ry['label']} {horizon}")
        elif ry["year"] is not None:
            parts.append(f"{ry['label']} {ry['year']}")
    return " · ".join(parts)


def page_context(doc: dict[str, Any]) -> dict[str, Any]:
    """What every page (screen or print) shows in its header and footer."""
    prov = doc["provenance"]
    model_label = (
        prov["model"]["label"] if prov["model"] else "no champion model (forecast metrics unavailable)"
    )
    return {
        "prov": prov,
        "model_label": model_label,
        "notes": doc["notes"],
        "areas": doc["areas"],
        "scored_areas": doc["scored_areas"],
        "sources_text": "; ".join(short_sources(source_names(doc))),
        "reference_text": reference_text(doc),
        "preview_title": "Licensed data preview",
    }


def short_sources(names: list[str], *, forecasts: bool = True) -> list[str]:
    """'ONS BRES (open, rounded) via Nomis' -> 'ONS BRES'; 'ONS BRES and ONS FDI by industry for the
    apportionment' -> 'ONS BRES', 'ONS FDI by industry'; duplicates dropped, order kept."""
    out: list[str] = []
    for name in names:
        name = re.sub(r"\s*\(.*?\)|\s+via Nomis|\s+for the apportionment", "", name).strip()
        for part in re.split(r"\s+and\s+(?=ONS)", name):
            part = part.strip()
            if part and part not in out and (forecasts or not part.startswith("Champion")):
                out.append(part)
    return out


def chart_footer(doc: dict[str, Any], metric_ids: list[str] | None = None, extra: str = "") -> str:
    """A chart's own footer (charts travel alone into board papers): the sources actually drawn."""
    prov = doc["provenance"]
    names = short_sources(source_names(doc, metric_ids), forecasts=False)
    model = f"; forecasts {prov['model']['label']}" if prov["model"] else ""
    return f"Sources: {'; '.join(names)}{model}. Data vintage {prov['data_vintage']}.{extra}"


def _area_medians(doc: dict[str, Any]) -> dict[str, float]:
    return {
        a: float(np.nanmedian([c["area_scores"].get(a) or np.nan for c in doc["clusters"]]))
        for a in doc["scored_areas"]
    }


def _cluster_charts(
    doc: dict[str, Any], c: dict[str, Any], img: Path, pool: charts.FigurePool | None = None
) -> dict[str, str | None]:
    """Draw the cluster's charts; names of the files written (None when a chart does not apply)."""
    cid = c["id"]
    scored = [m for m in c["metrics"] if m["scored"]]
    areas = {a: doc["areas"][a] for a in doc["scored_areas"]}
    charts.area_profile(
        c["area_scores"], areas, _area_medians(doc), img / f"{cid}_areas.png", chart_footer(doc), pool
    )
    rows = [
        {"name": m["name"], "position": _position(doc, c, m), "is_synthetic": False}
        for m in scored
        if m["rank_among"] is not None
    ]
    charts.metric_positions(rows, img / f"{cid}_positions.png", chart_footer(doc), pool)
    path = c["investment_path"] or {}
    fdi, partner = path.get("fdi"), path.get("partner")
    licensed = partner if partner and not partner["is_synthetic"] else None
    fdi_ids = [m["id"] for m in c["metrics"] if m["id"] in ("fdi_position", "forecast_fdi_growth")]
    partner_ids = [m["id"] for m in c["metrics"] if m["data_kind"] == "partner data"]
    hist = charts.investment_history(
        fdi, licensed, img / f"{cid}_history.png", chart_footer(doc, fdi_ids + partner_ids), pool
    )
    preview = None
    if partner and partner["is_synthetic"]:
        preview = charts.partner_preview(
            partner,
            img / f"{cid}_preview.png",
            "Source: synthetic demo partner files generated by the service (not real companies, projects or "
            f"deals); not used in any score. Data vintage {doc['provenance']['data_vintage']}.",
            pool,
        )
    return {
        "areas": f"{cid}_areas.png",
        "positions": f"{cid}_positions.png",
        "history": hist.name if hist else None,
        "preview": preview.name if preview else None,
    }


def _chart_batch(
    doc: dict[str, Any], clusters: list[dict[str, Any]], img: Path
) -> list[dict[str, str | None]]:
    """One batch of clusters' charts on one ``FigurePool`` (text measured once per batch, not per chart)."""
    pool = charts.FigurePool()
    return [_cluster_charts(doc, c, img, pool) for c in clusters]


def _all_cluster_charts(
    doc: dict[str, Any], clusters: list[dict[str, Any]], img: Path, workers: int = 1
) -> list[dict[str, str | None]]:
    """Every cluster's charts (~100 figures): with ``workers`` > 1, one interleaved batch per process,
    this one drawing the first and forked children the others (``forked.fork_map``)."""
    from forecasting.scorecards.forked import fork_map

    n = max(1, min(workers, len(clusters) // 4))
    batches = [clusters[k::n] for k in range(n)]  # interleaved: every batch gets a share of each kind
    done = fork_map(lambda b: _chart_batch(doc, b, img), batches, workers=n)
    by_id = {c["id"]: r for b, rs in zip(batches, done, strict=True) for c, r in zip(b, rs, strict=True)}
    return [by_id[c["id"]] for c in clusters]


def _position(doc: dict[str, Any], c: dict[str, Any], m: dict[str, Any]) -> float:
    n = len(doc["clusters"])
    return 1.0 - (m["rank_among"] - 1) / max(n - 1, 1)


def cluster_evidence(out_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The validation and candidates documents written beside the scorecards (None when not written)."""
    out = []
    for name in ("cluster_validation.json", "cluster_candidates.json"):
        path = Path(out_dir) / name
        out.append(json.loads(path.read_text("utf-8")) if path.is_file() else None)
    return out[0], out[1]


def render_report(
    doc_or_set: Any, out_dir: Path, cluster_pages: bool = True, *, workers: int = 1
) -> dict[str, Path]:
    """Write index.html, methodology.html, clusters/<id>.html, print.html and img/*.png under ``out_dir``;
    ``workers`` processes draw the cluster charts (the files are the same for any number)."""
    doc = doc_or_set if isinstance(doc_or_set, dict) else _document(doc_or_set)
    out_dir = Path(out_dir)
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    (out_dir / "clusters").mkdir(exist_ok=True)
    env = _env()
    common = page_context(doc)
    prov = doc["provenance"]
    charts.rank_intervals(
        doc["ranking"],
        img / "rank_intervals.png",
        chart_footer(
            doc,
            extra=f" {prov['draws']} draws over {prov['replicates']} input replicates, seed {prov['seed']}.",
        ),
    )
    names = {m["id"]: m["name"] for m in doc["catalogue"]}
    ev, cand = cluster_evidence(out_dir)
    verdicts = {r["cluster"]: r["verdict"] for r in ev["clusters"]} if ev else {}
    shared = {**common, "doc": doc, "metric_names": names, "ev": ev, "cand": cand, "verdicts": verdicts}
    files = {}
    files["report"] = out_dir / "index.html"
    files["report"].write_text(
        env.get_template("overview.html.j2").render(**shared, img_prefix="img/"), "utf-8"
    )
    files["methodology"] = out_dir / "methodology.html"
    files["methodology"].write_text(env.get_template("methodology.html.j2").render(**shared), "utf-8")
    if ev:
        files["validation"] = out_dir / "validation.html"
        files["validation"].write_text(env.get_template("validation.html.j2").render(**shared), "utf-8")
    if cand:
        files["candidates"] = out_dir / "candidates.html"
        files["candidates"].write_text(env.get_template("candidates.html.j2").render(**shared), "utf-8")
    clusters = doc["clusters"] if cluster_pages else []
    cluster_imgs = dict(
        zip((c["id"] for c in clusters), _all_cluster_charts(doc, clusters, img, workers), strict=True)
    )
    for c in clusters:
        (out_dir / "clusters" / f"{c['id']}.html").write_text(
            env.get_template("cluster.html.j2").render(
                **shared, c=c, imgs=cluster_imgs[c["id"]], img_prefix="../img/"
            ),
            "utf-8",
        )
    if cluster_pages:
        files["print"] = out_dir / "print.html"
        files["print"].write_text(
            env.get_template("print.html.j2").render(**shared, cluster_imgs=cluster_imgs, img_prefix="img/"),
            "utf-8",
        )
    return files


def _document(sset: Any) -> dict[str, Any]:
    from forecasting.scorecards.document import scorecard_document

    return scorecard_document(sset)
