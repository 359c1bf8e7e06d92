"""Ingest refuses what cannot be true (future dates, absurd values, a release that is no date) and never
leaves half a warehouse: each case names file, line and column, and the warehouse is left unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from forecasting.errors import InvalidParameter
from forecasting.sources.errors import IngestError
from forecasting.sources.partner.synthetic import write_synthetic_partner_files
from forecasting.warehouse import ingest as ingest_mod
from forecasting.warehouse.ingest import check_release, ingest, item_for_path
from forecasting.warehouse.store import Warehouse, WarehouseError

FDI = "ons_els/foreign-direct-investment.csv"
ELS_ROW = "TLF,East Midlands,ITL Level 1,Inward foreign direct investment,2024-01-01/P1Y,61511"


@pytest.fixture(scope="module")
def partner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_synthetic_partner_files(tmp_path_factory.mktemp("partner"), seed=0)


def _edit_csv(src: Path, dst: Path, row: int, column: str, value: str) -> Path:
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row + 1][rows[0].index(column)] = value
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return dst


def _els_with(shared: Path, dst: Path, old: str, new: str) -> Path:
    text = (shared / FDI).read_text(encoding="utf-8-sig")
    assert old in text
    dst.write_text(text.replace(old, new), encoding="utf-8")
    return dst


def _rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM observations").fetchone()[0]
    finally:
        con.close()


def test_partner_row_dated_2099_is_refused_with_its_line(partner, tmp_path: Path) -> None:
    """Was: accepted, and the complete-listing zero fill fabricated 786 rows for 2012-2098."""
    bad = _edit_csv(partner["fdi_projects"], tmp_path / "fdi.csv", 4, "Project date", "2099-05-01")
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        with pytest.raises(IngestError) as exc:
            ingest(wh, [item_for_path(bad)])
        assert wh.counts()["observations"] == 0
    err = exc.value
    assert (err.file, err.line, err.column) == (str(bad), 6, "Project date")
    assert "date in the future" in str(err) and dt.date.today().isoformat() in str(err)


def test_period_after_the_release_date_is_refused(shared_data: Path, tmp_path: Path) -> None:
    """A re-release of a pinned file passed with an earlier --release cannot hold later periods."""
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        with pytest.raises(IngestError) as exc:
            ingest(wh, [item_for_path(shared_data / FDI, "ons_els_fdi", "2020-06-01")])
        assert wh.counts()["observations"] == 0
    err = exc.value
    assert err.column == "period" and err.line and err.line > 1
    assert "after the release date 2020-06-01" in str(err)


@pytest.mark.parametrize("release", ["notadate", "2024-13-01", "01/06/2024", "2024-6-1"])
def test_release_must_be_an_iso_date(shared_data: Path, release: str) -> None:
    """Was: 'notadate' stored and, compared as text, 'latest' forever."""
    with pytest.raises(InvalidParameter, match=r"--release must be an ISO date YYYY-MM-DD.*" + release):
        item_for_path(shared_data / FDI, "ons_els_fdi", release)


def test_release_in_the_future_is_refused() -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(InvalidParameter, match="in the future"):
        check_release(tomorrow)
    assert check_release(" 2024-06-01 ") == "2024-06-01"


def test_absurd_public_value_is_refused_with_file_line_column(shared_data: Path, tmp_path: Path) -> None:
    """Was: 1e308 accepted, then a model with infinite quantiles and a MASE of 1e304 was registered."""
    bad = _els_with(shared_data, tmp_path / "fdi.csv", ELS_ROW, ELS_ROW.replace("61511", "1e308"))
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        with pytest.raises(IngestError) as exc:
            ingest(wh, [item_for_path(bad, "ons_els_fdi", "2025-06-01")])
        assert wh.counts()["observations"] == 0
    err = exc.value
    assert err.column == "observation" and err.line and err.line > 1
    text = str(err)
    assert "implausible value for fdi_inward_position" in text and "GBP million" in text
    assert "got 1e+308" in text and "np.float64" not in text


def test_absurd_partner_record_is_refused_at_its_own_line(partner, tmp_path: Path) -> None:
    bad = _edit_csv(partner["fdi_projects"], tmp_path / "fdi.csv", 9, "Capital investment (USD m)", "1e308")
    with Warehouse(tmp_path / "wh.duckdb") as wh, pytest.raises(IngestError) as exc:
        ingest(wh, [item_for_path(bad)])
    err = exc.value
    assert (err.line, err.column) == (11, "Capital investment (USD m)")
    assert "fdi_project_capex_usd_m" in str(err) and "plausibility bounds" in str(err)


def test_declared_bounds_are_used_for_a_percentage() -> None:
    from forecasting.reference.measures import load_measures

    m = load_measures()
    assert m["survival_rate_3y"].plausible == (0.0, 100.0)  # declared: bounds = [0, 100]
    lo, hi = m["fdi_inward_position"].plausible  # default rule: money within 1e15 base units
    assert (lo, hi) == (-1e9, 1e9)
    assert m["fdi_projects"].plausible == (0.0, 1e10)  # count, non-negative


def test_bad_calendar_period_names_file_line_column_and_format(shared_data: Path, tmp_path: Path) -> None:
    """Was: a bare "month must be in 1..12"."""
    bad = _els_with(shared_data, tmp_path / "fdi.csv", ELS_ROW, ELS_ROW.replace("2024-01-01", "2022-13-01"))
    with pytest.raises(IngestError) as exc:
        item_for_path(bad, "ons_els_fdi", "2025-06-01").parser(bad)
    err = exc.value
    assert err.column == "period" and err.line and err.line > 1 and err.file == str(bad)
    assert "YYYY-MM-DD/P1Y" in str(err) and "'2022-13-01/P1Y'" in str(err)


def test_negative_count_message_prints_a_plain_number(tmp_path: Path) -> None:
    """Was: ``got np.float64(-500.0)``."""
    import numpy as np

    err = IngestError(tmp_path / "f.csv", "negative value", line=3, column="value", got=np.float64(-500.0))
    assert str(err).endswith("got -500.0")


def test_directory_is_refused_as_one_line(tmp_path: Path) -> None:
    """Was: IsADirectoryError with a traceback."""
    with pytest.raises(IngestError, match="is a directory, not a file"):
        item_for_path(tmp_path)


def test_failure_after_the_ddl_leaves_no_tables_and_a_usable_file(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: tables created outside the transaction, so an early kill left a partial schema."""
    path = tmp_path / "wh.duckdb"

    def boom(*args, **kwargs):
        raise RuntimeError("killed after the DDL")

    monkeypatch.setattr(ingest_mod, "write_file", boom)
    with Warehouse(path) as wh, pytest.raises(RuntimeError, match="killed after the DDL"):
        ingest(wh, [item_for_path(shared_data / FDI)])
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0
    con.close()
    with pytest.raises(WarehouseError, match="holds no data yet"):
        Warehouse(path, read_only=True)
    monkeypatch.undo()
    with Warehouse(path) as wh:
        assert ingest(wh, [item_for_path(shared_data / FDI)]).new_rows > 1000
    assert _rows(path) > 1000


