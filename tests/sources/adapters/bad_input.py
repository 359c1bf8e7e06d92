"""Helpers for the adapters' bad-input tests: copy a published file, damage one line, check the message."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

from forecasting.sources.errors import IngestError


def copy_source(src_dir: Path, tmp_path: Path, name: str) -> Path:
    """A writable copy of a published file (the mirror is read-only)."""
    dst = tmp_path / name
    shutil.copy(src_dir / name, dst)
    dst.chmod(0o644)
    return dst


def edit_line(path: Path, line: int, fn: Callable[[str], str]) -> None:
    """Apply ``fn`` to 1-based ``line`` (header = 1) of a UTF-8(-BOM) file."""
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    lines[line - 1] = fn(lines[line - 1])
    path.write_text("\n".join(lines), encoding="utf-8")


def assert_names(exc: IngestError, path: Path, line: int, column: str) -> None:
    """The message names the file, the line and the column."""
    msg = str(exc)
    assert str(path) in msg and f"line {line}" in msg and repr(column) in msg, msg


def set_cell(path: Path, line: int, column: int, text: str) -> None:
    """Replace one CSV cell (0-based ``column``) of 1-based ``line``; only that row is re-quoted."""

    def replace(row_text: str) -> str:
        row = next(csv.reader([row_text]))
        row[column] = text
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(row)
        return buf.getvalue()

    edit_line(path, line, replace)


def truncate(path: Path, line: int, keep: int) -> None:
    """Cut the file inside 1-based ``line`` after ``keep`` characters (a download that stopped mid-row)."""
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    path.write_text("\n".join([*lines[: line - 1], lines[line - 1][:keep]]), encoding="utf-8")
