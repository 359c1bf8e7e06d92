"""`invest scorecards`: the 25 cluster scorecards (JSON, CSV) and the static HTML report.

Register with ``app.command("scorecards")(scorecards_cmd.scorecards)``; ``invest run`` can call
``write_scorecards()`` as its last step.
"""

from __future__ import annotations

from pathlib import Path

import typer

from forecasting.cli.common import console, err_console, user_errors
from forecasting.settings import get_settings


def default_out_dir() -> Path:
    """Where the report and the files the API serves live: ``<data_dir>/reports/scorecards``."""
    return get_settings().reports_dir / "scorecards"


def _champion(alias: str, bundle_path: Path | None, tracking_uri: str | None) -> object | None:
    """The champion bundle, or None (scorecards still build, forecast metrics marked unavailable)."""
    from forecasting.registry.loader import BundleUnavailable, load_bundle

    s = get_settings()
    try:
        if bundle_path is not None:
            return load_bundle(bundle_path, model_name=s.model_name, alias=alias)
        return load_bundle(model_name=s.model_name, alias=alias, tracking_uri=tracking_uri or s.mlflow_uri)
    except BundleUnavailable as exc:
        err_console.print(
            f"[yellow]no {alias} model available ({exc}); forecast metrics will be marked unavailable[/]"
        )
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
    no_model: bool = False,
) -> Path:
    """Build and write everything; returns the report's index.html (also used by `invest run`)."""
    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish

    s = get_settings()
    out = out or default_out_dir()
    bundle = None if no_model else _champion(alias, bundle_path, tracking_uri)
    sset = build_scorecards(s.warehouse, bundle, weights, seed if seed is not None else s.seed, draws=draws)
    publish(sset, out)
    top = sset.to_dict()["ranking"][:5]
    console.print(
        f"25 scorecards · data vintage {sset.data_vintage} · "
        f"model {(sset.model or {}).get('label', 'none')} · Monte Carlo {sset.mc.draws} draws in "
        f"{sset.elapsed['monte_carlo_s']:.2f}s"
    )
    for r in top:
        iv = r["rank_interval"]
        console.print(
            f"  {r['name']:<36} median rank {iv['median']:>2} (5-95%: {iv['p05']}-{iv['p95']}, {r['band_label']})"
        )
    index = out / "index.html"
    console.print(f"report: {index}")
    from forecasting.cli.models_cmd import report_scorecard_staleness

    report_scorecard_staleness(out, tracking_uri)
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
    no_model: bool = typer.Option(
        False, "--no-model", help="Build without forecasts (forecast metrics unavailable)."
    ),
) -> None:
    """Write the 25 cluster scorecards (JSON, CSV) and the HTML report."""
    with user_errors():
        write_scorecards(
            weights, out, alias=alias, bundle_path=bundle, seed=seed, draws=draws, no_model=no_model
        )
