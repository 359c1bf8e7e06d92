"""The CLI starts fast: ``import forecasting.cli.app`` and ``invest --help`` load no heavy library.

An architecture rule, checked in a fresh interpreter: every command module imports what only its command
needs inside the command function (grimp still sees those imports for the layer check in
tests/test_architecture.py), so `invest --help` costs typer and rich, not pandas, MLflow or DuckDB.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from forecasting.cli.common import PROJECT_ROOT as CLI_ROOT
from forecasting.settings import PROJECT_ROOT

HEAVY = (
    "pandas",
    "numpy",
    "mlflow",
    "statsforecast",
    "statsmodels",
    "duckdb",
    "prophet",
    "scipy",
    "sklearn",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "pydantic_settings",
)

_PROBE = """
import json, sys
{setup}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
"""


def _heavy_after(setup: str) -> list[str]:
    code = _PROBE.format(setup=setup, heavy=set(HEAVY))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_app_loads_no_heavy_library() -> None:
    assert _heavy_after("import forecasting.cli.app") == []


@pytest.mark.parametrize("argv", [["--help"], ["models", "--help"], ["data", "--help"], ["serve", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    setup = (
        "import io, contextlib\n"
        "from forecasting.cli.app import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        app({argv!r}, prog_name='invest')\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert _heavy_after(setup) == []


def test_the_cli_project_root_is_the_settings_one() -> None:
    assert CLI_ROOT == PROJECT_ROOT
