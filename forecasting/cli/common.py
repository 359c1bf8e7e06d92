"""Console, error handling and small output helpers shared by every command."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from forecasting.errors import InvestError

if TYPE_CHECKING:
    from forecasting.settings import Settings

# The project root, as forecasting.settings.PROJECT_ROOT (checked equal by tests/cli/test_cli_start.py),
# without importing pydantic-settings (~0.3 s) just to build option defaults.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def get_settings() -> Settings:
    """``forecasting.settings.get_settings()``, imported when a command first needs it, so that
    ``invest --help`` and commands that need no settings do not pay for pydantic-settings."""
    from forecasting.settings import get_settings as cached

    return cached()


console = Console(stderr=False, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def fail(message: str, code: int = 2) -> None:
    """One red line (never wrapped; the message is text, so "[areas]" in it is printed, not styled)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Problems the user can fix (``InvestError``) become one red line and exit code 2; anything else is a
    bug and keeps its traceback (exit 1)."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        raise typer.Exit(130) from None
    except InvestError as exc:
        fail(str(exc))


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def with_progress(description: str, total: int) -> tuple[Progress, Callable[[int], None]]:
    p = progress()
    task = p.add_task(description, total=total)
    return p, lambda n=1: p.advance(task, n)


def format_value(v: float | None) -> str:
    """A number for people: thousands separators, about six significant digits, never scientific notation
    (WDI world totals are 1.5e12 US$; exchange rates of some currencies are 1e-13)."""
    if v is None or not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    digits = min(max(0, 5 - math.floor(math.log10(abs(v)))), 20)
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
