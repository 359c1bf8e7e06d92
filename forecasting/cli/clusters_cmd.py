"""`invest clusters show|validate|discover`: the cluster definitions, their validation and new candidates.

Register with ``app.add_typer(clusters_cmd.app, name="clusters")``. ``validate`` and ``discover`` also
write their JSON beside the scorecards (``<data_dir>/reports/scorecards/cluster_validation.json``,
``cluster_candidates.json``), which the API serves; a bad definitions file stops them before anything is
read or written.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from forecasting.cli.common import console, get_settings, print_json, user_errors

app = typer.Typer(
    help="Cluster definitions (SIC baskets), their validation and candidate clusters.", no_args_is_help=True
)

DEFINITIONS = typer.Option(
    None, "--definitions", help="Cluster definitions TOML (default: the shipped file)."
)


def _out_dir(out: Path | None) -> Path:
    return out or get_settings().scorecards_dir


@app.command("show")
def show(
    definitions: Path | None = DEFINITIONS,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The 25 clusters' SIC baskets with apportioning shares, rationale, source and the overlap audit."""
    from forecasting.reference.clusters import load_definitions, sic_lookup_file

    with user_errors():
        d = load_definitions(definitions, sic_lookup_file(get_settings())).as_dict()
    if as_json:
        print_json(d)
        return
    t = Table(title=f"Cluster definitions ({d['file']})")
    for col in ("id", "basket (SIC 2007, share)", "rationale"):
        t.add_column(col, overflow="fold")
    for c in d["clusters"]:
        basket = ", ".join(b["sic"] + (f"×{b['share']:g}" if b["share"] != 1 else "") for b in c["basket"])
        t.add_row(c["id"], basket, c["rationale"])
    console.print(t)
    for o in d["overlap_audit"]:
        holders = ", ".join(f"{k} {v:g}" for k, v in o["holders"].items())
        console.print(f"shared SIC {o['sic']}: {holders} (total {o['total_share']:g})")


@app.command("validate")
def validate(
    definitions: Path | None = DEFINITIONS,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for cluster_validation.json (default: the scorecards folder)."
    ),
) -> None:
    """Test each declared cluster: specialisation, critical mass, growth, concentration -> a verdict."""
    from forecasting.clusters.evidence import validation_document, write_document
    from forecasting.reference.clusters import sic_lookup_file

    s = get_settings()
    with user_errors():
        doc = validation_document(s.warehouse, definitions, sic_lookup_file(s))
        write_document(doc, _out_dir(out) / "cluster_validation.json")
    if as_json:
        print_json(doc)
        return
    t = Table(title=f"Cluster validation (BRES {doc['first_year']}-{doc['year']})")
    for col in ("cluster", "verdict", "LQ (range)", "jobs", "competitive effect", "why"):
        t.add_column(col, overflow="fold")
    for r in doc["clusters"]:
        sp = r["specialisation"]
        t.add_row(
            r["cluster"],
            r["verdict"],
            f"{sp['midlands_lq']:.2f} ({sp['lq_low']:.2f}-{sp['lq_high']:.2f})",
            f"{r['critical_mass']['jobs']:,}",
            f"{r['growth']['competitive_effect']:+.1f}% a year",
            r["reason"],
        )
    console.print(t)
    console.print(", ".join(f"{k}: {v}" for k, v in doc["counts"].items()))


@app.command("discover")
def discover(
    definitions: Path | None = DEFINITIONS,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for cluster_candidates.json (default: the scorecards folder)."
    ),
) -> None:
    """Candidate clusters the declared list misses: specialised, sizeable and co-locating industry groups."""
    from forecasting.clusters.evidence import candidates_document, write_document
    from forecasting.reference.clusters import sic_lookup_file

    s = get_settings()
    with user_errors():
        doc = candidates_document(s.warehouse, definitions, sic_lookup_file(s))
        write_document(doc, _out_dir(out) / "cluster_candidates.json")
    if as_json:
        print_json(doc)
        return
    t = Table(title="Candidate clusters")
    for col in ("candidate", "kind", "LQ (range)", "Midlands jobs", "overlap with declared"):
        t.add_column(col, overflow="fold")
    for c in doc["candidates"]:
        ov = ", ".join(f"{k} {v:.0%}" for k, v in c["overlap"].items()) or "none"
        t.add_row(
            c["name"],
            c["kind"],
            f"{c['midlands_lq']:.2f} ({c['lq_low']:.2f}-{c['lq_high']:.2f})",
            f"{c['jobs']:,}",
            ov,
        )
    console.print(t)
