"""The CLI reads well: -h is help, help texts are whole, every option says what it does, series ids are
never cut, numbers are plain with units, derived series can be shown, forecast-csv output is safe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.cli.common import format_value
from forecasting.settings import get_settings

FDI = "ons_els/foreign-direct-investment.csv"


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def warehouse(ingested: Callable[..., Path]) -> Path:
    return ingested([FDI])


@pytest.fixture()
def use_warehouse(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INVEST_WAREHOUSE_PATH", str(warehouse))
    get_settings.cache_clear()
    yield warehouse
    get_settings.cache_clear()


@pytest.mark.parametrize("args", [[], ["data"], ["models"], ["forecast-csv"], ["data", "list"], ["train"]])
def test_dash_h_is_help_everywhere(args: list[str]) -> None:
    """Was: -h meant --horizon in forecast-csv and was unknown elsewhere."""
    res = _invoke(*args, "-h")
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output and "--help" in res.output


def test_help_texts_keep_their_bracketed_words() -> None:
    """Was: "TOML weights file ( and )" and "default: the config's ." (rich markup ate the brackets)."""
    assert "[areas] and [metrics]" in " ".join(_invoke("scorecards", "-h").output.split())
    assert "the config's [execution]" in " ".join(_invoke("train", "-h").output.split())
    assert "[promotion] margin" in " ".join(_invoke("models", "promote", "-h").output.split())


def test_every_option_and_argument_says_what_it_does() -> None:
    missing = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.help:
                missing.append(f"{' '.join(path)} {p.opts}")

    walk(typer.main.get_command(app), ["invest"])
    assert not missing


def test_data_list_shows_whole_series_ids(use_warehouse: Path) -> None:
    """Was: series_id (what `data show` takes) truncated with an ellipsis at any width."""
    from forecasting.warehouse.store import Warehouse

    with Warehouse(use_warehouse, read_only=True) as wh:
        ids = sorted(wh.catalogue()["series_id"], key=len)
    longest = ids[-1]
    res = _invoke("data", "list", "--limit", "100000")
    assert res.exit_code == 0, res.output
    assert longest in res.output and "…" not in res.output
    wide = _invoke("data", "list", "--wide", "--limit", "3")
    assert wide.exit_code == 0 and "measure" in wide.output and "cluster" in wide.output


def test_data_show_prints_plain_numbers_with_the_unit(use_warehouse: Path) -> None:
    res = _invoke("data", "show", "fdi_inward_position.TLF.all.A")
    assert res.exit_code == 0, res.output
    assert "37,114" in res.output and "61,511" in res.output and "value (GBP million)" in res.output
    assert "e+" not in res.output


def test_data_show_derives_a_headline_aggregate_as_training_does(use_warehouse: Path) -> None:
    """Was: "no observations" for fdi_inward_position.MID.all.A (MID = East + West Midlands is derived)."""
    from forecasting.warehouse.store import Warehouse

    with Warehouse(use_warehouse, read_only=True) as wh:
        tlf = wh.series("fdi_inward_position.TLF.all.A").set_index("label")["value"]
        tlg = wh.series("fdi_inward_position.TLG.all.A").set_index("label")["value"]
    res = _invoke("data", "show", "fdi_inward_position.MID.all.A")
    assert res.exit_code == 0, res.output
    assert "derived" in res.output and "derived(TLF+TLG)" in res.output
    assert format_value(tlf["2015"] + tlg["2015"]) in res.output
    bad = _invoke("data", "show", "fdi_inward_position.NOWHERE.all.A")
    assert bad.exit_code == 2 and "no observations" in bad.output
    bad = _invoke("data", "show", "not-an-id")
    assert bad.exit_code == 2 and "expected measure.geography.cluster.frequency" in bad.output


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1563741062287.0, "1,563,741,062,287"),
        (37114.0, "37,114"),
        (1.0931, "1.0931"),
        (-35732.0, "-35,732"),
        (8.09971e-14, "0.0000000000000809971"),
        (0.0, "0"),
    ],
)
def test_format_value_is_never_scientific(value: float, text: str) -> None:
    assert format_value(value) == text


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "in.csv"
    p.write_text(text)
    return p


SMALL = "series_id,period,value\n" + "".join(f"a,{y},{10 + y % 7}\n" for y in range(2001, 2013))


def test_forecast_csv_caps_the_horizon(tmp_path: Path) -> None:
    """Was: -h 1000000 wrote 134 MB."""
    out = tmp_path / "out.csv"
    res = _invoke("forecast-csv", str(_csv(tmp_path, SMALL)), "--horizon", "1000000", "-o", str(out))
    assert res.exit_code == 2 and "beyond the cap of 30 years (30 years for yearly series" in res.output
    assert not out.exists()


def test_forecast_csv_never_writes_non_finite_numbers(tmp_path: Path) -> None:
    """Was: input near 1e300 wrote inf and blank intervals with exit 0."""
    body = "series_id,period,value\n" + "".join(
        f"a,{y},{v}e300\n" for y, v in zip(range(2001, 2006), "12132", strict=True)
    )
    out = tmp_path / "out.csv"
    res = _invoke("forecast-csv", str(_csv(tmp_path, body)), "--horizon", "2", "-o", str(out))
    assert res.exit_code == 2 and "too large to forecast" in res.output and "'a'" in res.output
    assert not out.exists()


@pytest.mark.parametrize("value", ["1e300", "-1e300", "1.7e308"])
def test_forecast_csv_refuses_huge_constant_series_in_words(tmp_path: Path, value: str) -> None:
    """Was: a constant 1e300 series crashed with OverflowError in naive_scale (exit 1, traceback)."""
    body = "series_id,period,value\n" + "".join(
        f"ok,{y},{y % 5}\nbig,{y},{value}\n" for y in range(2001, 2011)
    )
    out = tmp_path / "out.csv"
    res = _invoke("forecast-csv", str(_csv(tmp_path, body)), "--horizon", "2", "-o", str(out))
    assert res.exit_code == 2, res.output
    assert "'big'" in res.output and "rescale" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_forecast_csv_forecasts_large_but_safe_values(tmp_path: Path) -> None:
    body = "series_id,period,value\n" + "".join(f"a,{y},{1e90 * (1 + y % 3)}\n" for y in range(2001, 2013))
    out = tmp_path / "out.csv"
    res = _invoke("forecast-csv", str(_csv(tmp_path, body)), "--horizon", "2", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.read_text().count("\n") == 3


def test_forecast_csv_escapes_formula_cells(tmp_path: Path) -> None:
    """Was: a series id starting with = + - @ was written as is (a spreadsheet would run it)."""
    rows = "".join(
        f"{sid},{y},{10 + y % 5}\n" for sid in ("=1+1", "@x", "+y", "-z", "ok") for y in range(2001, 2011)
    )
    out = tmp_path / "out.csv"
    res = _invoke(
        "forecast-csv",
        str(_csv(tmp_path, "series_id,period,value\n" + rows)),
        "--horizon",
        "1",
        "-o",
        str(out),
    )
    assert res.exit_code == 0, res.output
    ids = {line.split(",")[0] for line in out.read_text().splitlines()[1:]}
    assert ids == {"'=1+1", "'@x", "'+y", "'-z", "ok"}


@pytest.mark.parametrize(
    ("output", "words"),
    [(None, "is a directory"), ("/proc/nope/x.csv", "cannot create its folder /proc/nope")],
)
def test_forecast_csv_bad_output_is_refused_before_forecasting(
    tmp_path: Path, output: str | None, words: str
) -> None:
    target = output or str(tmp_path)
    res = _invoke("forecast-csv", str(_csv(tmp_path, SMALL)), "--horizon", "2", "-o", target)
    assert res.exit_code == 2 and words in res.output and "input file" not in res.output
    assert "forecasting" not in res.output  # refused before the forecasting bar ever started


def test_forecast_csv_missing_column_does_not_list_internal_columns(tmp_path: Path) -> None:
    """Was: the message listed the internal 'line' column among the file's columns."""
    res = _invoke(
        "forecast-csv",
        str(_csv(tmp_path, "series_id,value\na,1\n")),
        "--horizon",
        "1",
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert res.exit_code == 2 and "missing column 'period'" in res.output
    assert "'line'" not in res.output
