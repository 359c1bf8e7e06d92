"""`invest profiles`: an area by name to JSON; unknown areas and missing warehouses are one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.settings import get_settings

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    get_settings.cache_clear()
    return {"INVEST_DATA_DIR": str(tmp_path), "INVEST_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}


def test_unknown_area_lists_the_closest_matches(tmp_path: Path) -> None:
    r = runner.invoke(app, ["profiles", "--area", "Darby", "--no-pdf"], env=_env(tmp_path))
    assert r.exit_code == 2
    assert "Derby (E06000015 lad" in r.output
    get_settings.cache_clear()


def test_no_area_and_no_warehouse_say_what_to_do(tmp_path: Path) -> None:
    r = runner.invoke(app, ["profiles"], env=_env(tmp_path))
    assert r.exit_code == 2 and "--all-midlands" in r.output
    r = runner.invoke(app, ["profiles", "--area", "Derby", "--no-pdf"], env=_env(tmp_path))
    assert r.exit_code == 2 and "no warehouse" in r.output
    get_settings.cache_clear()


def test_a_profile_by_name_as_json(tmp_path: Path, profile_warehouse: Path) -> None:
    shutil.copy(profile_warehouse, tmp_path / "warehouse.duckdb")
    r = runner.invoke(
        app, ["profiles", "--area", "Birmingham", "--no-pdf", "--no-model", "--json"], env=_env(tmp_path)
    )
    get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["area"]["code"] == "E08000025"
    assert (tmp_path / "reports" / "profiles" / "areas" / "E08000025.html").is_file()
    assert doc["insights"]
