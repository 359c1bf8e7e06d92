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


class TimeLeft:
    """A stage's time left, from its average rate so far, that never goes up.

    Why: series come back in chunks of uneven cost (a chunk of quarterly series takes several times one
    of annual ones), so the raw rate estimate ``elapsed / done * (total - done)`` jumped up and down
    (498 -> 220 -> 255 s). A display that promises less time and then more reads as broken; this one
    keeps the lower of the new raw estimate and the last one shown, so it only ever falls.
    """

    def __init__(self) -> None:
        self._shown: float | None = None

    def reset(self) -> None:
        self._shown = None

    def estimate(self, done: int, total: int, elapsed: float) -> float | None:
        """Seconds left after ``done`` of ``total`` items in ``elapsed`` seconds; None before the first."""
        if done <= 0 or total <= 0:
            return None
        raw = max(0.0, elapsed / done * (total - done))
        self._shown = raw if self._shown is None else min(raw, self._shown)
        return self._shown


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
        self._left = TimeLeft()

    def stage(self, name: str, total: int | None) -> None:
        if not self._started:
            self._p.start()
            self._started = True
        self.done()
        self._t0 = time.perf_counter()
        self._left.reset()
        count = f"0/{total} series" if total else ""
        self._task = self._p.add_task(name, total=total, count=count, left="")

    def update(self, done: int) -> None:
        if self._task is None:
            return
        task = next(t for t in self._p.tasks if t.id == self._task)
        if not task.total:
            return
        left = self._left.estimate(done, int(task.total), time.perf_counter() - self._t0)
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
        self._left = TimeLeft()

    def _say(self, text: str) -> None:
        self._out.write(f"[train] {text}\n")
        self._out.flush()

    def stage(self, name: str, total: int | None) -> None:
        self.done()
        self._name, self._total = name, total
        self._t0 = self._last = time.perf_counter()
        self._next = self._step
        self._left.reset()
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
        rest = self._left.estimate(done, self._total, elapsed)
        left = f", ~{rest:.0f}s left" if rest is not None and done < self._total else ""
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
