"""The CLI turns only the project's own errors into one-line messages; a bug keeps its traceback."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from forecasting.cli.common import user_errors
from forecasting.errors import InvestError, NotFound


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def boom() -> None:
        with user_errors():
            raise exc

    return app


def test_project_error_is_one_line_and_exit_2() -> None:
    res = CliRunner().invoke(_app(InvestError("warehouse x.duckdb is empty")), [])
    assert res.exit_code == 2
    assert "error: warehouse x.duckdb is empty" in res.output
    assert "Traceback" not in res.output


def test_not_found_message_is_not_quoted() -> None:
    res = CliRunner().invoke(_app(NotFound("unknown measure 'gdp'")), [])
    assert res.exit_code == 2 and "error: unknown measure 'gdp'" in res.output


@pytest.mark.parametrize("bug", [ValueError("bad"), KeyError("k"), RuntimeError("r"), ZeroDivisionError()])
def test_anything_else_is_a_bug_with_exit_1(bug: BaseException) -> None:
    res = CliRunner().invoke(_app(bug), [])
    assert res.exit_code == 1
    assert isinstance(res.exception, type(bug))  # propagated, so typer prints the traceback
