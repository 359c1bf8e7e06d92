"""`invest track-record`: replay every published vintage of a series and score its forecasts."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import typer

from forecasting.cli.common import console, err_console, print_json, user_errors

DEFAULT_EXPERIMENT = Path("experiments/default.toml")


def _fmt(v: float, digits: int = 2) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def track_record(
    series: list[str] = typer.Option(
        [],
        "--series",
        "-s",
        help="Series id (repeatable). Default: the experiment's headline series with 2+ releases.",
    ),
    experiment: Path = typer.Option(
        DEFAULT_EXPERIMENT, "--experiment", "-e", help="Experiment whose engine settings are replayed."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Per vintage: forecasts, quantiles, outturns; summary."
    ),
    backend: str | None = typer.Option(
        None, "--backend", help="joblib (local processes), dask or serial; default: the config's [execution]."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --backend dask)."
    ),
    n_jobs: int | None = typer.Option(None, "--n-jobs", help="Local worker processes (-1 = all CPUs)."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Also write the track record as a Markdown document (docs/TRACK_RECORD.md)."
    ),
    attach: bool = typer.Option(
        False,
        "--attach",
        help="Keep the result under the data dir: the next invest train / invest run puts it in the bundle "
        "(and so in the API's /v1/track-record).",
    ),
) -> None:
    """Train the experiment's engine on each release of a series as published then; score against the
    newest release by horizon (levels within one reference year; calendar-year growth always), beside
    no-change and drift."""
    from forecasting.errors import InvalidParameter
    from forecasting.settings import get_settings
    from forecasting.training.config import load_config
    from forecasting.training.pipeline import with_execution
    from forecasting.training.track_record import record_json, replay, replayable_series, summary_table
    from forecasting.warehouse.snapshot import open_snapshot

    with user_errors():
        if backend not in (None, "joblib", "dask", "serial"):
            raise InvalidParameter(f"--backend {backend!r}: expected joblib, dask or serial")
        serial = backend == "serial"
        cfg = with_execution(
            load_config(experiment), backend=None if serial else backend, scheduler=scheduler
        )
        ex = cfg.execution
        chosen_backend = "serial" if serial else ex.backend
        with open_snapshot(get_settings().warehouse) as wh:
            ids = list(series)
            if not ids:
                multi = set(replayable_series(wh, cfg.data.measures))
                ids = [s for s in cfg.outputs.headline if s in multi]
            if not ids:
                err_console.print("no series with two or more releases in the warehouse: nothing to replay")
                raise typer.Exit(1)
            t0 = time.perf_counter()
            records = replay(
                wh,
                ids,
                cfg,
                backend=chosen_backend,
                scheduler=ex.scheduler,
                n_jobs=n_jobs if n_jobs is not None else ex.n_jobs,
            )
            seconds = time.perf_counter() - t0
        from datetime import UTC, datetime

        if markdown is not None:
            from forecasting.training.track_record import markdown as to_markdown

            parts = ["invest track-record", *(f"--series {x}" for x in series)]
            if experiment != DEFAULT_EXPERIMENT:
                parts.append(f"--experiment {experiment}")
            parts.append(f"--markdown {markdown}")
            command = " ".join(parts)
            when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            markdown.write_text(to_markdown(records, command, seconds, when), encoding="utf-8")
            err_console.print(f"wrote {markdown}")
        if attach:
            from forecasting.training.track_record import attach as attach_records

            folder = attach_records(
                records, get_settings().data_dir, datetime.now(UTC).isoformat(timespec="seconds")
            )
            err_console.print(f"attached to {folder}: the next `invest train` / `invest run` bundles it")
    if as_json:
        print_json(
            {
                "experiment": str(experiment),
                "seconds": round(seconds, 1),
                "series": [record_json(r) for r in records],
            }
        )
        return
    table = summary_table(records)
    header = (
        f"track record: {len(records)} series, experiment {cfg.experiment.name}, {seconds:.0f}s; "
        "level errors: mean absolute % of the outturn; growth: mean absolute error of calendar-year "
        "growth in percentage points (horizon = years after the release year); ratio < 1 beats no-change"
    )
    rows = [
        [
            str(r["series_id"]),
            str(r["kind"]),
            str(r["horizon"]),
            str(r["n"]),
            _fmt(r["model"]),
            _fmt(r["naive"]),
            _fmt(r["drift"]),
            _fmt(r.get("bridge")),
            _fmt(r["ratio_naive"]),
            _fmt(r["coverage80"]),
            _fmt(r["coverage95"]),
        ]
        for r in (table.to_dict("records") if not table.empty else [])
    ]
    cols = [
        "series",
        "kind",
        "horizon",
        "n",
        "model",
        "no-change",
        "drift",
        "bridge",
        "ratio",
        "cov80",
        "cov95",
    ]
    for r in records:
        for n in r.notes:
            err_console.print(f"{r.series_id}: {n}")
    if sys.stdout.isatty():
        from rich.table import Table

        t = Table(title=header)
        for c in cols:
            t.add_column(c, justify="left" if c in ("series", "kind") else "right")
        for row in rows:
            t.add_row(*row)
        console.print(t)
    else:
        sys.stdout.write(header + "\n" + "\t".join(cols) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
