"""Run a function in a forked child process while this one carries on: the scorecard stage's second core.

Why fork (not loky, spawn or threads): the work handed off (cluster evidence, the interval check's input
replicates, a batch of charts) reads what this process has already imported and built (the metric
context over a million warehouse rows, matplotlib), and a forked child starts with all of it at no import
or pickling cost; only the result travels back. Threads would not help: that work is mostly pandas code
holding the GIL. Where fork is unavailable, or when asked for one worker, the function runs inline when
its result is first asked for, so the result is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from forecasting.parallel import release_workers

T = TypeVar("T")


def available_workers() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Fork is safe to rely on only on Linux (macOS frameworks are not fork-safe)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _child(send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        out: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # sent back and raised in the parent, as if run there
        out = (False, exc)
    try:
        send.send(out)
    except Exception as exc:  # an unpicklable result or exception: say what it was
        send.send(
            (False, RuntimeError(f"forked {getattr(fn, '__name__', fn)!r}: {type(exc).__name__}: {exc}"))
        )
    finally:
        send.close()


class Forked(Generic[T]):
    """``fn(*args)`` started now in a forked child (``fork=True`` and fork available), else run on
    ``result()``. ``result()`` returns its value or raises its exception, once; call it exactly once."""

    def __init__(self, fn: Callable[..., T], *args: Any, fork: bool = True) -> None:
        self._fn, self._args = fn, args
        self._proc: Any = None
        if fork and can_fork():
            release_workers()  # no loky threads (training's idle executor) carried into the child
            ctx = multiprocessing.get_context("fork")
            sys.stdout.flush()  # the child flushes inherited buffers when it ends: print nothing twice
            sys.stderr.flush()
            self._recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
            try:
                proc.start()
            except OSError:  # no memory or processes left for a child: run inline instead
                self._recv.close()
            else:
                self._proc = proc
            finally:
                send.close()

    @property
    def forked(self) -> bool:
        return self._proc is not None

    def result(self) -> T:
        if self._proc is None:
            return self._fn(*self._args)
        try:
            ok, value = self._recv.recv()  # before join: a large result must not block the child's exit
        except EOFError:
            self._proc.join()
            raise RuntimeError(
                f"forked {getattr(self._fn, '__name__', self._fn)!r} died (exit code {self._proc.exitcode})"
            ) from None
        finally:
            self._recv.close()
        self._proc.join()
        if ok:
            return value
        raise value


def fork_map(fn: Callable[[Any], T], batches: list[Any], *, workers: int) -> list[T]:
    """``[fn(b) for b in batches]`` with all but the first batch in forked children (at most ``workers``
    processes at a time, this one included); results in ``batches`` order."""
    if workers <= 1 or len(batches) <= 1 or not can_fork():
        return [fn(b) for b in batches]
    out: list[T] = []
    for start in range(0, len(batches), workers):
        group = batches[start : start + workers]
        children = [Forked(fn, b) for b in group[1:]]
        out.append(fn(group[0]))
        out.extend(c.result() for c in children)
    return out
