"""`invest scenario list|drivers|run`: scenario projections against the baseline from a trained bundle.

Why the bundle and not the warehouse: projections use only what training stored (baseline forecasts,
hierarchy, links, the macro block), so they are fast and match the API exactly. Why a summary by
default: a whole-bundle projection is thousands of series; an analyst reads the headline series and the
largest movers first (``--all`` prints everything, ``--series`` picks).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from forecasting.cli.common import console, fail, format_value, print_json, user_errors

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
    from forecasting.settings import get_settings

    s = get_settings()
    lb = load_bundle(bundle, alias=alias, model_name=s.model_name, tracking_uri=tracking_uri or s.mlflow_uri)
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


@app.command("drivers")
def drivers_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    bundle: str | None = BundleOpt,
    alias: str | None = AliasOpt,
    tracking_uri: str | None = TrackingOpt,
) -> None:
    """Every driver a scenario may set: unit, baseline, and where it acts."""
    from forecasting.scenarios.describe import describe_drivers
    from forecasting.scenarios.project import ScenarioEngine

    with user_errors():
        engine = ScenarioEngine(_load(bundle, alias, tracking_uri))
        rows = describe_drivers(engine.index)
    if as_json:
        print_json({"model": engine.provenance, "drivers": rows})
        return
    t = Table(title="scenario drivers", show_lines=True)
    for c in ("alias / id", "unit", "baseline", "acts on"):
        t.add_column(c)
    for r in rows:
        base = ", ".join(f"{p} {format_value(v)}" for p, v in r["baseline"].items())
        name = (r["alias"] + "\n" if r["alias"] else "") + r["driver_id"]
        t.add_row(name, f"{r['unit']}\n{r['frequency']} {r['periods']}", base, "\n".join(r["acts_on"]))
    console.print(t)


@app.command("run")
def run(
    scenario: str = typer.Argument(..., help="Scenario name (experiments/scenarios) or a TOML/JSON file."),
    series: list[str] | None = typer.Option(
        None,
        "--series",
        "-s",
        help="Series id (repeat or comma-separate; default: headline + largest movers).",
    ),
    show_all: bool = typer.Option(False, "--all", help="Every series in the bundle, not the summary."),
    top: int = typer.Option(
        10, "--top", min=0, max=200, help="How many of the largest movers the summary shows."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write a fan chart PNG comparing scenario and baseline."
    ),
    include_synthetic: bool = typer.Option(
        False,
        "--include-synthetic",
        help="Let synthetic (demo partner) series into the summary and the chart.",
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of the projection draws (default: the bundle's)."
    ),
    draws: int | None = typer.Option(
        None, "--draws", min=50, max=5000, help="Projection draws (default 500)."
    ),
    today: str | None = typer.Option(
        None, "--today", help="The date scenario time is relative to, YYYY-MM-DD (default: today)."
    ),
    bundle: str | None = BundleOpt,
    alias: str | None = AliasOpt,
    tracking_uri: str | None = TrackingOpt,
) -> None:
    """Project SCENARIO: baseline and scenario paths, the difference with its 80/95% intervals, drivers,
    the macro block's responses and provenance."""
    from forecasting.scenarios.charts import fan_chart
    from forecasting.scenarios.definitions import ScenarioError, load_scenario
    from forecasting.scenarios.project import project

    ids = [s.strip() for item in (series or []) for s in item.split(",") if s.strip()] or None
    with user_errors():
        try:
            when = _date(today)
            sc = load_scenario(scenario)
            contents = _load(bundle, alias, tracking_uri)
            result = project(contents, sc, ids, seed=seed, draws=draws, today=when)
        except ScenarioError as exc:
            fail("\n".join(f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors))
            return
        if ids or show_all:
            chosen = result.series
        else:
            chosen = result.summary_series(top, include_synthetic=include_synthetic)
        if plot is not None:
            fan_chart(result, plot, series=ids[:6] if ids else None, include_synthetic=include_synthetic)
    if as_json:
        out = result.to_dict(series=chosen)
        if not (ids or show_all):
            out["selection"] = f"headline series and the {top} largest movers; --all for every series"
        print_json(out)
    else:
        _print(result, chosen, summary=not (ids or show_all))
    if plot is not None:
        console.print(f"chart: {plot}")


def _date(text: str | None):
    import datetime as dt

    from forecasting.errors import InvalidParameter

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(f"--today: {text!r} is not a date (expected YYYY-MM-DD)") from None


