"""Serving documents that a command wrote to disk (profiles, scorecards): re-read on change, with ETags.

Why serve written files: the report pages, the PDFs and the API then show the one document the command
built, and the server never recomputes it. A file is re-read only when its modification time or size
changes; responses carry an ETag so a client's ``If-None-Match`` gets a 304. The parsed documents are held
by the app (``ServiceState.documents``), not by this module, and routes reach a folder of them through
``deps.ScorecardsDirDep``/``ProfilesDirDep`` (a ``WrittenDir``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response

MAX_CACHED = 256


class DocumentCache:
    """Parsed documents by path, each kept until its file's modification time or size changes (bounded)."""

    def __init__(self, max_cached: int = MAX_CACHED) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, int, Any, str]] = {}
        self._max = max_cached

    def read_json(self, path: Path, missing: str) -> tuple[Any, str]:
        """The JSON document at ``path`` and its ETag; 503 with ``missing`` when the file is not there."""
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise HTTPException(503, detail=missing, headers={"Retry-After": "60"}) from None
        key = str(path)
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
                return hit[2], hit[3]
        raw = path.read_bytes()
        doc = json.loads(raw)
        etag = '"doc-' + hashlib.blake2b(raw, digest_size=10).hexdigest() + '"'
        with self._lock:
            if len(self._cache) >= self._max:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (st.st_mtime_ns, st.st_size, doc, etag)
        return doc, etag


@dataclass(frozen=True)
class WrittenDir:
    """A folder a command wrote (scorecards, profiles) with the app's document cache."""

    path: Path
    cache: DocumentCache

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def read_json(self, name: str | Path, missing: str) -> tuple[Any, str]:
        return self.cache.read_json(self.path / name, missing)


def not_modified(request: Request, etag: str) -> bool:
    inm = request.headers.get("if-none-match")
    return bool(inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")])


def json_response(request: Request, body: Any, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    return Response(content=data, media_type="application/json", headers=headers)


def pdf_response(request: Request, path: Path, missing: str) -> Response:
    """A written PDF, ETag from size and modification time; 404 with ``missing`` when absent."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise HTTPException(404, detail=missing) from None
    etag = f'"pdf-{st.st_mtime_ns:x}-{st.st_size:x}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{path.name}"'
    return Response(content=path.read_bytes(), media_type="application/pdf", headers=headers)
