"""Experiment configs are validated on load: every problem is a clear error before any work starts."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from training_helpers import DEFAULT, QUICK

from forecasting.training.config import ConfigError, load_config, parse_config


def _quick() -> dict:
    return tomllib.loads(QUICK.read_text())


def test_shipped_configs_load() -> None:
    quick, default = load_config(QUICK), load_config(DEFAULT)
    assert quick.experiment.name == "quick" and default.experiment.name == "default"
    assert "fdi_inward_position.MID.all.A" in default.outputs.headline
    assert quick.selection.engine_selection == "mean:2"
    assert default.horizon_for("Q") == 8 and quick.horizon_for("A") == 5


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["backtest"].update(windowz=3), "backtest.windowz: unknown key"),
        (lambda d: d.update(extra={"a": 1}), "extra: unknown key"),
        (lambda d: d["backtest"].update(windows=0), "backtest.windows"),
        (lambda d: d["backtest"].update(horizon={"A": 0}), "horizons must be between 1 and 60"),
        (lambda d: d["reconciliation"].update(method="magic"), "reconciliation.method"),
        (lambda d: d["forecast" if "forecast" in d else "data"].update(quantiles=[0.5]), "quantiles"),
        (lambda d: d["models"].update(families=["naive", "nope"]), "unknown model 'nope'"),
        (lambda d: d["models"].update(families=["naive", "naive"]), "listed twice"),
        (lambda d: d["data"].update(measures=["fdi_everything"]), "unknown measure 'fdi_everything'"),
        (lambda d: d["data"].update(geographies=["XX9"]), "unknown geography code 'XX9'"),
        (lambda d: d["data"].update(clusters=["not-a-cluster"]), "unknown cluster 'not-a-cluster'"),
        (lambda d: d["outputs"].update(headline=["just-a-name"]), "is not a series id"),
        (lambda d: d.pop("models"), "models: required key missing"),
    ],
)
def test_bad_configs_name_the_key(edit, message: str) -> None:
    data = _quick()
    data.setdefault("forecast", {})
    edit(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, "quick.toml")
    assert message in str(err.value)
    assert "quick.toml" in str(err.value)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    text = QUICK.read_text().replace("windows = 2", "windows = 0\nwhatever = 1")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "backtest.windows" in str(err.value) and "backtest.whatever: unknown key" in str(err.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[experiment\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_bad_config_fails_before_tracking_or_data(tmp_path: Path, settings) -> None:
    from forecasting.training.pipeline import train_experiment

    bad = tmp_path / "bad.toml"
    bad.write_text(QUICK.read_text().replace('"theta"]', '"theta", "nope"]'))
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        train_experiment(bad, settings=settings, show_progress=False)
    assert not (settings.data_dir / "mlflow.db").exists()


def test_scopes_name_known_measures_and_areas() -> None:
    import tomllib

    data = tomllib.loads(DEFAULT.read_text())
    assert load_config(DEFAULT).data.lad_within == {"gva_cp": "MID", "gdp_cp": "MID"}
    data["data"]["within"] = {"gfcf_dwellings_cp": "NOWHERE"}
    with pytest.raises(ConfigError, match="unknown geography code 'NOWHERE'"):
        parse_config(data, "default.toml")
    data["data"]["within"] = {}
    data["data"]["lad_within"] = {"population": "MID"}  # not a trained measure
    with pytest.raises(ConfigError, match="data.lad_within: 'population' is not one of data.measures"):
        parse_config(data, "default.toml")
