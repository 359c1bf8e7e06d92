"""Fill the raw cache from a mirror directory or the publisher, verifying every checksum."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from forecasting.errors import InvestError
from forecasting.sources.manifest import Source, load_manifest


class ChecksumError(InvestError):
    """A file's content differs from the pinned checksum: refuse it."""


class PullError(InvestError):
    """A file could be found neither in the mirror nor at the publisher."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class PullResult:
    source: Source
    path: Path
    origin: str  # "cache", "mirror <dir>" or "publisher <url>"


def verify(source: Source, path: Path) -> None:
    got = sha256_file(path)
    if got != source.sha256:
        raise ChecksumError(
            f"{path}: sha256 {got} does not match the pinned {source.sha256} for source {source.id!r} "
            f"({source.title}); refusing it. If the publisher has released a new vintage, update "
            f"forecasting/sources/manifest.toml deliberately."
        )


def _atomic_copy(src: Path, dest: Path, source: Source) -> None:
    """Copy to a temp file, verify, then rename: the cache never holds an unverified file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".pull-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        verify(source, Path(tmp))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _download(source: Source, dest: Path, timeout: float) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".pull-")
    os.close(fd)
    try:
        with httpx.stream("GET", source.url, timeout=timeout, follow_redirects=True) as r:
            r.raise_for_status()
            with open(tmp, "wb") as fh:
                for chunk in r.iter_bytes():
                    fh.write(chunk)
        verify(source, Path(tmp))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def pull_source(
    source: Source, cache: Path, mirror: Path | None, *, allow_download: bool = True, timeout: float = 30.0
) -> PullResult:
    dest = cache / source.path
    if dest.exists():
        try:
            verify(source, dest)
            return PullResult(source, dest, "cache")
        except ChecksumError:
            dest.unlink()  # a stale or corrupted cache entry is replaced, never trusted
    if mirror is not None and (mirror / source.path).exists():
        _atomic_copy(mirror / source.path, dest, source)
        return PullResult(source, dest, f"mirror {mirror}")
    if not allow_download:
        raise PullError(f"{source.id}: {source.path} not in mirror {mirror} and downloads are disabled")
    try:
        _download(source, dest, timeout)
    except httpx.HTTPError as exc:
        where = f"mirror {mirror}" if mirror else "no mirror configured (set INVEST_MIRROR)"
        raise PullError(
            f"{source.id}: {source.path} not found ({where}) and download from {source.url} failed: {exc}"
        ) from exc
    return PullResult(source, dest, f"publisher {source.url}")


def pull_all(
    cache: Path,
    mirror: Path | None,
    *,
    kinds: Iterable[str] = ("public", "reference", "benchmark"),
    only: Iterable[str] | None = None,
    allow_download: bool = True,
    on_done: Callable[[PullResult], None] | None = None,
) -> list[PullResult]:
    wanted = set(only) if only else None
    results = []
    for source in load_manifest():
        if source.kind not in kinds or (wanted is not None and source.id not in wanted):
            continue
        res = pull_source(source, cache, mirror, allow_download=allow_download)
        results.append(res)
        if on_done:
            on_done(res)
    return results
