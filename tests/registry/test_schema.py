"""The bundle schema's column lists agree with the typed tables (one definition per table)."""

from __future__ import annotations

from forecasting.registry.schema import LEGACY_TRANSMISSION_COLUMNS, TRANSMISSION_COLUMNS, TransmissionTable


def test_transmission_columns_are_defined_once_and_checked() -> None:
    """Training writes ``TRANSMISSION_COLUMNS`` (imported from the schema, not a copy); every column the
    pandera table declares is one of them (or a legacy column older bundles carry)."""
    from forecasting.training import transmission

    assert transmission.TRANSMISSION_COLUMNS is TRANSMISSION_COLUMNS
    assert len(set(TRANSMISSION_COLUMNS)) == len(TRANSMISSION_COLUMNS)
    declared = set(TransmissionTable.to_schema().columns)
    assert declared - set(LEGACY_TRANSMISSION_COLUMNS) <= set(TRANSMISSION_COLUMNS)
    assert {"target_id", "driver_id", "elasticity", "coefficient", "form"} <= declared
