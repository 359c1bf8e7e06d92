"""Save and load ``BundleContents`` as a plain directory: one Parquet file per table, JSON for the rest.

Why a directory of open formats: the bundle is read by the API, scenarios and scorecards (and by people
debugging a release), so nothing in it is pickled and every file can be opened without this code.

Layout::

    <dir>/manifest.json        format version, row counts and sha256 of every file
    <dir>/tables/<name>.parquet  one per ``contents.TABLES``
    <dir>/states.json          series_id -> JSON-safe model state
    <dir>/metadata.json        vintage, config, seed, metrics ...
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.bundle.contents import TABLES, BundleContents

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class BundleFormatError(ValueError):
    """A bundle directory is missing files, has a file whose checksum changed, or is a newer format."""


def to_jsonable(obj: Any) -> Any:
    """Numpy scalars/arrays, timestamps, paths and non-finite floats -> plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, pd.Timestamp | datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(to_jsonable(data), sort_keys=True, indent=1, allow_nan=False), encoding="utf-8"
    )


def save_contents(contents: BundleContents, path: Path | str) -> Path:
    """Write ``contents`` to ``path`` (created; must not already hold a bundle). Atomic per directory."""
    path = Path(path)
    if (path / MANIFEST).exists():
        raise FileExistsError(f"{path} already holds a bundle")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-", dir=path.parent))
    try:
        (tmp / "tables").mkdir()
        rows: dict[str, int] = {}
        for name in TABLES:
            df = getattr(contents, name)
            if not isinstance(df, pd.DataFrame):
                raise TypeError(f"bundle table {name!r} must be a DataFrame, got {type(df).__name__}")
            df.reset_index(drop=True).to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
            rows[name] = len(df)
        _write_json(tmp / "states.json", contents.states)
        _write_json(tmp / "metadata.json", contents.metadata)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        _write_json(
            tmp / MANIFEST,
            {"format_version": FORMAT_VERSION, "rows": rows, "sha256": {f: _sha256(tmp / f) for f in files}},
        )
        if path.exists():
            path.rmdir()  # an empty placeholder directory is fine; a non-empty one raises
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_manifest(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise BundleFormatError(f"{path} is not a forecast bundle (no {MANIFEST})")
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BundleFormatError(
            f"{path}: bundle format {manifest['format_version']} is newer than this code ({FORMAT_VERSION})"
        )
    return manifest


def load_contents(path: Path | str, verify: bool = True) -> BundleContents:
    """Read a bundle directory; ``verify`` checks every file against the manifest's sha256."""
    path = Path(path)
    manifest = read_manifest(path)
    if verify:
        for rel, digest in manifest["sha256"].items():
            f = path / rel
            if not f.is_file():
                raise BundleFormatError(f"{path}: missing {rel}")
            if _sha256(f) != digest:
                raise BundleFormatError(f"{path}: {rel} does not match its checksum (corrupted or edited)")
    tables = {name: pd.read_parquet(path / "tables" / f"{name}.parquet") for name in TABLES}
    states = json.loads((path / "states.json").read_text(encoding="utf-8"))
    metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    names = {f.name for f in fields(BundleContents)}
    return BundleContents(**{k: v for k, v in tables.items() if k in names}, states=states, metadata=metadata)


def find_bundle_dir(root: Path | str) -> Path:
    """The bundle directory at or under ``root`` (a downloaded MLflow model holds it in artifacts/)."""
    root = Path(root)
    if (root / MANIFEST).is_file():
        return root
    hits = sorted(p.parent for p in root.rglob(MANIFEST))
    if not hits:
        raise BundleFormatError(f"no forecast bundle found under {root}")
    return hits[0]
