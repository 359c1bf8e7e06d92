"""The vectorised annual path gives the per-series path's numbers (models, bands, whole forecast-csv files)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation import bands
from forecasting.evaluation.vectorised import _theta_band80, enforce_rows, family_mean
from forecasting.forecast_table import (
    csv_safe,
    for_display,
    forecast_csv_stream,
    forecast_frame,
    read_annual_panel,
    read_forecast_input,
)
from models.base import make


def _sample(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Y = 100 * np.exp(np.cumsum(rng.normal(0.02, 0.1, (n, length)), axis=1))
    Y[0] = 42.0  # flat
    Y[1] = np.linspace(-5, 5, length)  # crosses zero (clipped when non-negative)
    Y[2, -1] = Y[2, -2] * 40  # a jump at the end
    Y[3] = np.round(Y[3])
    return Y


@pytest.mark.parametrize("name", ["naive", "drift", "shrunk_combo"])
@pytest.mark.parametrize("length", [3, 5, 6, 7, 10])
def test_family_means_equal_the_model_objects(name: str, length: int) -> None:
    Y = _sample(12, length, seed=length)
    nn = np.arange(12) % 2 == 1
    got = family_mean(name, Y, 4, nn)
    for i, y in enumerate(Y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = make(name, season_length=1, non_negative=bool(nn[i])).fit(y).predict(4).mean
        np.testing.assert_allclose(got[i], want, rtol=1e-9, atol=1e-9, err_msg=f"{name} series {i}")


def test_theta_band_for_many_equals_statsforecast() -> None:
    from statsforecast.models import AutoTheta

    Y = _sample(20, 9, seed=3)[4:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [AutoTheta(season_length=1).fit(y) for y in Y]
        lo, hi = _theta_band80([f.model_ for f in fits], 5)
        for i, f in enumerate(fits):
            want = f.predict(5, level=[80])
            np.testing.assert_array_equal(lo[i], want["lo-80"])
            np.testing.assert_array_equal(hi[i], want["hi-80"])


def test_enforce_rows_equals_bands_enforce() -> None:
    rng = np.random.default_rng(7)
    probs = (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)
    arr = rng.normal(0, 1, (30, len(probs), 6)) * np.linspace(1, 0.3, 6)  # narrowing, crossing bands
    floor = np.where(np.arange(30) % 3 == 0, -0.2, np.nan)
    got = enforce_rows(arr, probs, floor)
    for i in range(30):
        f = None if np.isnan(floor[i]) else float(floor[i])
        want = bands.enforce({p: arr[i, k] for k, p in enumerate(probs)}, floor=f)
        np.testing.assert_allclose(got[i], np.vstack([want[p] for p in probs]), rtol=0, atol=1e-12)


def _panel_csv(path: Path, n: int, *, trend: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["series_id,period,value"]
    for i in range(n):
        length = 8 + i % 4  # lengths 8-11: several units per chunk
        y = 50 + trend * np.arange(length) + np.cumsum(rng.normal(0, 2, length))
        sid = f"s{i:03d}" if i % 10 else f"=cmd{i}"  # a formula-like id is escaped on both paths
        start = 2000 + i % 5
        rows += [f"{sid},{start + t},{v:.2f}" for t, v in enumerate(y)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _per_series_file(src: Path, out: Path, h: int, method: str, non_negative: bool) -> pd.DataFrame:
    df = read_forecast_input(src)
    res = forecast_frame(df, h, method=method, n_jobs=1, non_negative=non_negative)
    csv_safe(for_display(res, df)).to_csv(out, index=False)
    return pd.read_csv(out, keep_default_na=False)


@pytest.mark.parametrize(
    ("trend", "method", "non_negative"),
    [(0.0, "auto", False), (3.0, "auto", True), (1.0, "drift", False), (0.0, "naive", False)],
)
def test_streamed_file_equals_the_per_series_path(
    tmp_path: Path, trend: float, method: str, non_negative: bool
) -> None:
    src = _panel_csv(tmp_path / "in.csv", 80, trend=trend, seed=int(trend * 10) + len(method))
    panel = read_annual_panel(src)
    assert panel is not None
    fast_out = tmp_path / "fast.csv"
    rows = forecast_csv_stream(
        panel, 3, fast_out, method=method, non_negative=non_negative, n_jobs=1, chunk_size=25
    )
    assert rows == 80 * 3
    fast = pd.read_csv(fast_out, keep_default_na=False)
    slow = _per_series_file(src, tmp_path / "slow.csv", 3, method, non_negative)
    assert list(fast.columns) == list(slow.columns)
    for col in fast.columns:
        if fast[col].dtype == object:
            assert fast[col].tolist() == slow[col].tolist(), col
        else:
            np.testing.assert_allclose(fast[col], slow[col], rtol=1e-9, atol=1e-9, err_msg=col)


def test_chunk_boundaries_do_not_change_the_file(tmp_path: Path) -> None:
    src = _panel_csv(tmp_path / "in.csv", 90, trend=1.0, seed=5)
    panel = read_annual_panel(src)
    assert panel is not None
    outs = []
    for size in (7, 1000):
        out = tmp_path / f"out{size}.csv"
        forecast_csv_stream(panel, 4, out, chunk_size=size, n_jobs=1)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_streamed_output_is_complete_and_well_formed(tmp_path: Path) -> None:
    src = _panel_csv(tmp_path / "in.csv", 60, trend=0.5, seed=9)
    panel = read_annual_panel(src)
    assert panel is not None
    out = tmp_path / "out.csv"
    seen = []
    forecast_csv_stream(
        panel, 5, out, chunk_size=8, n_jobs=1, progress=lambda phase, done, total: seen.append(phase)
    )
    text = out.read_text()
    assert text.count("series_id,period") == 1  # one header although written in many chunks
    frame = pd.read_csv(out, keep_default_na=False)
    assert len(frame) == 60 * 5 and frame["series_id"].nunique() == 60
    steps = frame.groupby("series_id", sort=False)["step"].apply(list)
    assert all(s == [1, 2, 3, 4, 5] for s in steps)
    assert frame[["point", "mean", "lo80", "hi80", "lo95", "hi95"]].notna().all().all()
    assert (frame["lo95"] <= frame["lo80"]).all() and (frame["hi80"] <= frame["hi95"]).all()
    assert {"backtests", "forecasts"} <= set(seen)


def test_reader_hands_anything_unusual_to_the_strict_reader(tmp_path: Path) -> None:
    body = "series_id,period,value\n" + "".join(f"a,{2000 + t},{t}\n" for t in range(6))
    ok = tmp_path / "ok.csv"
    ok.write_text(body)
    assert read_annual_panel(ok) is not None
    for bad in (
        body + "b,2001,1\nb,2003,2\nb,2004,3\n",  # a gap
        body + "a,2002,9\n",  # a duplicate period
        body.replace("a,2003,3", "a,2003,x"),  # not a number
        body.replace("2003", "2003Q1"),  # not annual
        body + "c,2001,1e300\nc,2002,1e300\nc,2003,1e300\n",  # beyond the magnitude limit
    ):
        path = tmp_path / "bad.csv"
        path.write_text(bad)
        assert read_annual_panel(path) is None
