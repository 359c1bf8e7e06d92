"""Scenario time is relative to the date of the projection: "next year" is the year after today, periods
that have begun are nowcasts, and a change wholly in periods already over is refused unless the scenario
is a counterfactual (then labelled so). The generated bundle forecasts 2025-2032."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scen_data import POS, WLD

from forecasting.scenarios.definitions import ScenarioError, parse_scenario
from forecasting.scenarios.project import project

TODAY = dt.date(2026, 12, 7)


def _world(**extra: object) -> dict:
    return {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20, -10], **extra}


def test_a_path_without_start_begins_the_year_after_today(bundle) -> None:
    result = project(bundle, parse_scenario({"name": "w", "changes": [_world()]}), today=TODAY)
    w = result.get(WLD)
    assert w.periods[:3] == ["2025", "2026", "2027"]
    assert np.allclose(w.diff[:2], 0) and w.diff[2] < 0  # 2027 is "next year"
    assert result.timing["first_period"] == "2027" and result.timing["today"] == "2026-12-07"
    mid = result.get(POS.format("MID"))
    first = int(np.flatnonzero(mid.diff)[0])
    assert int(mid.periods[first]) > TODAY.year
    assert [p["kind"] for p in mid.points()][:3] == ["nowcast", "nowcast", "forecast"]


def test_the_same_scenario_a_year_later_moves_a_year_later(bundle) -> None:
    sc = parse_scenario({"name": "w", "changes": [_world()]})
    now, later = (project(bundle, sc, [WLD], today=t).get(WLD) for t in (TODAY, dt.date(2027, 12, 7)))
    rel_now, rel_later = now.diff / now.baseline_mean, later.diff / later.baseline_mean
    assert np.allclose(rel_later[1:], rel_now[:-1])


@pytest.mark.parametrize(
    "change",
    [
        _world(start="2025"),
        {
            "type": "shock",
            "measure": "fdi_projects",
            "geography": "TLG",
            "kind": "one_off",
            "value": 1,
            "start": "2026",
        },
    ],
)
def test_a_change_wholly_in_the_past_is_refused_unless_counterfactual(bundle, change) -> None:
    with pytest.raises(ScenarioError) as info:
        project(bundle, parse_scenario({"name": "past", "changes": [change]}), today=dt.date(2027, 3, 1))
    assert info.value.errors[0]["loc"] == ["changes", 0, "start"]
    assert "wholly in the past" in str(info.value) and "counterfactual" in str(info.value)
    sc = parse_scenario({"name": "past", "counterfactual": True, "changes": [change]})
    result = project(bundle, sc, today=dt.date(2027, 3, 1))
    assert result.to_dict()["affected"] > 0 and result.timing["counterfactual"]
    assert result.to_dict()["timing"]["label"].startswith("counterfactual")


def test_a_change_that_reaches_the_future_is_allowed_and_marks_its_nowcasts(bundle) -> None:
    sc = parse_scenario({"name": "w", "changes": [_world(start="2026", values=[-20, -10, -5])]})
    result = project(bundle, sc, [WLD], today=TODAY)
    pts = result.get(WLD).points()
    assert pts[1]["period"] == "2026" and pts[1]["kind"] == "nowcast" and pts[1]["diff"] < 0
    assert not result.timing["counterfactual"]


def test_today_is_validated_on_the_command_line() -> None:
    from typer.testing import CliRunner

    from forecasting.cli.app import app

    out = CliRunner().invoke(app, ["scenario", "run", "baseline", "--today", "7/12/2026", "--bundle", "x"])
    assert out.exit_code != 0 and "YYYY-MM-DD" in out.output
