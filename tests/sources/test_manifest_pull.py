"""The manifest pins every published file; pull verifies checksums and refuses a changed file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forecasting.sources.manifest import load_manifest
from forecasting.sources.pull import ChecksumError, PullError, pull_all, pull_source, sha256_file


def test_manifest_covers_every_shared_file(shared_data: Path) -> None:
    pinned = {s.path for s in load_manifest()}
    on_disk = {
        str(p.relative_to(shared_data))
        for p in shared_data.rglob("*")
        if p.is_file() and p.suffix in {".csv", ".gz"} and "tourism/" not in str(p.relative_to(shared_data))
    }
    assert on_disk <= pinned | {"tourism_long.csv"}, sorted(on_disk - pinned)


def test_manifest_checksums_match_mirror(shared_data: Path) -> None:
    for s in load_manifest():
        assert sha256_file(shared_data / s.path) == s.sha256, s.id
        assert s.url.startswith("https://"), s.id
        if s.kind == "public":
            assert s.parser, s.id


def test_pull_from_mirror_then_cache(tmp_path: Path, shared_data: Path) -> None:
    cache = tmp_path / "raw"
    results = pull_all(
        cache, shared_data, kinds=("public",), only=["ons_els_fdi", "wdi_fdi_2025"], allow_download=False
    )
    assert [r.origin.split()[0] for r in results] == ["mirror", "mirror"]
    again = pull_all(cache, shared_data, kinds=("public",), only=["ons_els_fdi"], allow_download=False)
    assert again[0].origin == "cache"


def test_pull_refuses_changed_file(tmp_path: Path, shared_data: Path) -> None:
    mirror = tmp_path / "mirror"
    src = next(s for s in load_manifest() if s.id == "ons_els_fdi")
    (mirror / src.path).parent.mkdir(parents=True)
    shutil.copy(shared_data / src.path, mirror / src.path)
    with (mirror / src.path).open("a") as fh:
        fh.write(
            "TLF,East Midlands,ITL Level 1,Inward foreign direct investment,2025-01-01/P1Y,1,Pounds,£ million,,,,\n"
        )
    with pytest.raises(ChecksumError, match=r"does not match the pinned .*ons_els_fdi"):
        pull_source(src, tmp_path / "raw", mirror, allow_download=False)
    assert not (tmp_path / "raw" / src.path).exists()


def test_pull_replaces_corrupted_cache_entry(tmp_path: Path, shared_data: Path) -> None:
    src = next(s for s in load_manifest() if s.id == "wdi_fdi_2025")
    cache = tmp_path / "raw"
    (cache / src.path).parent.mkdir(parents=True)
    (cache / src.path).write_text("garbage")
    res = pull_source(src, cache, shared_data, allow_download=False)
    assert res.origin.startswith("mirror") and sha256_file(res.path) == src.sha256


def test_pull_without_mirror_or_download_is_a_clear_error(tmp_path: Path) -> None:
    src = load_manifest()[0]
    with pytest.raises(PullError, match="not in mirror"):
        pull_source(src, tmp_path, tmp_path / "nowhere", allow_download=False)
