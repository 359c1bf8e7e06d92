"""The documents `invest clusters validate|discover` print and write, and the API serves.

Why a thin layer: the CLI, ``invest scorecards`` (the report chapters) and tests build the same documents;
definitions are checked first, so a bad definitions file fails before the warehouse is read or a file
is written.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.clusters.discover import discover
from forecasting.clusters.investment import investment_relationship
from forecasting.clusters.panel import Panel, load_panel
from forecasting.clusters.validate import validate
from forecasting.reference.clusters import Definitions, load_definitions

if TYPE_CHECKING:
    import pandas as pd


def _clean(x: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def sic_names(level: int, path: Path | None) -> dict[str, str]:
    """SIC group names from the pinned lookup (empty when it is not at hand)."""
    import csv

    if path is None:
        return {}
    col = {2: "SIC_2DIGIT", 3: "SIC_3DIGIT", 5: "SIC_5DIGIT"}[level]
    with path.open(encoding="latin-1", newline="") as fh:
        return {r[f"{col}_CODE"]: r[f"{col}_NAME"].split(" : ", 1)[-1] for r in csv.DictReader(fh)}


def _definitions_summary(d: Definitions) -> dict[str, Any]:
    return {"file": str(d.path), "overlap_audit": d.overlaps}


def validation_from_panel(panel: Panel, defs: Definitions) -> dict[str, Any]:
    doc = validate(panel, list(defs.clusters))
    doc["definitions"] = _definitions_summary(defs)
    doc["investment"] = investment_relationship(panel, list(defs.clusters), doc)
    return _clean(doc)


def candidates_from_panel(panel: Panel, defs: Definitions) -> dict[str, Any]:
    doc = discover(panel, list(defs.clusters), sic_names(3, defs.lookup))
    doc["definitions"] = _definitions_summary(defs)
    return _clean(doc)


def validation_document(
    warehouse: Path, definitions: Path | None = None, lookup: Path | None = None
) -> dict[str, Any]:
    """Validate the declared clusters (definitions checked, against the SIC ``lookup`` when given, before
    the warehouse is read)."""
    defs = load_definitions(definitions, lookup)
    return validation_from_panel(load_panel(warehouse), defs)


def candidates_document(
    warehouse: Path, definitions: Path | None = None, lookup: Path | None = None
) -> dict[str, Any]:
    defs = load_definitions(definitions, lookup)
    return candidates_from_panel(load_panel(warehouse), defs)


def write_document(doc: dict[str, Any], path: Path) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, allow_nan=False, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_evidence(
    warehouse: Path,
    out_dir: Path,
    definitions: Path | None = None,
    lookup: Path | None = None,
    held: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Path]:
    """Both documents into ``out_dir`` (the scorecards folder), from one read of the warehouse; ``held``:
    current rows by measure the caller has already read (the scorecards' inputs), not read again."""
    defs = load_definitions(definitions, lookup)
    panel = load_panel(warehouse, held=held)
    return {
        "validation": write_document(
            validation_from_panel(panel, defs), Path(out_dir) / "cluster_validation.json"
        ),
        "candidates": write_document(
            candidates_from_panel(panel, defs), Path(out_dir) / "cluster_candidates.json"
        ),
    }
