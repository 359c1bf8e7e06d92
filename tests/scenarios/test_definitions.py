"""Scenario files: the worked examples parse; TOML and JSON give the same scenario; errors name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecasting.scenarios.definitions import ScenarioError, list_scenarios, load_scenario, parse_scenario

EXAMPLES = ("baseline", "global-downturn", "uk-investment-boom", "midlands-major-project")


def test_worked_examples_are_named_and_valid() -> None:
    named = list_scenarios()
    assert set(EXAMPLES) <= set(named)
    for name in EXAMPLES:
        sc = load_scenario(name)
        assert sc.name == name and sc.description
    assert load_scenario("baseline").changes == []


def test_json_file_is_the_same_shape(tmp_path: Path) -> None:
    sc = load_scenario("global-downturn")
    path = tmp_path / "gd.json"
    path.write_text(json.dumps(sc.model_dump(mode="json")))
    assert load_scenario(path) == sc


def test_unknown_name_lists_the_named_scenarios() -> None:
    with pytest.raises(KeyError, match="global-downturn"):
        load_scenario("no-such-scenario")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(
        'name = "x"\n[[changes]]\ntype = "driver"\ndriver = "world_fdi"\nkind = "deviation"\nvalues = [1, 2]\nperiods = ["2025"]\n'
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.errors[0]["loc"] == ["changes", 0, "values"]
    assert "bad.toml" in str(info.value) and "wrong length" in str(info.value)


def test_integer_periods_from_toml_become_labels() -> None:
    sc = parse_scenario(
        {
            "name": "x",
            "changes": [
                {
                    "type": "shock",
                    "measure": "m",
                    "geography": "g",
                    "kind": "one_off",
                    "value": 1,
                    "start": 2026,
                }
            ],
        }
    )
    assert sc.changes[0].start == "2026"


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        (
            {"type": "shock", "measure": "m", "geography": "g", "kind": "level", "value": 1e300},
            "value",
            "absurd magnitude",
        ),
        (
            {"type": "shock", "measure": "m", "geography": "g", "kind": "growth", "value": 5000},
            "value",
            "absurd magnitude",
        ),
        (
            {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [1, 2e3]},
            "values",
            "value 1",
        ),
        (
            {"type": "driver", "driver": "world_fdi", "kind": "level", "values": [float("inf")]},
            "values",
            "finite",
        ),
        (
            {"type": "shock", "measure": "m", "geography": "g", "kind": "level", "value": float("nan")},
            "value",
            "finite",
        ),
    ],
)
def test_absurd_and_non_finite_values_are_refused(change: dict, field: str, text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"name": "x", "changes": [change]})
    err = info.value.errors[0]
    assert err["loc"][:3] == ["changes", 0, field] and text in err["msg"]


def test_a_binary_scenario_file_names_the_file(tmp_path) -> None:
    from forecasting.scenarios.definitions import ScenarioError, read_scenario_file

    path = tmp_path / "scenario.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(ScenarioError, match=r"scenario\.toml is not a text file"):
        read_scenario_file(path)


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"name": "x", "changes": True}, ["changes"]),
        ({"name": "x", "changes": {"type": "driver"}}, ["changes"]),
        ({"name": "x", "changes": [1]}, ["changes", 0]),
        ([{"name": "x"}], []),
        (None, []),
    ],
)
def test_wrongly_shaped_scenarios_are_refused_with_the_place(data: object, loc: list) -> None:
    """A scenario body of the wrong shape (found by API fuzzing: `changes: true`) is a user error, not a crash."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert info.value.errors[0]["loc"] == loc
