"""`invest serve`: the forecast API under uvicorn.

Cheap to import (typer only): uvicorn and the app load inside the command. Options that belong to the
app are passed as ``INVEST_API_*`` environment variables so every worker process sees the same settings.
Prometheus metrics run in prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` names a
folder (``<data_dir>/metrics/port-<port>`` unless set) emptied at start, where every worker writes its
counters, so ``/metrics`` counts the requests of all workers, not of the one that answers the scrape.
"""

from __future__ import annotations

from pathlib import Path

import typer

METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The listen backlog asked for: as long as the system allows (Linux caps it at net.core.somaxconn, 4096 by
# default). uvicorn's 2,048 filled up under a flood of reconnecting slow clients, and a connection that
# finds the accept queue full has its SYN dropped: the client's TCP resends it only after a second, so a
# /health probe then takes over a second however idle the server is. A queued connection waits only for
# the server to accept those ahead of it.
LISTEN_BACKLOG = 65535


def metrics_dir(port: int) -> Path:
    """The multiprocess metrics folder, emptied of old ``*.db`` files (counts restart with the server):
    ``PROMETHEUS_MULTIPROC_DIR`` when set, else ``<data_dir>/metrics/port-<port>``.

    A fixed folder per port rather than a temporary one removed at exit: uvicorn re-raises SIGTERM/SIGINT
    after its shutdown, so no exit hook runs; the next start on the port cleans up instead. Set before
    uvicorn imports the app, since prometheus-client picks its mode when first imported."""
    from forecasting.settings import get_settings, set_environment

    settings = get_settings()
    path = settings.api.metrics_dir or settings.data_dir / "metrics" / f"port-{port}"
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    set_environment({METRICS_ENV: str(path)})
    return path


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to the hard limit (workers inherit it); the soft limit now.

    Every connection is a file descriptor: with the common soft limit of 1024 a few hundred slow clients
    would stop ``accept``. Best effort: where the limit cannot be read or raised the current one stays."""
    try:
        import resource
    except ImportError:  # not POSIX
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return int(want if soft == resource.RLIM_INFINITY else soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return int(want)
    except (ValueError, OSError):
        return int(soft)


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

    from forecasting.settings import set_environment

    # An unreachable registry must not stall start-up for minutes (MLflow's defaults: 120 s x 7 retries);
    # the app then serves its cached bundle and says so on /health.
    set_environment(
        {"MLFLOW_HTTP_REQUEST_TIMEOUT": "15", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2"}, only_if_unset=True
    )
    # the workers are fresh processes: the command's options reach their settings through the environment
    if alias:
        set_environment({"INVEST_API_MODEL_ALIAS": alias})
    if bundle is not None:
        set_environment({"INVEST_API_BUNDLE_PATH": str(bundle.resolve())})
    metrics_dir(port)
    raise_fd_limit()  # before uvicorn starts: workers inherit it
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
        # Bounded connections (service/connections.py, limits from INVEST_API_*): keep-alive and header
        # timeouts, header size, a connection cap kept below the file-descriptor limit.
        http="service.connections:BoundedHTTPProtocol",
        backlog=LISTEN_BACKLOG,
    )


if __name__ == "__main__":  # `python -m forecasting.cli.serve_cmd` until the lead registers `invest serve`
    typer.run(serve)
