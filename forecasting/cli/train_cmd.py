"""`invest train`: one tracked training job from an experiment config."""

from __future__ import annotations

from pathlib import Path

import typer

from forecasting.cli.common import console, get_settings, user_errors


def train(
    experiment: Path = typer.Option(
        ..., "--experiment", "-e", help="Experiment config (experiments/*.toml)."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Data vintage id or release date YYYY-MM-DD."),
    tracking_uri: str | None = typer.Option(
        None,
        "--tracking-uri",
        help="MLflow server (default: MLFLOW_TRACKING_URI, else the embedded sqlite store).",
    ),
    register: bool = typer.Option(
        True, "--register/--no-register", help="Register the bundle as a new version."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the live progress display."),
    backend: str | None = typer.Option(
        None, "--backend", help="joblib (local processes) or dask; default: the config's [execution]."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --backend dask)."
    ),
) -> None:
    """Backtest, select, fit, reconcile and forecast; record the run in MLflow and register the bundle."""
    from forecasting.training.pipeline import train_experiment

    with user_errors():
        out = train_experiment(
            experiment,
            settings=get_settings(),
            as_of=as_of,
            tracking_uri=tracking_uri,
            show_progress=progress,
            register=register,
            backend=backend,
            scheduler=scheduler,
        )
    headline = ", ".join(
        f"{m} {out.metrics[m]:.3f}" for m in ("mase", "crps", "coverage80") if m in out.metrics
    )
    console.print(
        f"[green]run {out.run_id}[/] ({out.tracking_uri}) · {out.n_series} series · vintage "
        f"{out.data_vintage} · {headline}"
    )
    if out.version:
        console.print(
            f"registered [bold]{out.model_name} v{out.version}[/] as challenger"
            + (f"; [green]promoted to champion[/] ({out.promotion_note})" if out.promoted else "")
            + (f"; not promoted ({out.promotion_note})" if out.promotion_note and not out.promoted else "")
        )
    console.print(
        f"{out.seconds:.1f}s, of which tracking {out.tracking_seconds:.1f}s ({out.tracking_share:.1%})"
    )
