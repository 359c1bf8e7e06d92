"""`invest models list|compare|promote|doctor`: the registered forecast bundles and the champion alias."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from forecasting.cli.common import console, err_console, fail, get_settings, user_errors

if TYPE_CHECKING:  # mlflow costs seconds to import: only the commands that talk to the registry pay it
    from mlflow import MlflowClient

app = typer.Typer(
    help="Registered forecast bundles: list versions, compare them, promote the champion, check health.",
    no_args_is_help=True,
)

TrackingOpt = typer.Option(
    None, "--tracking-uri", help="MLflow tracking server (default: settings / embedded)."
)
ModelOpt = typer.Option(None, "--model", help="Registered model name (default: settings.model_name).")


@contextmanager
def _client(tracking_uri: str | None) -> Iterator[MlflowClient]:
    """The registry client, after checking the store is reachable and sound (a corrupt store is an
    error, never an empty registry); database failures inside MLflow become one-line errors."""
    from forecasting.registry.target import check_reachable, resolve_target, store_errors, use_tracking

    target = resolve_target(tracking_uri, get_settings())
    check_reachable(target)
    with use_tracking(target.uri) as client, store_errors(target.uri):
        yield client


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:+.1%}" if pct else f"{v:.3f}"


# `invest models list`: column title -> the version's ``metric.headline.*`` tag (real series only)
LIST_COLUMNS = {
    "series": "n_series",
    "MASE median": "mase_median",
    "MASE geo-mean": "mase_geomean",
    "cover 80%": "coverage80",
    "cover 95%": "coverage95",
}


def _cell(key: str, v: float | None) -> str:
    if key == "n_series" and v is not None and not math.isnan(v):
        return f"{v:.0f}"
    return _fmt(v)


def _scorecards_note(client: MlflowClient, name: str) -> str | None:
    """Mark the published scorecards stale if the champion moved on; the message, or None."""
    from forecasting.registry.staleness import check_scorecards

    # where `invest scorecards` writes by default (scorecards_cmd.default_out_dir; not imported: that
    # module calls report_scorecard_staleness, and the layer check forbids import cycles)
    verdict = check_scorecards(get_settings().scorecards_dir, client, name)
    return verdict.message if verdict is not None else None


@app.command("list")
def list_cmd(tracking_uri: str | None = TrackingOpt, model: str | None = ModelOpt) -> None:
    """Versions (newest first) with aliases, data vintage, experiment and headline backtest metrics."""
    from forecasting.registry.ledger import VersionLedger
    from forecasting.registry.promotion import list_versions
    from forecasting.registry.target import resolve_target

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        versions = list_versions(client, name)
    if not versions:
        target = resolve_target(tracking_uri, get_settings())
        ledger = VersionLedger.beside(get_settings().data_dir, target.uri, target.embedded)
        issued = ledger.highest(name)
        if issued:  # the store was removed or replaced: training would refuse, so say so here too
            fail(
                f"the registry store {target.uri} has no versions of {name!r}, but versions up to v{issued} "
                f"were issued (ledger {ledger.path}): the store was removed or replaced since. Restore it "
                "(mlflow.db and the artifacts folder) from a backup, or point --tracking-uri at the right "
                f"store; training refuses to register until then (only to start a new registry "
                f"deliberately, move {ledger.path.name} aside as well)"
            )
        console.print(
            f"no versions of {name!r} registered yet: run `invest train --experiment experiments/quick.toml`"
        )
        return
    t = Table(title=f"{name}: backtest accuracy over real series (synthetic apart, below)")
    for c in ("version", "aliases", "data vintage", "experiment", "created (UTC)", *LIST_COLUMNS):
        t.add_column(c, justify="right" if c in LIST_COLUMNS else "left")
    notes = []
    for v in versions:
        head = {k.removeprefix("headline."): x for k, x in v.headline.items() if k.startswith("headline.")}
        t.add_row(
            v.version,
            ",".join(v.aliases),
            v.data_vintage or "",
            v.experiment or "",
            v.created.strftime("%Y-%m-%d %H:%M"),
            *[_cell(k, head.get(k)) for k in LIST_COLUMNS.values()],
        )
        if not head:
            notes.append(f"v{v.version}: trained before robust headlines (retrain to see them)")
            continue
        if "synthetic.n_series" in head:
            notes.append(
                f"v{v.version}: synthetic series apart: {head['synthetic.n_series']:.0f} series, MASE median "
                f"{_fmt(head.get('synthetic.mase_median'))}, geo-mean {_fmt(head.get('synthetic.mase_geomean'))}"
            )
        if v.tags.get("mase_outliers"):
            notes.append(f"v{v.version}: outliers (MASE, not averaged in): {v.tags['mase_outliers']}")
    console.print(t)
    for n in notes:
        console.print(n)


@app.command("compare")
def compare_cmd(
    a: str = typer.Argument("champion", help="Version number or alias."),
    b: str = typer.Argument(
        "challenger",
        help="Version number or alias. With the defaults and no challenger (e.g. after a promotion), "
        "the champion is compared with the champion it replaced.",
    ),
    metric: list[str] = typer.Option(
        ["mase", "crps", "coverage80"], "--metric", "-m", help="Backtest metrics to show (repeatable)."
    ),
    tracking_uri: str | None = TrackingOpt,
    model: str | None = ModelOpt,
) -> None:
    """Backtest metrics of A and B side by side per hierarchy level, on the series both forecast."""
    from forecasting.registry.promotion import compare, list_versions

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        versions = list_versions(client, name)
        if len(versions) < 2:  # right after the quickstart: nothing to compare yet, say what to do
            only = f"only v{versions[0].version} is" if versions else "no version is"
            console.print(
                f"{only} registered for {name!r}: nothing to compare yet. Train another version "
                "(`invest train --experiment experiments/quick.toml`, registered as challenger), then "
                "`invest models compare` shows it beside the champion"
            )
            return
        cmp = compare(client, name, a, b, metrics=list(metric))
    if cmp.note:
        console.print(f"[yellow]{escape(cmp.note)}[/]")
        a, b = "previous champion", "champion"
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
    reason: str = typer.Option(
        ..., "--reason", "-r", help="Why (required; recorded in the version's tags with who and when)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Promote even when the guard finds that VERSION drops series or hierarchy levels the champion "
        "serves, backtests worse beyond the experiment's [promotion] margin, or is on an older data "
        "vintage (what was overridden is recorded). Never overrides an unfinished training run.",
    ),
    tracking_uri: str | None = TrackingOpt,
    model: str | None = ModelOpt,
) -> None:
    """Move the champion alias to VERSION after the promotion guard; records who, when and why."""
    from forecasting.registry.promotion import promote

    name = model or get_settings().model_name
    with user_errors(), _client(tracking_uri) as client:
        summary = promote(client, name, version, reason=reason, user=get_settings().user, force=force)
        stale = _scorecards_note(client, name)
    prev = summary.tags.get("previous_champion") or "none"
    console.print(
        f"[green]{name} v{summary.version} is now champion[/] (was: {prev}); "
        f"by {summary.tags.get('promoted_by')} at {summary.tags.get('promoted_at')}"
    )
    if summary.tags.get("promotion_forced_over"):
        err_console.print(f"[yellow]forced over: {escape(summary.tags['promotion_forced_over'])}[/]")
    if stale:
        err_console.print(f"[yellow]scorecards {stale}: run `invest scorecards` to rebuild them[/]")
    console.print("a running API serves the new champion after `POST /v1/models/reload` or a restart")


def report_scorecard_staleness(out_dir: Path, tracking_uri: str | None = None) -> None:
    """After `invest scorecards`: say (and record in scorecards.json) whether the set is built from the
    current champion. Never fails the command: without a reachable registry it says it cannot tell."""
    from forecasting.errors import InvestError
    from forecasting.registry.staleness import check_scorecards

    try:
        with _client(tracking_uri) as client:
            verdict = check_scorecards(out_dir, client, get_settings().model_name)
    except InvestError as exc:
        err_console.print(f"[yellow]cannot check the scorecards against the champion: {escape(str(exc))}[/]")
        return
    if verdict is None:
        return
    if verdict.stale:
        err_console.print(f"[yellow]scorecards {verdict.message}[/] (recorded in scorecards.json)")
    elif verdict.champion is not None:
        console.print(f"scorecards built from the current champion v{verdict.champion}")


def _age(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M")


@app.command("doctor")
def doctor_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list problems; change nothing."),
    older_than: float = typer.Option(
        24.0,
        "--older-than",
        min=0.0,
        help="Hours after which a RUNNING run that cannot be checked from here (another host, or no "
        "process tags) counts as interrupted. Runs of this host are checked directly.",
    ),
    tracking_uri: str | None = TrackingOpt,
    model: str | None = ModelOpt,
) -> None:
    """Check the registry: the store, version numbering, interrupted runs (marked FAILED), versions
    whose run did not finish (never promotable), the champion's and challenger's artifacts (every file
    against its checksum, then the bundle contract) and stale scorecards. Exit 2 when anything is wrong."""
    from forecasting.registry import health, promotion
    from forecasting.registry.ledger import VersionLedger
    from forecasting.registry.target import resolve_target

    s = get_settings()
    name = model or s.model_name
    target = resolve_target(tracking_uri, s)
    problems = 0
    with user_errors(), _client(tracking_uri) as client:
        console.print(f"tracking store {target.uri}: [green]readable[/]")
        ledger = VersionLedger.beside(s.data_dir, target.uri, target.embedded)
        shown, issued = promotion.highest_version(client, name), ledger.highest(name)
        if issued and not promotion.model_exists(client, name):
            problems += 1
            console.print(
                f"[red]version numbering:[/] the store has no model {name!r} but v{issued} was issued "
                f"(ledger {ledger.path}); the store was reset or replaced: registering is refused until it "
                "is restored"
            )
        else:
            if shown > issued and not dry_run:
                ledger.record(name, shown)
            console.print(f"version numbering: highest v{max(shown, issued)} (ledger {ledger.path})")
        checks = health.check_runs(client, health.experiment_ids(client), older_than)
        interrupted = [c for c in checks if c.verdict == "interrupted"]
        for c in checks:
            colour = {"interrupted": "red", "running": "green", "unknown": "yellow"}[c.verdict]
            action = " -> marked FAILED" if c.verdict == "interrupted" and not dry_run else ""
            console.print(
                f"run {c.run_id} ({escape(c.name)}, started {_age(c.started)}): [{colour}]{c.verdict}[/] "
                f"({escape(c.why)}){action}"
            )
            if not dry_run and c.verdict == "interrupted":
                health.mark_failed(client, c, "invest models doctor")
        if not checks:
            console.print("runs: none left RUNNING")
        if dry_run:
            problems += len(interrupted)
        unfinished = health.unfinished_versions(client, name)
        for v in unfinished:
            serious = "champion" in v.aliases
            problems += int(serious)
            console.print(
                f"version {v.version}: training run {v.run_id or '(none)'} is {v.run_status}; it cannot be "
                "promoted"
                + (
                    f" [red](it is the {', '.join(v.aliases)}: promote a finished version)[/]"
                    if serious
                    else ""
                )
            )
        if not unfinished:
            console.print("versions: every registered version's run finished")
        for art in health.check_artifacts(client, name):
            if not art.problems:
                console.print(
                    f"{art.alias} v{art.version}: artifacts match their checksums and the bundle contract"
                )
                continue
            problems += 1
            console.print(
                f"[red]{art.alias} v{art.version}: its artifacts at {escape(art.location)} are broken:[/]"
            )
            for p in art.problems:
                console.print(f"  - {escape(p)}")
            console.print(f"  to repair: {escape(art.repair)}")
        stale = _scorecards_note(client, name)
        if stale:
            problems += 1
            console.print(f"[yellow]scorecards {stale}[/]: run `invest scorecards`")
    if problems:
        err_console.print(f"[red]{problems} problem(s) need attention[/]")
        raise typer.Exit(2)
    console.print("[green]registry healthy[/]")
