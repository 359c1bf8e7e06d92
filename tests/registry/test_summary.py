"""Headline accuracy: robust, counted, real series only, outliers by name; `invest models list` shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.registry.summary import headline, outliers


def _metrics() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    real = [f"fdi_net_inflows_usd.C{i}.all.A" for i in range(40)]
    fake = [f"partner_projects.S{i}.all.A" for i in range(30)]
    mase = np.r_[rng.uniform(0.6, 2.0, 39), 2.0e7, rng.uniform(5, 9, 30)]
    return pd.DataFrame({"series_id": real + fake, "mase": mase, "coverage80": 0.8, "coverage95": 0.95}), fake


def test_headline_is_median_and_geomean_of_real_series_with_outliers_named() -> None:
    m, fake = _metrics()
    h = headline(m, fake)
    assert h["n_series"] == 40 and h["synthetic.n_series"] == 30
    assert 0.6 < h["mase_median"] < 2.0 and h["mase_geomean"] < 100  # the 2e7 series is not averaged in
    assert h["synthetic.mase_median"] > 5
    assert h["outliers"] == "fdi_net_inflows_usd.C39.all.A (2e+07)"
    assert outliers(m[m["series_id"].isin(fake)]) == []


def test_models_list_shows_the_robust_headline(monkeypatch) -> None:
    from forecasting.cli import models_cmd
    from forecasting.cli.app import app
    from forecasting.registry import promotion

    m, fake = _metrics()
    h = headline(m, fake)
    tags = {f"metric.headline.{k}": f"{v:.6g}" for k, v in h.items() if isinstance(v, float)}
    tags |= {"metric.mase": "500000", "mase_outliers": h["outliers"]}
    v = promotion._summary(
        type(
            "MV",
            (),
            {"tags": tags, "version": "3", "aliases": ["champion"], "run_id": "r", "creation_timestamp": 0},
        )()
    )
    assert v.created == datetime.fromtimestamp(0, UTC)
    monkeypatch.setattr(promotion, "list_versions", lambda client, name: [v])
    monkeypatch.setattr(models_cmd, "_client", lambda uri: _Null())
    res = CliRunner().invoke(app, ["models", "list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "MASE median" in out and f"{h['mase_median']:.3f}" in out and " 40 " in out
    assert "500000" not in out  # the plain mean is not a headline
    assert "synthetic series apart: 30 series" in out and "fdi_net_inflows_usd.C39.all.A (2e+07)" in out


class _Null:
    def __enter__(self):
        return object()

    def __exit__(self, *exc) -> None:
        return None


def test_relative_mase_compares_the_choice_with_no_change_on_the_same_windows() -> None:
    import json

    from forecasting.registry.summary import relative_mase

    rows = [  # chosen MASE 0.5 / 2 / 1 against naive 1 on the same windows; one series without naive
        ("a", "shrunk_combo", {"shrunk_combo": {"mase": 0.5}, "naive": {"mase": 1.0}}),
        ("b", "drift", {"drift": {"mase": 2.0}, "naive": {"mase": 1.0}, "shrunk_combo": {"mase": 9.0}}),
        (
            "c",
            "combo(seasonal_naive,theta)",
            {"combo(seasonal_naive,theta)": {"mase": 1.0}, "seasonal_naive": {"mase": 1.0}},
        ),
        ("d", "drift", {"drift": {"mase": 3.0}}),
    ]
    m = pd.DataFrame(
        {
            "series_id": [r[0] for r in rows],
            "method": [r[1] for r in rows],
            "candidates_json": [json.dumps(r[2]) for r in rows],
        }
    )
    r = relative_mase(m)
    assert r["n_rel_naive"] == 3 and r["mase_rel_naive"] == pytest.approx(1.0)  # (0.5 * 2 * 1) ** (1/3)
    assert r["share_beats_naive"] == pytest.approx(1 / 3)
    assert relative_mase(m.drop(columns="candidates_json")) == {}
