"""The 25 Midlands pan-regional clusters as SIC 2007 baskets with apportioning shares (``clusters.toml``).

SIC baskets are a public proxy for the partnership's custom industrial classifications: official
statistics only exist by SIC, so cluster series are built by summing the basket's SIC slices, each times
its share (see ``forecasting.warehouse.derive_clusters``). A basket entry is a 2-digit division (covers
every 5-digit subclass it prefixes) or a 5-digit subclass. Where one code serves two clusters each holds a
share of it and the shares of a code sum to at most 1, so no job is counted twice at full weight; cluster
series must still never be summed across clusters (shares are estimates, not a partition).

Why a separate, stricter loader (``load_definitions``) besides the cached default: a user's definitions
file must be refused with the cluster and code at fault before anything is computed or written, and its
codes checked against the ONS SIC lookup (manifest id ``sic_lookup``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from forecasting.errors import InvestError, NotFound

if TYPE_CHECKING:
    from forecasting.settings import Settings

CLUSTERS_FILE = Path(__file__).parent / "clusters.toml"
SIC_LOOKUP_PATH = "ons_regional_gva/SIClookup.csv"  # manifest id ``sic_lookup``
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SIC = re.compile(r"^(\d{2}|\d{5})$")
_TOLERANCE = 1e-9


class ClusterDefinitionError(InvestError, ValueError):
    """A cluster definitions file breaks a rule; the message names the file, cluster and SIC code."""


class Cluster(BaseModel):
    """One cluster: its basket (entries), shares of shared entries, and why (rationale, source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    description: str
    sic: tuple[str, ...]
    shares: dict[str, float] = {}
    rationale: str = ""
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _evidence_is_source(cls, data: Any) -> Any:
        """``evidence`` (the older field name) is read as ``source``."""
        if isinstance(data, dict) and "evidence" in data:
            data = dict(data)
            ev = data.pop("evidence")
            data.setdefault("source", ev)
        return data

    def __hash__(self) -> int:  # frozen models with a dict field are not hashable by default
        return hash(self.id)

    def covers(self, code: str) -> bool:
        """True when ``code`` lies in the basket (an entry is a prefix of the code), at any share."""
        return self.entry_for(code) is not None

    def entry_for(self, code: str) -> str | None:
        code = _clean(code)
        for entry in self.sic:
            if code.startswith(entry):
                return entry
        return None

    def share(self, code: str) -> float:
        """The fraction of ``code`` apportioned to this cluster: 0 outside the basket, else its entry's share."""
        entry = self.entry_for(code)
        return 0.0 if entry is None else float(self.shares.get(entry, 1.0))

    @property
    def evidence(self) -> str:
        """Kept for readers of the older field name: the source text."""
        return self.source


def _clean(code: str) -> str:
    code = str(code).strip()
    return code[4:] if code.startswith("sic-") else code


def _check_cluster(spec: dict[str, Any], where: str) -> Cluster:
    """One [[cluster]] table -> Cluster, or a ClusterDefinitionError naming cluster and code."""
    cid = spec.get("id", "<no id>")
    head = f"{where}: cluster {cid!r}"
    if not isinstance(cid, str) or not _ID.match(cid):
        raise ClusterDefinitionError(f"{head}: id must be lower-case words joined by '-'")
    sic = spec.get("sic")
    if not sic:
        raise ClusterDefinitionError(f"{head}: SIC basket is empty (give at least one 2- or 5-digit code)")
    if not isinstance(sic, list) or not all(isinstance(c, str) for c in sic):
        raise ClusterDefinitionError(f'{head}: \'sic\' must be a list of strings like "29" or "30300"')
    for code in sic:
        if not _SIC.match(code):
            raise ClusterDefinitionError(
                f"{head}: SIC code {code!r} must be a 2- or 5-digit string with leading zeros"
            )
    dups = sorted({c for c in sic if sic.count(c) > 1})
    if dups:
        raise ClusterDefinitionError(f"{head}: SIC code {dups[0]!r} appears twice in the basket")
    divisions = {c for c in sic if len(c) == 2}
    for code in sic:
        if len(code) == 5 and code[:2] in divisions:
            raise ClusterDefinitionError(
                f"{head}: SIC code {code!r} is already covered by its division {code[:2]!r} in the basket"
            )
    shares = spec.get("shares", {}) or {}
    for code, share in shares.items():
        if code not in sic:
            raise ClusterDefinitionError(
                f"{head}: share given for SIC code {code!r}, which is not a basket entry"
            )
        if not isinstance(share, int | float) or not 0.0 < float(share) <= 1.0:
            raise ClusterDefinitionError(
                f"{head}: share of SIC code {code!r} is {share!r}; expected 0 < share <= 1 "
                "(leave a code out of the basket rather than give it share 0)"
            )
    try:
        return Cluster(**spec)
    except ValidationError as exc:
        raise ClusterDefinitionError(f"{head}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


@dataclass(frozen=True)
class Definitions:
    """The validated clusters of one file, with the overlap audit that ships with them."""

    clusters: tuple[Cluster, ...]
    path: Path
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    lookup: Path | None = None  # the SIC lookup the codes were checked against (its names label candidates)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "rules": {
                "entries": "2-digit divisions or 5-digit subclasses (SIC 2007), finest level 5-digit",
                "shares": "0 < share <= 1 per entry (default 1); shares of one code sum to at most 1",
            },
            "clusters": [
                {
                    "id": c.id,
                    "name": c.name,
                    "description": c.description,
                    "basket": [{"sic": e, "share": c.shares.get(e, 1.0)} for e in c.sic],
                    "rationale": c.rationale,
                    "source": c.source,
                }
                for c in self.clusters
            ],
            "overlap_audit": self.overlaps,
            "double_counted_codes": [o["sic"] for o in self.overlaps if o["total_share"] > 1 + _TOLERANCE],
        }


