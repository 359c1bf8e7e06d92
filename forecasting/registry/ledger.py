"""The highest model version number ever issued, kept in a small file beside the data directory.

Why: MLflow numbers a model's versions ``max(existing) + 1`` inside its own store. If that store is lost,
emptied or replaced (a 0-byte ``mlflow.db``, a restored old backup), the next registration would issue
"v1" again while the API, scorecards and people still mean the *old* v1. The ledger outlives the store:
registration refuses (before any training work, and again right after MLflow picks the number) whenever
the store would issue a number at or below the highest one this data directory has seen.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from forecasting.errors import InvestError

LEDGER_FILE = "registry_versions.json"
EMBEDDED = "embedded"  # key of the embedded sqlite store (its absolute path may move with the data dir)


class VersionReuse(InvestError):
    """The registry would issue a version number that was already issued (the store was reset/replaced)."""


class LedgerError(InvestError):
    """The ledger file cannot be read or written."""


class VersionLedger:
    """``{store key: {model name: highest version issued}}`` in ``<data_dir>/registry_versions.json``."""

    def __init__(self, path: Path | str, store: str) -> None:
        self.path = Path(path)
        self.store = store

    @classmethod
    def beside(cls, data_dir: Path | str, store_uri: str, embedded: bool) -> VersionLedger:
        return cls(Path(data_dir) / LEDGER_FILE, EMBEDDED if embedded else store_uri)

    def _read(self) -> dict[str, dict[str, int]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LedgerError(
                f"version ledger {self.path} cannot be read ({exc}); it records the highest model version "
                "ever issued: restore it, or remove it only if the registry itself is intact"
            ) from None
        if not isinstance(data, dict):
            raise LedgerError(
                f"version ledger {self.path}: expected a JSON object, got {type(data).__name__}"
            )
        return data

    def highest(self, name: str) -> int:
        return int(self._read().get(self.store, {}).get(name, 0))

    def record(self, name: str, version: int | str) -> None:
        """Remember ``version`` if it is the highest so far (written atomically: never half a file)."""
        data = self._read()
        models = data.setdefault(self.store, {})
        if int(version) <= int(models.get(name, 0)):
            return
        models[name] = int(version)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".ledger-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise LedgerError(
                f"cannot write the version ledger {self.path} ({exc.strerror or exc})"
            ) from None

    def refuse_reuse(self, name: str, next_version: int | str, where: str) -> None:
        """Raise ``VersionReuse`` when ``next_version`` is at or below the highest number issued."""
        highest = self.highest(name)
        if int(next_version) <= highest:
            raise VersionReuse(
                f"model {name!r} in {where} would get version {next_version}, but versions up to "
                f"{highest} were already issued (ledger {self.path}): the registry store was reset or "
                "replaced, and reusing a number would make the API and scorecards mean a different model. "
                "Restore the store from a backup (or point --tracking-uri at the right one); only if you "
                f"deliberately start a new registry, move {self.path.name} aside as well"
            )
