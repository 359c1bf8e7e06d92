"""`invest scorecards`: the 25 cluster scorecards (JSON, CSV), the HTML report and the print PDFs.

Register with ``app.command("scorecards")(scorecards_cmd.scorecards)``; ``invest run`` calls
``write_scorecards()`` as its last step (there a missing browser only skips the PDFs, with a warning).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from forecasting.cli.common import console, err_console, get_settings, user_errors

if TYPE_CHECKING:
    from forecasting.settings import Settings


def default_out_dir() -> Path:
    """Where the report and the files the API serves live: ``<data_dir>/reports/scorecards``."""
    return get_settings().scorecards_dir


def _champion(alias: str, bundle_path: Path | None, tracking_uri: str | None) -> object | None:
    """The champion bundle, or None (scorecards still build, forecast metrics marked unavailable)."""
    from forecasting.registry.loader import BundleUnavailable, load_bundle

    s = get_settings()
    try:
        uri = tracking_uri or s.mlflow_uri  # a --bundle given as a registry URI is read from it too
        return load_bundle(bundle_path, model_name=s.model_name, alias=alias, tracking_uri=uri)
    except BundleUnavailable as exc:
        err_console.print(
            f"[yellow]no {alias} model available ({exc}); forecast metrics will be marked unavailable[/]"
        )
        return None


def _write_evidence(s: Settings, out: Path, held: dict[str, Any]) -> str | None:
    """Write cluster_validation.json and cluster_candidates.json (from the rows ``held`` and what else
    they need); why not, when they cannot be built."""
    from forecasting.clusters.evidence import write_evidence
    from forecasting.errors import InvestError
    from forecasting.reference.clusters import sic_lookup_file

    try:
        write_evidence(s.warehouse, out, lookup=sic_lookup_file(s), held=held)
    except InvestError as exc:
        return str(exc)
    return None


def write_scorecards(
    weights: Path | None = None,
    out: Path | None = None,
    *,
    alias: str = "champion",
    bundle_path: Path | None = None,
    tracking_uri: str | None = None,
    seed: int | None = None,
    draws: int = 1000,
    replicates: int = 40,
    check_draws: int = 100,
    no_model: bool = False,
    pdf: bool = True,
    pdf_required: bool = False,
    workers: int | None = None,
) -> Path:
    """Build and write everything; returns the report's index.html (also used by `invest run`).

    ``pdf_required``: a PDF that cannot be printed (no Chromium) is an error; otherwise a warning.
    ``workers``: processes to use (default: the cores this process may run on); the files are the same.
    """
    from concurrent.futures import ThreadPoolExecutor

    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.catalogue import ScorecardError
    from forecasting.scorecards.document import scorecard_document
    from forecasting.scorecards.forked import Forked, available_workers
    from forecasting.scorecards.inputs import load_inputs
    from forecasting.scorecards.publish import publish

    s = get_settings()
    out = out or default_out_dir()
    workers = available_workers() if workers is None else workers
    # The registry read overlaps the warehouse read in a thread (DuckDB runs without the GIL); both are
    # done before anything is forked.
    with ThreadPoolExecutor(1) as pool:
        champion = None if no_model else pool.submit(_champion, alias, bundle_path, tracking_uri)
        inputs = load_inputs(s.warehouse)
        bundle = None if champion is None else champion.result()
    # Validation and candidate chapters (and the API's documents), from the rows just read: a forked child
    # writes them while this process builds the scorecards, which do not need them.
    evidence = Forked(_write_evidence, s, out, inputs.obs, fork=workers > 1)
    sset = build_scorecards(
        s.warehouse,
        bundle,
        weights,
        seed if seed is not None else s.seed,
        draws=draws,
        replicates=replicates,
        check_redraws=check_draws,
        inputs=inputs,
        workers=workers,
    )
    warning = evidence.result()  # the report's chapters read the files it wrote
    if warning:
        err_console.print(f"[yellow]cluster validation and candidates not written: {warning}[/]")
    try:
        files = publish(sset, out, pdf=pdf, workers=workers)
    except ScorecardError as exc:
        if pdf_required or not pdf:
            raise
        err_console.print(f"[yellow]PDFs not written: {exc}[/]")
        files = publish(sset, out, pdf=False, workers=workers)
    doc = scorecard_document(sset)
    prov = doc["provenance"]
    console.print(
        f"{len(doc['clusters'])} scorecards · data vintage {prov['data_vintage']} · "
        f"model {(prov['model'] or {}).get('label', 'none')} · partner data {prov['partner_data']} · "
        f"Monte Carlo {prov['draws']} draws over {prov['replicates']} input replicates "
        f"({sset.elapsed['replicates_s'] + sset.elapsed['monte_carlo_s']:.1f}s)"
    )
    for r in doc["ranking"]:
        iv = r["rank_interval"]
        console.print(
            f"  {r['rank']:>2}. {r['name']:<36} score {r['score']:5.1f}  rank 5-95%: {iv['p05']:>2}-{iv['p95']:<2} "
            f"({r['band_label']}) · {r['stars']['label']}"
        )
    if sset.coverage:
        cov = sset.coverage
        console.print(
            f"interval check: headline ranks under {cov['draws']} re-drawn inputs fall inside the published "
            f"5-95% intervals in {cov['pooled']:.1%} of cases (lowest cluster {cov['min_cluster']:.0%})"
        )
    for m, why in doc["excluded_metrics"].items():
        console.print(f"  not scored: {m} — {why}")
    index = out / "index.html"
    console.print(f"report: {index}")
    from forecasting.cli.models_cmd import report_scorecard_staleness

    report_scorecard_staleness(out, tracking_uri)
    if "pdf" in files:
        console.print(
            f"PDF: {files['pdf']} (+ {sum(1 for k in files if k.startswith('pdf:'))} cluster PDFs in {out / 'pdf'})"
        )
    return index


def scorecards(
    weights: Path | None = typer.Option(
        None, "--weights", help="TOML weights file ([areas] and [metrics]); default equal."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output directory; default <data_dir>/reports/scorecards."
    ),
    alias: str = typer.Option("champion", "--alias", help="Registry alias of the forecast model."),
    bundle: Path | None = typer.Option(
        None, "--bundle", help="Use this local bundle folder instead of the registry."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Monte Carlo seed; default INVEST_SEED."),
    draws: int = typer.Option(1000, "--draws", min=10, max=100_000, help="Monte Carlo draws."),
    replicates: int = typer.Option(
        40,
        "--replicates",
        min=1,
        max=1000,
        help="Input replicates (re-drawn published inputs) the draws cycle through.",
    ),
    check_draws: int = typer.Option(
        100,
        "--check-draws",
        min=0,
        max=10_000,
        help="Independent input re-draws to check interval coverage (0 = skip).",
    ),
    no_model: bool = typer.Option(
        False, "--no-model", help="Build without forecasts (forecast metrics unavailable)."
    ),
    pdf: bool = typer.Option(
        True, "--pdf/--no-pdf", help="Print scorecards.pdf and pdf/<id>.pdf (headless Chromium)."
    ),
) -> None:
    """Write the 25 cluster scorecards (JSON, CSV), the HTML report and the print PDFs."""
    with user_errors():
        write_scorecards(
            weights,
            out,
            alias=alias,
            bundle_path=bundle,
            seed=seed,
            draws=draws,
            replicates=replicates,
            check_draws=check_draws,
            no_model=no_model,
            pdf=pdf,
            pdf_required=pdf,
        )
