"""Save and load ``BundleContents`` as a plain directory: one Parquet file per table, JSON for the rest.

Why a directory of open formats: the bundle is read by the API, scenarios and scorecards (and by people
debugging a release), so nothing in it is pickled and every file can be opened without this code.

Layout::

    <dir>/manifest.json        format version, row counts and sha256 of every file
    <dir>/tables/<name>.parquet  one per ``contents.TABLES``
    <dir>/states.json          series_id -> JSON-safe model state
    <dir>/metadata.json        ``BundleMetadata``: vintage, config, seed, provenance ...

Every table is checked against its schema (``forecasting.registry.schema``) before it is written and
after it is read, so a corrupted or hand-edited bundle is refused with the table, column and rule.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.registry.contents import OPTIONAL_TABLES, TABLES, BundleContents
from forecasting.registry.schema import (
    BundleFormatError,
    check_forecast_grid,
    check_references,
    parse_metadata,
    validate_table,
)

# 2: typed contract (pandera tables, pydantic metadata, drivers as {series_id, alias} records).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"


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


def sha256(path: Path) -> str:
    """Hex digest of a file (the manifest's checksum)."""
    return _sha256(path)


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


def validate_contents(contents: BundleContents) -> None:
    """The whole contract: every table's schema, the quantile grid, ids that resolve to the catalogue."""
    tables = {name: validate_table(name, getattr(contents, name)) for name in TABLES}
    tables |= {name: validate_table(name, getattr(contents, name)) for name in OPTIONAL_TABLES}
    check_forecast_grid(tables["forecasts"])
    check_references(tables)


def save_contents(contents: BundleContents, path: Path | str) -> Path:
    """Write ``contents`` to ``path`` (created; must not already hold a bundle). Atomic per directory."""
    path = Path(path)
    validate_contents(contents)
    if (path / MANIFEST).exists():
        raise FileExistsError(f"{path} already holds a bundle")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-", dir=path.parent))
    try:
        (tmp / "tables").mkdir()
        rows: dict[str, int] = {}
        for name in TABLES:
            df = getattr(contents, name)
            df.reset_index(drop=True).to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
            rows[name] = len(df)
        for name in OPTIONAL_TABLES:  # only when present: a bundle without them is as before
            df = getattr(contents, name)
            if not df.empty:
                df.reset_index(drop=True).to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
                rows[name] = len(df)
        _write_json(tmp / "states.json", contents.states)
        _write_json(tmp / "metadata.json", contents.metadata.model_dump(mode="json"))
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
    found = int(manifest.get("format_version", 0))
    if found > FORMAT_VERSION:
        raise BundleFormatError(
            f"{path}: bundle format {found} is newer than this code ({FORMAT_VERSION}); upgrade the service"
        )
    if found < FORMAT_VERSION:
        raise BundleFormatError(
            f"{path}: bundle format {found} was written before the typed bundle contract (format "
            f"{FORMAT_VERSION}) and cannot be served; retrain with `invest train --experiment FILE` and "
            "promote the new version (`invest models promote VERSION --reason ...`)"
        )
    return manifest


def load_contents(path: Path | str, verify: bool = True) -> BundleContents:
    """Read a bundle directory: schema checks always; ``verify`` also checks every file's sha256.

    Schemas first, so an edited table that breaks a rule is named with that rule; an edit that keeps
    every rule is still caught by its checksum.
    """
    path = Path(path)
    manifest = read_manifest(path)
    for rel in manifest["sha256"]:
        if not (path / rel).is_file():
            raise BundleFormatError(f"{path}: missing {rel}")
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        try:
            df = pd.read_parquet(path / "tables" / f"{name}.parquet")
        except Exception as exc:  # truncated or not Parquet at all
            raise BundleFormatError(f"{path}: bundle table {name!r} cannot be read ({exc})") from exc
        tables[name] = validate_table(name, df)
    for name in OPTIONAL_TABLES:
        rel = f"tables/{name}.parquet"
        if rel not in manifest["sha256"]:
            tables[name] = pd.DataFrame()
            continue
        try:
            df = pd.read_parquet(path / rel)
        except Exception as exc:
            raise BundleFormatError(f"{path}: bundle table {name!r} cannot be read ({exc})") from exc
        tables[name] = validate_table(name, df)
    check_forecast_grid(tables["forecasts"])
    check_references(tables)
    if verify:
        for rel, digest in manifest["sha256"].items():
            if _sha256(path / rel) != digest:
                raise BundleFormatError(f"{path}: {rel} does not match its checksum (corrupted or edited)")
    try:
        states = json.loads((path / "states.json").read_text(encoding="utf-8"))
        raw_meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleFormatError(f"{path}: states.json or metadata.json is not valid JSON ({exc})") from exc
    metadata = parse_metadata(raw_meta, str(path))
    return BundleContents(**tables, states=states, metadata=metadata)


def find_bundle_dir(root: Path | str) -> Path:
    """The bundle directory at or under ``root`` (a downloaded MLflow model holds it in artifacts/)."""
    root = Path(root)
    if (root / MANIFEST).is_file():
        return root
    hits = sorted(p.parent for p in root.rglob(MANIFEST))
    if not hits:
        raise BundleFormatError(f"no forecast bundle found under {root}")
    return hits[0]
