"""Bundles round-trip through Parquet + JSON, are checksummed, and contain nothing pickled."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from models.bundle.contents import TABLES
from models.bundle.store import BundleFormatError, load_contents, save_contents


def test_roundtrip_is_exact(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    back = load_contents(path)
    for name in TABLES:
        a, b = getattr(contents, name), getattr(back, name)
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b, check_dtype=False, check_index_type=False, check_column_type=False
        )
    assert back.states == json.loads(json.dumps(contents.states))
    assert back.metadata["note"] == 1.5 and back.metadata["max_horizon"] == 3
    suffixes = {p.suffix for p in path.rglob("*") if p.is_file()}
    assert suffixes == {".parquet", ".json"}


def test_refuses_to_overwrite_and_detects_tampering(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    with pytest.raises(FileExistsError):
        save_contents(contents, path)
    (path / "states.json").write_text("{}")
    with pytest.raises(BundleFormatError, match="checksum"):
        load_contents(path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleFormatError, match="newer"):
        load_contents(path)
    with pytest.raises(BundleFormatError, match="not a forecast bundle"):
        load_contents(tmp_path)
