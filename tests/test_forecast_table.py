"""forecast_frame output and read_forecast_input's error messages (series and line named)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.forecast_table import for_display, forecast_frame, read_forecast_input
from forecasting.sources.errors import IngestError


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "in.csv"
    p.write_text(text)
    return p


def _rows(sid: str, periods: list[str], start: float = 10.0) -> str:
    return "".join(f"{sid},{p},{start + i}\n" for i, p in enumerate(periods))


YEARS = [str(y) for y in range(2010, 2020)]
QUARTERS = [f"{y}Q{q}" for y in range(2015, 2020) for q in range(1, 5)]


def test_read_parses_every_period_format(tmp_path: Path) -> None:
    text = (
        "series_id,period,value\n"
        + _rows("a", YEARS)
        + _rows("b", QUARTERS)
        + _rows("c", ["2019-07", "2019-08", "2019-09"])
    )
    text += _rows("d", ["2018-01-01", "2018-04-01", "2018-07-01", "2018-10-01"])
    df = read_forecast_input(_write(tmp_path, text))
    kinds = df.groupby("series_id")["frequency"].first().to_dict()
    assert kinds == {"a": "year", "b": "quarter", "c": "month", "d": "quarter"}
    assert str(df[df.series_id == "b"]["period"].iloc[2]) == "2015Q3"
    assert df["line"].iloc[0] == 2


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("series_id,when,value\na,2019,1\n", 1, ["missing column 'period'"]),
        ("series_id,period,value\na,2019,1\na,2020,1\na,20x1,1\n", 4, ["'a'", "cannot parse period"]),
        ("series_id,period,value\na,2019,1\na,2020,1\na,2020,3\n", 4, ["'a'", "2020 appears twice"]),
        ("series_id,period,value\na,2019,1\na,2020Q1,1\na,2021,1\n", 3, ["'a'", "mixed frequencies"]),
        ("series_id,period,value\na,2017,1\na,2018,1\na,2020,1\n", 4, ["'a'", "period 2019 is missing"]),
        ("series_id,period,value\nb,2019Q1,1\nb,2019Q2,2\nb,2019Q4,3\n", 4, ["'b'", "2019Q3 is missing"]),
        ("series_id,period,value\na,2017,1\na,2018,1\nz,2019,1\nz,2020,2\n", 2, ["'a'", "too short"]),
        ("series_id,period,value\na,2017,1\na,2018,n/a\na,2019,2\n", 3, ["'a'", "not a number"]),
        ("series_id,period,value\na,2017,1\na,2018,\na,2019,2\n", 3, ["'a'", "not a number"]),
    ],
)
def test_bad_input_names_series_and_line(tmp_path: Path, body: str, line: int, words: list[str]) -> None:
    with pytest.raises(IngestError) as info:
        read_forecast_input(_write(tmp_path, body))
    msg = str(info.value)
    assert info.value.line == line and f"line {line}" in msg
    for w in words:
        assert w in msg, msg


def test_forecast_frame_columns_labels_and_levels() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for sid, periods in (("yr", YEARS), ("qt", QUARTERS)):
        vals = 100 + np.cumsum(rng.normal(1, 1, len(periods)))
        rows += [{"series_id": sid, "period": p, "value": v} for p, v in zip(periods, vals, strict=True)]
    out = forecast_frame(pd.DataFrame(rows), 3, method="naive", n_jobs=1)
    assert list(out.columns) == [
        "series_id",
        "period",
        "step",
        "point",
        "mean",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "method",
        "band_source",
        "bound_note",
    ]
    assert out[out.series_id == "yr"]["period"].tolist() == ["2020", "2021", "2022"]
    assert out[out.series_id == "qt"]["period"].tolist() == ["2020Q1", "2020Q2", "2020Q3"]
    assert (
        (out["lo95"] <= out["lo80"]).all()
        and (out["lo80"] <= out["mean"]).all()
        and (out["lo80"] <= out["point"]).all()
        and (out["point"] <= out["hi80"]).all()
        and (out["hi80"] <= out["hi95"]).all()
    )
    shown = for_display(out, pd.DataFrame(rows))  # rounded to the data's precision, never below 1/1000 band
    assert (shown["hi80"] - shown["lo80"] - (out["hi80"] - out["lo80"])).abs().max() < 1e-3 * (
        out["hi80"] - out["lo80"]
    ).min() + 1e-12
    monthly = pd.DataFrame(
        {"series_id": "m", "period": [f"2019-{i:02d}" for i in range(1, 13)], "value": np.arange(12.0) + 1}
    )
    out = forecast_frame(monthly, 2, method="drift", levels=(50, 90), n_jobs=1)
    assert out["period"].tolist() == ["2020-01", "2020-02"] and {"lo50", "hi90"} <= set(out.columns)
    with pytest.raises(ValueError, match="unknown method"):
        forecast_frame(monthly, 2, method="nope")


def test_cli_writes_csv_and_reports_bad_input_in_exit_code_2(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from forecasting.cli.forecast_csv_cmd import forecast_csv

    app = typer.Typer()
    app.command("forecast-csv")(forecast_csv)
    app.command("other")(lambda: None)  # two commands, so typer keeps the subcommand name
    good = _write(tmp_path, "series_id,period,value\n" + _rows("a", YEARS))
    out = tmp_path / "out" / "f.csv"
    res = CliRunner().invoke(
        app, ["forecast-csv", str(good), "--horizon", "2", "--method", "naive", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert table["period"].astype(str).tolist() == ["2020", "2021"] and "hi95" in table.columns
    bad = tmp_path / "bad.csv"
    bad.write_text("series_id,period,value\na,2017,1\na,2018,1\na,2020,1\n")
    res = CliRunner().invoke(app, ["forecast-csv", str(bad), "--horizon", "2", "-o", str(out)])
    assert res.exit_code == 2
    assert "2019 is missing" in res.output and "line 4" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(
        app, ["forecast-csv", str(good), "--horizon", "2", "--levels", "80,x", "-o", str(out)]
    )
    assert res.exit_code == 2 and "--levels" in res.output


def test_zero_floor_only_when_declared_or_asked() -> None:
    """A positive history that falls steeply may be forecast below zero unless the measure cannot be."""
    years = range(2010, 2020)
    values = [100.0 - 11.0 * i for i in range(10)]  # 100 ... 1: drift goes below zero
    rows = [
        {"series_id": sid, "period": str(y), "value": v}
        for sid in ("net_flow", "x")
        for y, v in zip(years, values, strict=True)
    ]
    rows += [
        {"series_id": "fdi_projects.TLF.all.A", "period": str(y), "value": v}
        for y, v in zip(years, values, strict=True)
    ]
    out = forecast_frame(pd.DataFrame(rows), 3, method="drift", n_jobs=1)
    by = out.groupby("series_id")["mean"].min()
    assert by["net_flow"] < 0  # not inferred from the history being positive
    assert by["fdi_projects.TLF.all.A"] >= 0  # the registry declares project counts non-negative
    floored = forecast_frame(pd.DataFrame(rows), 3, method="drift", n_jobs=1, non_negative=True)
    assert (floored[["mean", "lo80", "lo95"]] >= 0).all().all()


def test_csv_safe_escapes_formula_text_but_not_numbers() -> None:
    from forecasting.forecast_table import csv_safe

    df = pd.DataFrame({"series_id": ["-z", "=SUM(A1)", "ok", "\tx"], "mean": [-5.0, 1.0, 2.0, 3.0]})
    out = csv_safe(df)
    assert out["series_id"].tolist() == ["'-z", "'=SUM(A1)", "ok", "'\tx"]
    assert out["mean"].tolist() == [-5.0, 1.0, 2.0, 3.0] and df["series_id"].iloc[0] == "-z"


def test_horizon_cap_depends_on_frequency() -> None:
    from forecasting.errors import InvalidParameter
    from forecasting.forecast_table import max_horizon

    assert (max_horizon("year"), max_horizon("quarter"), max_horizon("month")) == (30, 120, 360)
    rows = [{"series_id": "q", "period": p, "value": float(i)} for i, p in enumerate(QUARTERS)]
    with pytest.raises(InvalidParameter, match="cap of 30 years \\(120 quarters"):
        forecast_frame(pd.DataFrame(rows), 121, method="naive", n_jobs=1)
    assert forecast_frame(pd.DataFrame(rows), 120, method="naive", n_jobs=1)["step"].max() == 120


def test_cli_many_annual_series_streams_with_progress_lines_off_a_terminal(tmp_path: Path) -> None:
    """forecast-csv on enough annual series takes the vectorised path: plain progress lines (no TTY),
    the whole file, and the per-series path's columns."""
    from typer.testing import CliRunner

    from forecasting.cli.app import app

    rng = np.random.default_rng(0)
    body = "series_id,period,value\n" + "".join(
        f"s{i},{2010 + t},{v:.2f}\n"
        for i in range(60)
        for t, v in enumerate(100 + np.cumsum(rng.normal(1, 3, 10)))
    )
    src = _write(tmp_path, body)
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(app, ["forecast-csv", str(src), "--horizon", "3", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "forecast-csv: backtests" in res.output and "forecast-csv: forecasts 60/60 series" in res.output
    frame = pd.read_csv(out)
    assert len(frame) == 180 and list(frame.columns[:5]) == ["series_id", "period", "step", "point", "mean"]
    assert not list(tmp_path.glob(".*partial"))


def test_progress_is_reported_per_pass_and_only_goes_up() -> None:
    """``auto`` on annual series maps twice (backtests, then the final fits once groups chose): each pass is
    its own phase, so a display never sees a count fall back to zero."""
    rng = np.random.default_rng(2)
    rows = [
        {"series_id": f"s{i}", "period": str(2000 + t), "value": 100 + 3 * t + rng.normal(0, 1)}
        for i in range(6)
        for t in range(14)
    ]
    seen: list[tuple[str, int, int]] = []
    forecast_frame(pd.DataFrame(rows), 2, n_jobs=1, progress=lambda *a: seen.append(a))
    phases = [p for p, _, _ in seen]
    assert phases[0] == "backtests & fits" and phases[-1] == "final fits"
    assert phases == sorted(phases, key=["backtests & fits", "final fits"].index)  # one switch, no return
    for name in set(phases):
        done = [d for p, d, _ in seen if p == name]
        assert done == sorted(done) and done[-1] == 6 and {t for p, _, t in seen if p == name} == {6}