def test_partial_schema_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE vintages (vintage VARCHAR)")
    con.close()
    for read_only in (True, False):
        with pytest.raises(
            WarehouseError, match=r"incomplete schema \(missing tables \['files', 'observations'\]"
        ):
            Warehouse(path, read_only=read_only)


def test_not_a_duckdb_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(WarehouseError, match="is not a DuckDB database"):
        Warehouse(path)


def test_unwritable_warehouse_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file or file system: duckdb's IOException becomes a WarehouseError naming the file."""
    import forecasting.warehouse.store as store

    def refuse(path: str, read_only: bool = False):
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')

    monkeypatch.setattr(store.duckdb, "connect", refuse)
    with pytest.raises(WarehouseError, match=r"cannot be opened for writing .*Read-only file system"):
        Warehouse(tmp_path / "wh.duckdb")


@pytest.mark.slow  # a second process holds the write lock
def test_warehouse_locked_by_another_writer_is_a_one_line_error(shared_data: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "wh.duckdb"
    shutil.copy(shared_data / FDI, tmp_path / "fdi.csv")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys; c=duckdb.connect({str(path)!r}); print('ok', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        for read_only in (False, True):
            with pytest.raises(WarehouseError, match=rf"in use by another process \(process {holder.pid}\)"):
                Warehouse(path, read_only=read_only)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.slow  # a real SIGKILL in a child process, mid-transaction
def test_sigkill_after_the_ddl_leaves_a_usable_file(shared_data: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "wh.duckdb"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from forecasting.warehouse import ingest as m\n"
        "from forecasting.warehouse.store import Warehouse\n"
        "m.write_file = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"with Warehouse(Path({str(path)!r})) as wh:\n"
        f"    m.ingest(wh, [m.item_for_path(Path({str(shared_data / FDI)!r}))])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    with Warehouse(path) as wh:  # opens: no half-made schema
        assert not wh.has_schema
        assert ingest(wh, [item_for_path(shared_data / FDI)]).new_rows > 1000
