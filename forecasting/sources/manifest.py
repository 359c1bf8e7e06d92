"""The pinned-source manifest: which files exist, who publishes them, their checksum and parser."""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from forecasting.errors import NotFound

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    path: str
    title: str
    publisher: str
    licence: str
    url: str
    publisher_page: str = ""
    sha256: str
    parser: str = ""
    release: str
    kind: Literal["public", "reference", "benchmark"] = "public"
    # False where another file of the same measure is finer (e.g. BRES 2-digit vs 5-digit): deriving
    # cluster series from both would give two slightly different values for one series.
    derive_clusters: bool = True

    @field_validator("sha256")
    @classmethod
    def _hex64(cls, v: str) -> str:
        if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ValueError("sha256 must be 64 lowercase hex characters")
        return v

    @property
    def ingestible(self) -> bool:
        return self.kind == "public" and bool(self.parser)

    def load_parser(self) -> Callable[[Path], pd.DataFrame]:
        module, _, func = self.parser.partition(":")
        return getattr(importlib.import_module(module), func)


@lru_cache(maxsize=1)
def load_manifest() -> tuple[Source, ...]:
    with MANIFEST_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    sources = tuple(Source(**s) for s in data["source"])
    ids = [s.id for s in sources]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"manifest.toml: duplicate source ids {sorted(dupes)}")
    return sources


def get_source(source_id: str) -> Source:
    for s in load_manifest():
        if s.id == source_id:
            return s
    raise NotFound(f"unknown source {source_id!r}; known: {[s.id for s in load_manifest()]}")
