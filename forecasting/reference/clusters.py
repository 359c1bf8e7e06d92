"""The 25 Midlands pan-regional clusters as SIC 2007 baskets (data in ``clusters.toml``).

SIC baskets are a public proxy for the partnership's custom industrial classifications: official
statistics only exist by SIC, so cluster series are built by summing the basket's SIC slices (see
``forecasting.warehouse.derive_clusters``). A basket entry is a 2-digit division (covers every 5-digit
subclass it prefixes) or a 5-digit subclass. Baskets may overlap across clusters only where declared in
``shared_codes`` - cluster series must therefore never be summed across clusters.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from forecasting.errors import NotFound

CLUSTERS_FILE = Path(__file__).parent / "clusters.toml"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SIC = re.compile(r"^(\d{2}|\d{5})$")


class Cluster(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    description: str
    sic: tuple[str, ...]
    evidence: str
    shared_codes: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"cluster id {v!r} must be lower-case words joined by '-'")
        return v

    @field_validator("sic")
    @classmethod
    def _codes_are_2_or_5_digits(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("SIC basket is empty")
        bad = [c for c in v if not _SIC.match(c)]
        if bad:
            raise ValueError(f"SIC codes {bad} must be 2- or 5-digit strings with leading zeros")
        if len(set(v)) != len(v):
            raise ValueError(f"duplicate SIC codes in basket {sorted(c for c in v if v.count(c) > 1)}")
        return v

    @model_validator(mode="after")
    def _no_nested_entries(self) -> Cluster:
        """A 5-digit entry under a 2-digit entry of the same basket would be counted twice."""
        divisions = {c for c in self.sic if len(c) == 2}
        nested = [c for c in self.sic if len(c) == 5 and c[:2] in divisions]
        if nested:
            raise ValueError(f"cluster {self.id!r}: {nested} already covered by a 2-digit entry")
        return self

    def covers(self, code: str) -> bool:
        """True when every activity in ``code`` belongs to the basket (entry is a prefix of the code)."""
        code = _clean(code)
        return any(code.startswith(entry) for entry in self.sic)


def _clean(code: str) -> str:
    code = str(code).strip()
    return code[4:] if code.startswith("sic-") else code


def load_clusters() -> list[Cluster]:
    """All clusters in file order (parsed once; a fresh list each call so callers cannot corrupt the cache)."""
    return list(_load_clusters())


@lru_cache(maxsize=1)
def _load_clusters() -> tuple[Cluster, ...]:
    """Parse and validate: ids unique, cross-cluster overlaps declared in ``shared_codes``."""
    with CLUSTERS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    clusters = tuple(Cluster(**spec) for spec in data["cluster"])
    ids = [c.id for c in clusters]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{CLUSTERS_FILE.name}: duplicate cluster ids")
    for i, a in enumerate(clusters):
        for b in clusters[i + 1 :]:
            for code in a.sic + b.sic:
                if a.covers(code) and b.covers(code) and code not in a.shared_codes + b.shared_codes:
                    raise ValueError(
                        f"{CLUSTERS_FILE.name}: SIC {code} is in both {a.id!r} and {b.id!r} but not in shared_codes"
                    )
    return clusters


def get_cluster(cluster_id: str) -> Cluster:
    for c in load_clusters():
        if c.id == cluster_id:
            return c
    raise NotFound(f"unknown cluster {cluster_id!r}; known: {[c.id for c in load_clusters()]}")


def clusters_for_sic(code: str) -> list[str]:
    """Ids of clusters whose basket covers ``code`` (``"30300"``, ``"29100"``, ``"29"`` or ``"sic-29"``).

    A 5-digit code matches a 2-digit basket entry by prefix; a 2-digit code matches only clusters holding
    the whole division (not those with a few of its 5-digit subclasses).
    """
    return [c.id for c in load_clusters() if c.covers(code)]
