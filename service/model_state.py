"""State the routes derive from one served model, built at most once and dropped with the model.

Why not module-level caches in the routers: a cache keyed by model version outlives the model it was built
from (a reload leaves the old entries behind until evicted), and each router kept its own. Hanging the
derived state off the ``ServedModel`` object ties its lifetime to the model: a reload builds a new
``ServedModel`` with an empty ``ModelState``, and the old state goes with the old model. Routers reach it
through the typed dependencies in ``service/deps.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ModelState:
    """Named values computed from one model on first use (thread-safe: built once per name)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, name: str, build: Callable[[], T]) -> T:
        """The value named ``name``, built by ``build()`` the first time (concurrent first uses wait)."""
        try:
            return self._values[name]
        except KeyError:
            pass
        with self._lock:
            lock = self._building.setdefault(name, threading.Lock())
        with lock:
            if name not in self._values:
                self._values[name] = build()
            return self._values[name]

    def peek(self, name: str) -> Any:
        """The value if built, else None (never builds)."""
        return self._values.get(name)

    def built(self) -> list[str]:
        """Names built so far (for tests and /health)."""
        return sorted(self._values)
