"""Scorecard fixtures: the in-memory world (``sc_world``) built once per session."""

from __future__ import annotations

import pytest
from scorecard_world import make_bundle, make_inputs

from forecasting.scorecards.inputs import Inputs


@pytest.fixture(scope="session")
def inputs() -> Inputs:
    return make_inputs()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, inputs: Inputs):
    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish

    out = tmp_path_factory.mktemp("scorecards")
    sset = build_scorecards(out / "unused.duckdb", make_bundle(), None, 11, draws=200, inputs=inputs)
    publish(sset, out)
    return sset, out
