"""`invest scenario list|run`: scenario projections against the baseline from a trained bundle.

Why the bundle and not the warehouse: projections use only what training stored (baseline forecasts,
hierarchy, transmission elasticities), so they run in milliseconds and match the API exactly.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from forecasting.cli.common import console, fail, print_json, user_errors

app = typer.Typer(
    help="Scenario projections: forecasts conditional on driver paths and shocks.", no_args_is_help=True
)

BundleOpt = typer.Option(
    None, "--bundle", help="Bundle folder or model URI (default: the registry's champion)."
)
AliasOpt = typer.Option(None, "--alias", help="Registry alias (default: champion).")
TrackingOpt = typer.Option(
    None, "--tracking-uri", help="MLflow tracking server (default: settings / embedded)."
)


def _load(bundle: str | None, alias: str | None, tracking_uri: str | None):
    from forecasting.registry.loader import load_bundle

    lb = load_bundle(bundle, alias=alias, tracking_uri=tracking_uri)
    return lb.contents


@app.command("list")
def list_cmd(directory: Path | None = typer.Option(None, "--dir", help="Scenario folder.")) -> None:
    """Named scenarios (experiments/scenarios/*.toml) with their descriptions."""
    from forecasting.scenarios.definitions import list_scenarios, read_scenario_file

    with user_errors():
        named = list_scenarios(directory)
        t = Table(title="scenarios")
        t.add_column("name")
        t.add_column("changes", justify="right")
        t.add_column("description")
        for name, path in named.items():
            sc = read_scenario_file(path)
            t.add_row(name, str(len(sc.changes)), sc.description)
    console.print(t)


@app.command("run")
def run(
    scenario: str = typer.Argument(..., help="Scenario name (experiments/scenarios) or a TOML/JSON file."),
    series: list[str] | None = typer.Option(
        None, "--series", "-s", help="Series id (repeat or comma-separate; default: every series)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write a fan chart PNG comparing scenario and baseline."
    ),
    bundle: str | None = BundleOpt,
    alias: str | None = AliasOpt,
    tracking_uri: str | None = TrackingOpt,
) -> None:
    """Project SCENARIO: baseline and scenario paths with intervals, differences, drivers, provenance."""
    from forecasting.scenarios.charts import fan_chart
    from forecasting.scenarios.definitions import ScenarioError, load_scenario
    from forecasting.scenarios.project import project

    ids = [s.strip() for item in (series or []) for s in item.split(",") if s.strip()] or None
    with user_errors():
        try:
            sc = load_scenario(scenario)
            contents = _load(bundle, alias, tracking_uri)
            result = project(contents, sc, ids)
        except ScenarioError as exc:
            fail("\n".join(f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors))
            return
        if plot is not None:
            fan_chart(result, plot, series=ids[:6] if ids else None)
    if as_json:
        print_json(result.to_dict())
    else:
        _print(result)
    if plot is not None:
        console.print(f"chart: {plot}")


def _loc(loc: list) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.2f}%" if pct else f"{v:,.4g}"


def _print(result) -> None:
    prov = result.provenance
    console.print(
        f"[bold]{result.scenario.name}[/]: {result.scenario.description}\n"
        f"model {prov.get('model_name') or ''} v{prov.get('model_version') or 'local'} · "
        f"data vintage {prov.get('data_vintage')}"
    )
    for d in result.drivers:
        if d.source != "baseline":
            dev = ", ".join(
                f"{p} {100 * (s / b - 1):+.1f}%"
                for p, s, b in zip(d.periods, d.scenario, d.baseline, strict=True)
                if b
            )
            console.print(f"driver {d.alias or d.driver_id} ({d.source}): {dev}")
    t = Table(title="scenario vs baseline")
    for c in ("series", "period", "baseline", "scenario", "80% (scenario)", "diff", "diff %", "cum diff %"):
        t.add_column(c, justify="left" if c == "series" else "right")
    for s in result.series:
        if not s.affected:
            continue
        for p in s.points():
            band = f"{_fmt(p.get('scenario_lo80'))} – {_fmt(p.get('scenario_hi80'))}"
            t.add_row(
                s.series_id if p["step"] == 1 else "",
                p["period"],
                _fmt(p["baseline_mean"]),
                _fmt(p["scenario_mean"]),
                band,
                _fmt(p["diff"]),
                _fmt(p["diff_pct"], pct=True),
                _fmt(p["cum_diff_pct"], pct=True),
            )
    console.print(t)
    if result.unaffected:
        shown = ", ".join(result.unaffected[:10]) + (" …" if len(result.unaffected) > 10 else "")
        console.print(f"unaffected ({len(result.unaffected)}): {shown}")
    for n in result.notes:
        console.print(f"note: {n}")
