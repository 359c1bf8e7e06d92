"""Progress of a training job: a live display on a terminal, plain lines otherwise, a null hook for tests.

Why plain lines: a rich live display draws nothing until it stops when its stream is not a terminal
(``invest run > log 2>&1``, CI, cron), so a job looked dead for minutes. ``default_progress`` picks the
display by whether stderr, where progress goes, is a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO


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


class PlainProgress:
    """One line per stage start and end, and a line at every ``step`` of a stage's series (10%, 20% ...) or
    after ``every`` seconds without one: readable in a log file, no control characters."""

    def __init__(self, stream: TextIO | None = None, step: float = 0.1, every: float = 60.0) -> None:
        self._out = stream or sys.stderr
        self._step, self._every = step, every
        self._name: str | None = None
        self._total: int | None = None
        self._t0 = self._last = 0.0
        self._next = step

    def _say(self, text: str) -> None:
        self._out.write(f"[train] {text}\n")
        self._out.flush()

    def stage(self, name: str, total: int | None) -> None:
        self.done()
        self._name, self._total = name, total
        self._t0 = self._last = time.perf_counter()
        self._next = self._step
        self._say(f"{name}: started" + (f" ({total:,} series)" if total else ""))

    def update(self, done: int) -> None:
        if self._name is None or not self._total:
            return
        now = time.perf_counter()
        share = done / self._total
        if share < self._next and now - self._last < self._every:
            return
        while self._next <= share:
            self._next += self._step
        self._last = now
        elapsed = now - self._t0
        left = f", ~{elapsed / done * (self._total - done):.0f}s left" if 0 < done < self._total else ""
        self._say(f"{self._name}: {done:,}/{self._total:,} series ({share:.0%}), {elapsed:.0f}s{left}")

    def done(self) -> None:
        if self._name is not None:
            self._say(f"{self._name}: done in {time.perf_counter() - self._t0:.1f}s")
            self._name = None

    def close(self) -> None:
        self.done()


def default_progress() -> ProgressHook:
    """The live display on a terminal, plain lines when stderr is redirected."""
    return RichProgress() if sys.stderr.isatty() else PlainProgress()
