"""`invest track-record` on real releases (QNA March and December 2023): JSON per vintage, plain table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.settings import get_settings

FILES = ("ons_qna/ons_qna_dataset_release2023-03-31.csv", "ons_qna/ons_qna_dataset_release2023-12-22.csv")
CONFIG = """
[experiment]
name = "track-cli"
[data]
measures = ["uk_gdp_cp_sa"]
[models]
families = ["naive", "drift"]
[backtest]
windows = 2
[selection]
rule = "best"
[outputs]
headline = ["uk_gdp_cp_sa.UK.all.Q"]
[execution]
n_jobs = 1
"""


@pytest.fixture(scope="module")
def warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested(FILES)


@pytest.fixture()
def env(warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INVEST_WAREHOUSE_PATH", str(warehouse))
    get_settings.cache_clear()
    cfg = tmp_path / "exp.toml"
    cfg.write_text(CONFIG)
    yield cfg
    get_settings.cache_clear()


def test_json_lists_each_vintage_with_forecasts_and_outturns(env: Path) -> None:
    res = CliRunner().invoke(
        app, ["track-record", "--series", "uk_gdp_cp_sa.UK.all.Q", "--experiment", str(env), "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (series,) = out["series"]
    assert [v["release"] for v in series["vintages"]] == ["2023-03-31", "2023-12-22"]
    first = series["vintages"][0]
    assert first["last_observed"] == "2022Q4" and first["scored"]
    scored = [f for f in first["forecasts"] if f["outturn"] is not None]
    assert [f["period"] for f in scored] == ["2023Q1", "2023Q2", "2023Q3"]
    assert all(f["quantiles"]["q0.025"] <= f["mean"] <= f["quantiles"]["q0.975"] for f in scored)
    kinds = {(r["kind"], r["horizon"]) for r in series["summary"]}
    assert ("level", 1) in kinds  # current prices: levels always comparable


def test_default_series_are_the_headline_ones_and_the_table_is_plain_text(env: Path) -> None:
    res = CliRunner().invoke(app, ["track-record", "--experiment", str(env), "--backend", "serial"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("track record: 1 series")
    assert lines[1].split("\t")[:4] == ["series", "kind", "horizon", "n"]
    assert any(line.startswith("uk_gdp_cp_sa.UK.all.Q\tlevel\t1\t1\t") for line in lines)


def test_one_release_is_a_clear_error(env: Path) -> None:
    res = CliRunner().invoke(
        app, ["track-record", "--series", "gfcf_manufacturing_cvm_sa.UK.all.Q", "--experiment", str(env)]
    )
    assert res.exit_code == 2 and "error:" in res.output


def test_markdown_document_names_its_command(env: Path, tmp_path: Path) -> None:
    doc = tmp_path / "TRACK_RECORD.md"
    res = CliRunner().invoke(
        app,
        [
            "track-record",
            "-s",
            "uk_gdp_cp_sa.UK.all.Q",
            "-e",
            str(env),
            "--backend",
            "serial",
            "--markdown",
            str(doc),
        ],
    )
    assert res.exit_code == 0, res.output
    text = doc.read_text()
    assert f"`invest track-record --series uk_gdp_cp_sa.UK.all.Q --experiment {env} --markdown {doc}`" in text
    assert "## `uk_gdp_cp_sa.UK.all.Q`" in text and "| level | 1 | 1 |" in text
    assert "Calendar-year growth" not in text  # 2023 was not complete in the newest release (to 2023Q3)
