"""Scorecard fixtures: the in-memory world (synthetic and licensed partner lists) built once per session."""

from __future__ import annotations

import pytest
from scorecard_world import make_bundle, make_inputs

from forecasting.scorecards.inputs import Inputs


@pytest.fixture(scope="session")
def inputs() -> Inputs:
    return make_inputs()


@pytest.fixture(scope="session")
def licensed_inputs() -> Inputs:
    return make_inputs(partner="licensed")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, inputs: Inputs):
    """Built and published (JSON, CSV; no HTML report or PDF: the tests that need those render them) on
    the world with synthetic partner lists."""
    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish

    out = tmp_path_factory.mktemp("scorecards")
    sset = build_scorecards(
        out / "unused.duckdb", make_bundle(), None, 11, draws=300, replicates=25, inputs=inputs
    )
    publish(sset, out, report=False)
    return sset, out


@pytest.fixture(scope="session")
def built_licensed(licensed_inputs: Inputs):
    from forecasting.scorecards.build import build_scorecards

    return build_scorecards(
        "unused.duckdb", make_bundle(), None, 11, draws=200, replicates=10, inputs=licensed_inputs
    )
