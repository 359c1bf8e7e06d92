"""The `invest` command line: one typer app, one module per command group."""

from __future__ import annotations

import typer

from forecasting.cli import (
    clusters_cmd,
    data_cmd,
    forecast_csv_cmd,
    models_cmd,
    profiles_cmd,
    run_cmd,
    scenario_cmd,
    scorecards_cmd,
    serve_cmd,
    train_cmd,
)
from forecasting.cli import track_record_cmd as track_record_cmd

app = typer.Typer(
    help="Midlands investment trend forecasting: data, training, models, API, scenarios, scorecards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # -h is help everywhere (no command may use it for anything else)
    context_settings={"help_option_names": ["-h", "--help"]},
    # Help texts are plain text: with rich markup, "[areas]" or "[execution]" in a help string would be
    # read as a style tag and vanish ("TOML weights file ( and )"). This applies to every sub-command.
    rich_markup_mode=None,
)
app.command("run")(run_cmd.run)
app.add_typer(data_cmd.app, name="data")
app.command("forecast-csv")(forecast_csv_cmd.forecast_csv)
app.command("train")(train_cmd.train)
app.add_typer(models_cmd.app, name="models")
app.command("serve")(serve_cmd.serve)
app.add_typer(scenario_cmd.app, name="scenario")
app.command("scorecards")(scorecards_cmd.scorecards)
app.command("profiles")(profiles_cmd.profiles)
app.add_typer(clusters_cmd.app, name="clusters")
app.command("track-record")(track_record_cmd.track_record)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
