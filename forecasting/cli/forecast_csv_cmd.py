"""``invest forecast-csv``: forecast every series in a CSV (series_id, period, value) to a CSV.

Registered on the main app by ``forecasting/cli/app.py`` (``app.command("forecast-csv")(forecast_csv)``).
Bad input is the user's to fix, so it is reported as one red line and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forecasting.cli.common import err_console, fail
from forecasting.errors import InvalidParameter, InvestError


def _parse_levels(levels: str) -> tuple[float, ...]:
    try:
        out = tuple(float(x) for x in levels.split(",") if x.strip())
    except ValueError as exc:
        raise InvalidParameter(
            f"--levels must be comma-separated numbers like 80,95, got {levels!r}"
        ) from exc
    if not out or any(not 0 < x < 100 for x in out):
        raise InvalidParameter(f"--levels must be numbers in (0, 100), got {levels!r}")
    return out


def forecast_csv(
    input: Path = typer.Argument(..., help="CSV with columns series_id, period, value."),
    horizon: int = typer.Option(
        ...,
        "--horizon",
        help="Periods ahead to forecast (at most 30 years: 30 annual, 120 quarterly or 360 monthly steps).",
    ),
    frequency: str | None = typer.Option(
        None, "--frequency", help="year, quarter or month (default: infer)."
    ),
    method: str = typer.Option("auto", "--method", help="'auto' or a registered model name."),
    levels: str = typer.Option("80,95", "--levels", help="Interval levels, comma-separated."),
    output: Path = typer.Option(Path("forecast.csv"), "-o", "--output", help="Where to write the forecasts."),
    seed: int = typer.Option(0, "--seed", help="Seed for stochastic models."),
    non_negative: bool = typer.Option(
        False,
        "--non-negative",
        help="Never forecast below zero (counts, stocks). Without it only series whose id names a measure "
        "declared non-negative are floored; net flows can be negative.",
    ),
) -> None:
    """Forecast each series in INPUT and write series_id, period, step, mean, lo/hi per level, method."""
    from forecasting.forecast_table import (
        csv_safe,
        for_display,
        forecast_csv_stream,
        forecast_frame,
        read_annual_panel,
        read_forecast_input,
    )

    try:
        lv = _parse_levels(levels)
        if horizon < 1:
            raise InvalidParameter(f"--horizon must be >= 1, got {horizon}")
        _check_output(output)  # before minutes of forecasting, not after
        panel = read_annual_panel(input) if frequency in (None, "year") else None
        if panel is not None:  # many annual series: vectorised and streamed to the file
            with _progress() as report, _scheduler() as (backend, scheduler):
                rows = forecast_csv_stream(
                    panel,
                    horizon,
                    output,
                    method=method,
                    levels=lv,
                    non_negative=non_negative,
                    progress=report,
                    backend=backend,
                    scheduler=scheduler,
                )
            if rows is not None:
                err_console.print(f"[green]wrote {rows} rows for {len(panel)} series to {output}[/green]")
                return
        df = read_forecast_input(input, frequency=frequency)
        _check_magnitude(df)
        n = df["series_id"].nunique()
        with _progress() as report:
            out = forecast_frame(
                df,
                horizon,
                frequency=frequency,
                method=method,
                levels=lv,
                seed=seed,
                progress=report,
                non_negative=non_negative,
            )
    except InvestError as exc:
        _fail(str(exc))
    except (OverflowError, FloatingPointError) as exc:  # a safety net: _check_magnitude should prevent it
        _fail(
            f"{input}: the numbers overflowed while forecasting ({exc}); rescale the values (e.g. divide by "
            "1e6 and say so in the unit) and run again"
        )
    except OSError as exc:
        _fail(f"-o {output}: cannot write the output file ({exc.strerror or exc})")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        csv_safe(for_display(out, df)).to_csv(output, index=False)
    except OSError as exc:
        _fail(f"-o {output}: cannot write the output file ({exc.strerror or exc})")
    err_console.print(f"[green]wrote {len(out)} rows for {n} series to {output}[/green]")


@contextmanager
def _scheduler() -> Iterator[tuple[str, Any]]:
    """(backend, scheduler) for the work: joblib processes, or Dask when ``INVEST_DASK_SCHEDULER`` says so
    (``local``: a ``distributed.LocalCluster`` for this run, closed after it; else a scheduler address)."""
    from forecasting.settings import get_settings

    address = get_settings().dask_scheduler
    if not address:
        yield "joblib", None
        return
    if address != "local":
        yield "dask", address
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        yield "dask", client


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """``report(phase, done, total)``: a rich bar on a terminal, else a plain line per update (logs, CI)."""
    if err_console.is_terminal:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
        ) as bar:
            tasks: dict[str, Any] = {}

            def update(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            yield update
        return
    start = time.monotonic()

    def line(phase: str, done: int, total: int) -> None:
        print(
            f"forecast-csv: {phase} {done}/{total} series ({time.monotonic() - start:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    yield line


def _check_magnitude(df: Any) -> None:
    """Refuse (in words, naming the series and row) values too large to forecast with finite arithmetic."""
    from forecasting.forecast_table import MAX_MAGNITUDE

    values = df["value"].abs()
    if not len(values) or values.max() <= MAX_MAGNITUDE:
        return
    row = values.idxmax()
    sid, value = df.loc[row, "series_id"], df.loc[row, "value"]
    raise InvalidParameter(
        f"series {sid!r}: value {value:.3g} (period {df.loc[row, 'period']}) is too large to forecast: "
        f"values must be at most {MAX_MAGNITUDE:.0e} in magnitude so that the arithmetic stays finite; "
        "rescale the series (e.g. divide by 1e6 and say so in the unit) and run again"
    )


def _check_output(output: Path) -> None:
    """-o must name a file whose folder exists or can be created (an existing folder is not a file)."""
    if output.is_dir():
        raise InvalidParameter(
            f"-o {output}: is a directory; expected a file name, e.g. {output / 'forecast.csv'}"
        )
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameter(
            f"-o {output}: cannot create its folder {parent} ({exc.strerror or exc})"
        ) from None
    if not os.access(parent, os.W_OK):
        raise InvalidParameter(f"-o {output}: the folder {parent} is not writable")


def _fail(message: str) -> None:
    fail(message)  # one red line, exit 2 (the same as every command)
