"""Progress of a training job: a rich display for people, a null hook for tests and scripts."""

from __future__ import annotations

import time
from typing import Any, Protocol


class ProgressHook(Protocol):
    def stage(self, name: str, total: int | None) -> None: ...
    def update(self, done: int) -> None: ...
    def done(self) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def stage(self, name: str, total: int | None) -> None: ...
    def update(self, done: int) -> None: ...
    def done(self) -> None: ...
    def close(self) -> None: ...


class RichProgress:
    """Stage, series done / total and time left, on stderr (one line per stage)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._p = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<15}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            console=Console(stderr=True),
        )
        self._task: Any = None
        self._t0 = 0.0
        self._started = False

    def stage(self, name: str, total: int | None) -> None:
        if not self._started:
            self._p.start()
            self._started = True
        self.done()
        self._t0 = time.perf_counter()
        count = f"0/{total} series" if total else ""
        self._task = self._p.add_task(name, total=total, count=count, left="")

    def update(self, done: int) -> None:
        if self._task is None:
            return
        task = next(t for t in self._p.tasks if t.id == self._task)
        if not task.total:
            return
        elapsed = time.perf_counter() - self._t0
        left = elapsed / done * (task.total - done) if done else None
        self._p.update(
            self._task,
            completed=done,
            count=f"{done}/{int(task.total)} series",
            left="" if left is None else f"~{left:.0f}s left",
        )

    def done(self) -> None:
        if self._task is not None:
            task = next(t for t in self._p.tasks if t.id == self._task)
            total = task.total or 1
            self._p.update(self._task, total=total, completed=total, left="")
            self._task = None

    def close(self) -> None:
        if self._started:
            self.done()
            self._p.stop()
            self._started = False
