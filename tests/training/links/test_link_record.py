"""A transmission link's row has exactly the table's columns, in the schema's order (one definition)."""

from __future__ import annotations

import pytest

from forecasting.registry.schema import TRANSMISSION_COLUMNS
from forecasting.training.links.record import Link


def test_a_row_has_the_schema_columns_in_order() -> None:
    row = Link("t", "d", "log", 0.5, 0.1, "logdiff_ols", 12, "note", dof=10).row()
    assert tuple(row) == TRANSMISSION_COLUMNS
    assert row["ci_lo"] < 0.5 < row["ci_hi"] and row["own_coefficient"] == 0.5


def test_an_identity_has_no_interval_and_a_macro_row_keeps_its_own() -> None:
    assert Link("t", "d", "conversion", 1.0, 0.0, "x", 0, "", identity=True).interval == (1.0, 1.0)
    assert Link("t", "d", "macro", 0.2, 0.1, "x", 9, "", ci=(0.0, 0.5)).interval == (0.0, 0.5)
    assert Link("t", "d", "level", 1.0, 0.5, "x", 9, "").half_width == pytest.approx(1.96 * 0.5, rel=1e-3)
