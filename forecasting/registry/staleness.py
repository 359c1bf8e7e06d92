"""Is a scorecard set still built from the current champion?

Why: scorecards are written once (``invest scorecards``) from whatever model was champion then; after a
promotion they silently describe the previous model. ``scorecards.json`` records the version it was built
from (``provenance.model.model_version``); ``check_scorecards`` compares it with the champion now and
writes the verdict into the same file (top-level ``stale``: the message, or null), so the API, the report
and people reading the JSON see it. It only reads and annotates the published file; how scorecards are
built is the scorecards package's business.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

SCORECARDS_FILE = "scorecards.json"
STALE_KEY = "stale"


@dataclass(frozen=True)
class Staleness:
    built_from: str | None  # the version the scorecards name (None: built without a registry model)
    champion: str | None  # the champion now (None: none)
    message: str | None  # "stale: built from v1, champion is now v3", or None when current

    @property
    def stale(self) -> bool:
        return self.message is not None


def staleness(doc: dict[str, Any], champion: str | None) -> Staleness:
    """Compare the version a scorecards document was built from with ``champion``."""
    model = (doc.get("provenance") or {}).get("model") or {}
    built = model.get("model_version")
    built = str(built) if built not in (None, "") else None
    if champion is None or built == str(champion):
        return Staleness(built, champion, None)
    source = f"v{built}" if built else "no registered model"
    return Staleness(built, champion, f"stale: built from {source}, champion is now v{champion}")


def champion_version(client: MlflowClient, name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, "champion").version)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def check_scorecards(path: Path | str, client: MlflowClient, name: str) -> Staleness | None:
    """Compare ``path`` (a scorecards folder or its ``scorecards.json``) with the champion and record the
    verdict in the file; None when there are no scorecards there."""
    path = Path(path)
    file = path / SCORECARDS_FILE if path.is_dir() else path
    if not file.is_file():
        return None
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # not ours to repair; `invest scorecards` rewrites it
    verdict = staleness(doc, champion_version(client, name))
    if STALE_KEY not in doc or doc[STALE_KEY] != verdict.message:
        doc[STALE_KEY] = verdict.message
        fd, tmp = tempfile.mkstemp(prefix=".scorecards-", dir=file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, allow_nan=False)
        os.replace(tmp, file)
    return verdict
