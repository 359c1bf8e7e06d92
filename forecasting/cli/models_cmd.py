"""`invest models list|compare|promote`: the registered forecast bundles and the champion alias."""

from __future__ import annotations

import math

import typer
from rich.table import Table

from forecasting.cli.common import console, user_errors
from forecasting.settings import get_settings

app = typer.Typer(
    help="Registered forecast bundles: list versions, compare them, promote the champion.",
    no_args_is_help=True,
)

TrackingOpt = typer.Option(
    None, "--tracking-uri", help="MLflow tracking server (default: settings / embedded)."
)
ModelOpt = typer.Option(None, "--model", help="Registered model name (default: settings.model_name).")


def _client(tracking_uri: str | None):
    from forecasting.registry.target import check_reachable, resolve_target, use_tracking

    target = resolve_target(tracking_uri)
    check_reachable(target)
    return use_tracking(target.uri)


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:+.1%}" if pct else f"{v:.3f}"


@app.command("list")
def list_cmd(tracking_uri: str | None = TrackingOpt, model: str | None = ModelOpt) -> None:
    """Versions (newest first) with aliases, data vintage, experiment and headline backtest metrics."""
    from forecasting.registry.promotion import HEADLINE_METRICS, list_versions

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        versions = list_versions(client, name)
    if not versions:
        console.print(
            f"no versions of {name!r} registered yet: run `invest train --experiment experiments/quick.toml`"
        )
        return
    t = Table(title=f"{name}")
    for c in ("version", "aliases", "data vintage", "experiment", "created (UTC)", *HEADLINE_METRICS):
        t.add_column(c, justify="right" if c in HEADLINE_METRICS else "left")
    for v in versions:
        t.add_row(
            v.version,
            ",".join(v.aliases),
            v.data_vintage or "",
            v.experiment or "",
            v.created.strftime("%Y-%m-%d %H:%M"),
            *[_fmt(v.headline.get(m)) for m in HEADLINE_METRICS],
        )
    console.print(t)


@app.command("compare")
def compare_cmd(
    a: str = typer.Argument("champion", help="Version number or alias."),
    b: str = typer.Argument("challenger", help="Version number or alias."),
    metric: list[str] = typer.Option(
        ["mase", "crps", "coverage80"], "--metric", "-m", help="Backtest metrics to show (repeatable)."
    ),
    tracking_uri: str | None = TrackingOpt,
    model: str | None = ModelOpt,
) -> None:
    """Backtest metrics of A and B side by side per hierarchy level, on the series both forecast."""
    from forecasting.registry.promotion import compare

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        cmp = compare(client, name, a, b, metrics=list(metric))
    console.print(
        f"[bold]{name}[/]: A = v{cmp.a.version} ({a}, vintage {cmp.a.data_vintage}, {cmp.a.experiment}) vs "
        f"B = v{cmp.b.version} ({b}, vintage {cmp.b.data_vintage}, {cmp.b.experiment}); "
        f"{cmp.n_common} series in common. Change = B vs A (relative; coverage: points, nearer nominal is better)."
    )
    t = Table()
    t.add_column("level")
    t.add_column("series", justify="right")
    for m in cmp.metrics:
        for label in (f"{m} A", f"{m} B", "change"):
            t.add_column(label, justify="right")
    for _, r in cmp.table.iterrows():
        cells = []
        for m in cmp.metrics:
            change = r[f"{m}_b"] - r[f"{m}_a"] if m.startswith("coverage") else r[f"{m}_change"]
            cells += [_fmt(r[f"{m}_a"]), _fmt(r[f"{m}_b"]), _fmt(change, pct=True)]
        t.add_row(str(r["level"]), str(int(r["n_series"])), *cells)
    console.print(t)


@app.command("promote")
def promote_cmd(
    version: str = typer.Argument(..., help="Version number (or alias, e.g. challenger) to make champion."),
    reason: str = typer.Option("", "--reason", "-r", help="Why (recorded in the version's tags)."),
    tracking_uri: str | None = TrackingOpt,
    model: str | None = ModelOpt,
) -> None:
    """Move the champion alias to VERSION; records who, when and why."""
    from forecasting.registry.promotion import promote

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        summary = promote(client, name, version, reason=reason)
    prev = summary.tags.get("previous_champion") or "none"
    console.print(
        f"[green]{name} v{summary.version} is now champion[/] (was: {prev}); "
        f"by {summary.tags.get('promoted_by')} at {summary.tags.get('promoted_at')}"
    )
