"""Ingest edge cases: a re-saved file with the same rows records no empty vintage; a FIFO, a symbolic link
loop or a dangling link is named as what it is, not "file not found"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forecasting.sources.errors import IngestError
from forecasting.warehouse.ingest import ingest, item_for_path
from forecasting.warehouse.store import Warehouse

FDI = "ons_els/foreign-direct-investment.csv"


def test_same_rows_in_new_bytes_record_no_vintage(shared_data: Path, tmp_path: Path) -> None:
    first = item_for_path(shared_data / FDI)
    copy = tmp_path / "fdi-redownloaded.csv"
    copy.write_bytes((shared_data / FDI).read_bytes() + b"\n")  # other bytes, the same rows
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        assert ingest(wh, [first]).vintage is not None
        report = ingest(wh, [item_for_path(copy, source_id=first.source, release=first.release)])
        assert report.vintage is None and report.new_rows == 0
        assert [f["status"] for f in report.files] == ["unchanged"]
        assert wh.counts()["vintages"] == 1


def test_a_fifo_is_named_as_such(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    with pytest.raises(IngestError, match="named pipe"):
        item_for_path(fifo)


def test_a_symlink_loop_and_a_dangling_link_are_named_as_such(tmp_path: Path) -> None:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(IngestError, match="symbolic link loop"):
        item_for_path(loop)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(IngestError, match="symbolic link to .*gone.csv, which does not exist"):
        item_for_path(dangling)
    with pytest.raises(IngestError, match="file not found"):
        item_for_path(tmp_path / "nothing.csv")
