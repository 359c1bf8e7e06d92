"""`invest serve`: the forecast API under uvicorn.

Cheap to import (typer only): uvicorn and the app load inside the command. Options that belong to the
app are passed as ``INVEST_API_*`` environment variables so every worker process sees the same settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Worker processes (each holds the model; set INVEST_API_POLL_SECONDS so all follow a promotion).",
    ),
    alias: str | None = typer.Option(None, "--alias", help="Registry alias to serve (default champion)."),
    bundle: Path | None = typer.Option(
        None, "--bundle", help="Serve a local bundle folder instead of the registry."
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="Log every request (slower)."
    ),
) -> None:
    """Run the forecast API (FastAPI) over investment-forecaster@champion; docs at /docs."""
    import uvicorn

    # An unreachable registry must not stall start-up for minutes (MLflow's defaults: 120 s x 7 retries);
    # the app then serves its cached bundle and says so on /health.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    if alias:
        os.environ["INVEST_API_MODEL_ALIAS"] = alias
    if bundle is not None:
        os.environ["INVEST_API_BUNDLE_PATH"] = str(bundle.resolve())
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":  # `python -m forecasting.cli.serve_cmd` until the lead registers `invest serve`
    typer.run(serve)
