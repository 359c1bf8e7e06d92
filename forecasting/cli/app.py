"""The `invest` command line: one typer app, one module per command group."""

from __future__ import annotations

import importlib

import typer

from forecasting.cli import data_cmd

app = typer.Typer(
    help="Midlands investment trend forecasting: data, training, models, API, scenarios, scorecards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cmd.app, name="data")


def _optional(module: str) -> object | None:
    """Command groups whose module is present register themselves (keeps the CLI importable)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


_fc = _optional("forecasting.cli.forecast_csv_cmd")
if _fc is not None:
    app.command("forecast-csv")(_fc.forecast_csv)
_train = _optional("forecasting.cli.train_cmd")
if _train is not None:
    app.command("train")(_train.train)
_models = _optional("forecasting.cli.models_cmd")
if _models is not None:
    app.add_typer(_models.app, name="models")

from forecasting.cli import run_cmd  # noqa: E402

app.command("run")(run_cmd.run)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