def _loc(loc: list) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "–"
    if pct:
        return f"{v:+.2f}%"
    # whole units from a thousand up, thousand millions ("bn") from 1e9 (US$ world flows), four
    # significant digits below a thousand; never scientific notation
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.1f}bn"
    return f"{v:,.0f}" if abs(v) >= 1000 else format_value(float(f"{v:.4g}"))


def _driver_change(period: str, scenario: float, baseline: float) -> str:
    """A driver's move as % of baseline; beside the level change when the baseline is small enough that
    the percentage alone misleads (UK net FDI inflows near zero: a US$14bn fall reads as -442%)."""
    pct = 100 * (scenario / baseline - 1)
    if abs(pct) <= 100:
        return f"{period} {pct:+.1f}%"
    diff = scenario - baseline
    return f"{period} {'+' if diff > 0 else ''}{format_value(diff)} ({pct:+.0f}% of a baseline of {format_value(baseline)})"


def _print(result, chosen, summary: bool) -> None:
    prov = result.provenance
    console.print(
        f"[bold]{result.scenario.name}[/]: {result.scenario.description}\n"
        f"model {prov.get('model_name') or ''} v{prov.get('model_version') or 'local'} · "
        f"data vintage {prov.get('data_vintage')} · {result.draws} draws, seed {result.seed}\n"
        f"today {result.today}: {result.timing['label']}, first changed period "
        f"{result.timing['first_period'] or '-'} (nowcast = begun but not published)"
    )
    for d in result.drivers:
        if d.source != "baseline" and not d.source.startswith("baseline "):
            dev = ", ".join(
                _driver_change(p, s, b)
                for p, s, b in zip(d.periods, d.scenario, d.baseline, strict=True)
                if b and abs(s / b - 1) > 5e-4
            )
            console.print(f"driver {d.alias or d.driver_id} [{d.unit or ''}] ({d.source}): {dev}")
    macro = result.macro or {}
    for var, r in (macro.get("responses") or {}).items():
        if r["status"] == "moved":
            yrs = macro.get("years", [])
            dev = ", ".join(
                f"{y} {v:+.2f}%" for y, v in zip(yrs, r["deviation_pct"], strict=False) if abs(v) > 5e-4
            )
            console.print(f"macro block {var}: {dev}")
        else:
            console.print(f"macro block {var}: held at baseline ({r['status']})")
    t = Table(
        title="scenario vs baseline" + (" (headline series and largest movers)" if summary else ""),
        caption="values in each series' unit (`invest data list`); bn = thousand million of that unit",
    )
    for c in (
        "series",
        "period",
        "kind",
        "baseline",
        "scenario",
        "diff",
        "diff %",
        "80% of diff",
        "cum diff %",
    ):
        t.add_column(
            c,
            justify="left" if c in ("series", "kind") else "right",
            overflow="fold" if c == "series" else "ellipsis",  # whole ids, wrapped
            min_width=len("fdi_inward_position.MID.all.A") if c == "series" else None,
        )
    for s in chosen:
        if not s.affected:
            t.add_row(s.series_id, "", "", "", "", "", "", "", "", end_section=True)
            t.add_row(f"  {s.status}: {s.reason or ''}"[:200], *[""] * 8, end_section=True)
            continue
        pts = s.points()
        for p in pts:
            band = f"{_fmt(p.get('diff_lo80'))} – {_fmt(p.get('diff_hi80'))}"
            t.add_row(
                (s.series_id + (" [SYNTHETIC]" if s.synthetic else "")) if p["step"] == 1 else "",
                p["period"],
                p["kind"] or "",
                _fmt(p["baseline_mean"]),
                _fmt(p["scenario_mean"]),
                _fmt(p["diff"]),
                _fmt(p["diff_pct"], pct=True),
                band,
                _fmt(p["cum_diff_pct"], pct=True) if s.accumulates else "(stock)",
                end_section=p is pts[-1],
            )
    console.print(t)
    counts = {"moved": 0, "baseline": 0}
    for s in result.series:
        counts[s.status] = counts.get(s.status, 0) + 1
    console.print(
        f"{len(result.series)} series: {counts['moved']} moved, {counts['baseline']} unaffected"
        + (" (--all for every series, --series to pick)" if summary else "")
    )
    for n in result.notes:
        console.print(f"note: {n}")
