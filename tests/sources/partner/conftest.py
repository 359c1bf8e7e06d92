"""Synthetic partner files generated once per session (fast, deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.sources.partner.synthetic import write_synthetic_partner_files


@pytest.fixture(scope="session")
def partner_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_synthetic_partner_files(tmp_path_factory.mktemp("partner"), seed=0)


def _mutate(src: Path, dst: Path, row: int, column: str, value: str) -> Path:
    """Copy ``src`` with one field of data row ``row`` (0-based; file line row + 2) replaced."""
    import csv

    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row + 1][rows[0].index(column)] = value
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return dst


def _drop_column(src: Path, dst: Path, column: str) -> Path:
    import csv

    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    i = rows[0].index(column)
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([r[:i] + r[i + 1 :] for r in rows])
    return dst


@pytest.fixture
def mutate():
    return _mutate


@pytest.fixture
def drop_column():
    return _drop_column