def overlap_audit(clusters: tuple[Cluster, ...] | list[Cluster]) -> list[dict[str, Any]]:
    """Every code held by more than one cluster: who holds it at what share, and the total share.

    A code is checked at every entry of every basket, so a 5-digit entry of one cluster inside another's
    2-digit entry is found too.
    """
    codes = sorted({e for c in clusters for e in c.sic})
    out = []
    seen: set[tuple[str, ...]] = set()
    for code in codes:
        holders = {c.id: c.share(code) for c in clusters if c.covers(code)}
        # A 2-digit code is held only by clusters holding the whole division; others hold parts of it.
        parts = {c.id for c in clusters if len(code) == 2 and any(e.startswith(code) for e in c.sic)}
        holders |= {cid: 0.0 for cid in parts if cid not in holders}
        if len(holders) > 1:
            key = (code, *sorted(holders))
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "sic": code,
                    "holders": {k: round(v, 6) for k, v in holders.items()},
                    "total_share": round(sum(holders.values()), 6),
                }
            )
    return out


def parse_definitions(data: dict[str, Any], where: str) -> tuple[Cluster, ...]:
    """Validate a parsed definitions table: per-cluster rules, unique ids, shares of a code sum to <= 1."""
    specs = data.get("cluster")
    if not isinstance(specs, list) or not specs:
        raise ClusterDefinitionError(f"{where}: no [[cluster]] tables")
    clusters = tuple(_check_cluster(dict(s), where) for s in specs)
    seen: set[str] = set()
    for c in clusters:
        if c.id in seen:
            raise ClusterDefinitionError(f"{where}: cluster {c.id!r} is defined twice")
        seen.add(c.id)
    for o in overlap_audit(clusters):
        if o["total_share"] > 1 + _TOLERANCE:
            names = ", ".join(f"{k} {v:g}" for k, v in o["holders"].items())
            first = next(iter(o["holders"]))
            raise ClusterDefinitionError(
                f"{where}: cluster {first!r}: SIC code {o['sic']!r} is counted {o['total_share']:g} times "
                f"({names}); give each holder a share so they sum to at most 1"
            )
    return clusters


def check_sic_codes(clusters: tuple[Cluster, ...] | list[Cluster], lookup: Path, where: str) -> None:
    """Every basket entry must exist in the ONS SIC 2007 lookup (2-digit or 5-digit column)."""
    import csv

    with lookup.open(encoding="latin-1", newline="") as fh:
        rows = list(csv.DictReader(fh))
    two = {r["SIC_2DIGIT_CODE"] for r in rows}
    five = {r["SIC_5DIGIT_CODE"] for r in rows}
    for c in clusters:
        for code in c.sic:
            if code not in (two if len(code) == 2 else five):
                raise ClusterDefinitionError(
                    f"{where}: cluster {c.id!r}: SIC code {code!r} is not in the SIC 2007 lookup {lookup.name}"
                )


def sic_lookup_file(s: Settings) -> Path | None:
    """The pinned SIC lookup: the raw cache first, then the mirror; None when neither holds it."""
    for root in (s.raw_cache, s.mirror):
        if root is not None and (Path(root) / SIC_LOOKUP_PATH).is_file():
            return Path(root) / SIC_LOOKUP_PATH
    return None


def load_definitions(path: Path | None = None, lookup: Path | None = None) -> Definitions:
    """A definitions file (default: the shipped one), fully checked; codes against the SIC lookup if found."""
    path = Path(path) if path is not None else CLUSTERS_FILE
    where = f"clusters file {path}"
    if not path.is_file():
        raise ClusterDefinitionError(f"{where}: not found")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ClusterDefinitionError(f"{where}: not valid TOML ({exc})") from None
    clusters = parse_definitions(data, where)
    if lookup is not None:
        check_sic_codes(clusters, lookup, where)
    return Definitions(clusters, path, overlap_audit(clusters), lookup)


def load_clusters() -> list[Cluster]:
    """All clusters in file order (parsed once; a fresh list each call so callers cannot corrupt the cache)."""
    return list(_load_clusters())


@lru_cache(maxsize=1)
def _load_clusters() -> tuple[Cluster, ...]:
    with CLUSTERS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return parse_definitions(data, f"clusters file {CLUSTERS_FILE.name}")


def get_cluster(cluster_id: str) -> Cluster:
    for c in load_clusters():
        if c.id == cluster_id:
            return c
    raise NotFound(f"unknown cluster {cluster_id!r}; known: {[c.id for c in load_clusters()]}")


def clusters_for_sic(code: str) -> list[str]:
    """Ids of clusters whose basket covers ``code`` (``"30300"``, ``"29100"``, ``"29"`` or ``"sic-29"``).

    A 5-digit code matches a 2-digit basket entry by prefix; a 2-digit code matches only clusters holding
    the whole division (not those with a few of its 5-digit subclasses). Use ``Cluster.share`` for how much.
    """
    return [c.id for c in load_clusters() if c.covers(code)]
