"""`invest scenario` over a saved bundle: an analyst-sized summary by default, `--all` for everything,
JSON with the difference's intervals, charts without synthetic series unless asked, and `drivers`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scen_data import POS, UKF, WLD, make_bundle
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.registry.store import save_contents


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_contents(make_bundle(), tmp_path_factory.mktemp("scen-cli") / "bundle")


def _run(*args: str) -> str:
    res = CliRunner().invoke(app, ["scenario", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_default_is_a_summary_of_headline_series_and_movers(bundle_dir: Path) -> None:
    out = json.loads(_run("run", "global-downturn", "--json", "--bundle", str(bundle_dir)))
    ids = [s["series_id"] for s in out["series"]]
    assert ids[:3] == [POS.format("MID"), POS.format("TLF"), POS.format("TLG")]
    assert WLD in ids and out["shown"] < out["count"] and "--all" in out["selection"]
    assert not any(s["synthetic"] for s in out["series"])  # demo partner data stays out unless asked
    full = json.loads(_run("run", "global-downturn", "--json", "--all", "--bundle", str(bundle_dir)))
    assert full["shown"] == full["count"] and any(
        s["series_id"].startswith("fdi_projects") for s in full["series"]
    )
    table = _run("run", "global-downturn", "--bundle", str(bundle_dir))
    assert len(table.splitlines()) < 150 and "80% of diff" in table and "(stock)" in table


def test_series_json_has_difference_intervals(bundle_dir: Path) -> None:
    out = json.loads(
        _run(
            "run",
            "global-downturn",
            "--series",
            f"{POS.format('MID')},{UKF}",
            "--json",
            "--bundle",
            str(bundle_dir),
        )
    )
    assert [s["series_id"] for s in out["series"]] == [POS.format("MID"), UKF]
    for s in out["series"]:
        for p in s["points"]:
            assert {"diff", "diff_pct", "diff_lo80", "diff_hi80", "diff_lo95", "diff_hi95", "kind"} <= set(p)
    assert out["model"]["data_vintage"] == "v1"


def test_seed_option_is_reproducible(bundle_dir: Path) -> None:
    args = ("run", "global-downturn", "--series", POS.format("TLF"), "--json", "--bundle", str(bundle_dir))
    a, b = json.loads(_run(*args, "--seed", "3")), json.loads(_run(*args, "--seed", "3"))
    assert a["series"] == b["series"] and a["draws"]["seed"] == 3


def test_chart_leaves_out_synthetic_series_unless_asked(bundle_dir: Path, tmp_path: Path) -> None:
    from forecasting.scenarios.charts import default_panels
    from forecasting.scenarios.definitions import load_scenario
    from forecasting.scenarios.project import project

    result = project(make_bundle(), load_scenario("global-downturn"))
    assert not any(s.synthetic for s in default_panels(result, 6))
    assert any(
        s.series_id.startswith("fdi_projects") for s in default_panels(result, 20, include_synthetic=True)
    )
    out = _run("run", "global-downturn", "--plot", str(tmp_path / "fan.png"), "--bundle", str(bundle_dir))
    assert (tmp_path / "fan.png").stat().st_size > 10_000 and "chart:" in out


def test_drivers_lists_unit_baseline_and_where_each_acts(bundle_dir: Path) -> None:
    out = json.loads(_run("drivers", "--json", "--bundle", str(bundle_dir)))
    by = {d["alias"] or d["driver_id"]: d for d in out["drivers"]}
    assert {"world_fdi", "uk_fdi", "usd_per_gbp"} <= set(by)
    assert by["world_fdi"]["unit"] == "USD" and by["world_fdi"]["baseline"]
    assert any("passes through" in a for a in by["world_fdi"]["acts_on"])
    assert any("accumulates into" in a for a in by["uk_fdi"]["acts_on"])
    assert by["usd_per_gbp"]["unit"] == "USD per GBP"
    # effective (shrunk) links beside their own estimates and the weight on them
    links = [lk for d in out["drivers"] for lk in d["links"]]
    assert links and all(0 <= lk["weight"] <= 1 for lk in links if lk["weight"] is not None)
    assert all(abs(lk["elasticity"]) <= 3 for lk in links if lk["form"] == "log")
    assert any(lk["own_estimate"] is not None and lk["effective"] != lk["own_estimate"] for lk in links)
    text = _run("drivers", "--bundle", str(bundle_dir))
    assert "world_fdi" in text and "acts on" in text


def test_bad_scenario_file_is_one_clear_line(bundle_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\n[[changes]]\ntype = "shock"\nmeasure = "fdi_projects"\ngeography = "TLG"\n'
        'kind = "level"\nvalue = 1e300\n'
    )
    res = CliRunner().invoke(app, ["scenario", "run", str(bad), "--bundle", str(bundle_dir)])
    assert res.exit_code == 2 and "changes[0].value" in res.output and "absurd magnitude" in res.output
