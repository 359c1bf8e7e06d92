"""Fan a function out over series: joblib (loky processes) locally, Dask ``distributed`` on a cluster.

Items are batched into chunks so per-task overhead (pickling, scheduling, IPC) is paid per chunk, not per
series: thousands of cheap fits cost milliseconds of overhead, and one worker process runs many fits.
Results come back in input order whatever order chunks finish in, so a deterministic ``fn`` gives
identical output on every backend.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

from forecasting.errors import InvalidParameter

T = TypeVar("T")
R = TypeVar("R")
Backend = Literal["joblib", "dask", "serial"]
# Enough chunks to balance uneven series (a quarterly series costs several annual ones, and a panel sorted by
# id keeps them together) and to move the progress bar smoothly; few enough that the per-chunk overhead (one
# round trip, the function pickled once) stays small against the work.
CHUNKS_PER_WORKER = 16


def release_workers() -> None:
    """Shut joblib's reusable loky executor down if one is running: its worker processes, and the manager
    and queue threads it keeps in this process. Why: a process about to fork (the scorecard stage, after
    training in ``invest run``) must not carry into its child a thread that may hold a lock. The next
    joblib map starts a new executor. (loky has no public "is one running?": ``get_reusable_executor``
    would start one, so its module global is read.)"""
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def _run_chunk(fn: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(item) for item in chunk]


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _default_chunk_size(n_items: int, n_workers: int) -> int:
    return max(1, math.ceil(n_items / (max(1, n_workers) * CHUNKS_PER_WORKER)))


def _n_workers(n_jobs: int) -> int:
    """joblib's convention: -1 = all CPUs, -2 = all but one, ..."""
    cpus = os.cpu_count() or 1
    return max(1, cpus + 1 + n_jobs) if n_jobs < 0 else max(1, n_jobs)


def map_series(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    backend: Backend = "joblib",
    scheduler: str | Any | None = None,
    n_jobs: int = -1,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` in parallel, in input order.

    - backend "serial": in this process (debugging, tiny inputs).
    - backend "joblib": loky worker processes, ``n_jobs`` as in joblib (-1 = all CPUs).
    - backend "dask": chunks submitted to ``distributed``; ``scheduler`` is an address
      (``tcp://host:8786``) or an existing ``distributed.Client`` (None: the current default client).
      A client opened from an address is closed afterwards; a passed-in client is left open.

    ``progress(done)`` is called with the cumulative number of items completed, as chunks finish (the
    last call is ``len(items)``). ``chunk_size`` defaults to about ``CHUNKS_PER_WORKER`` chunks per worker. ``fn`` (and the
    items) must be picklable for the parallel backends; the first exception raised by ``fn`` propagates.
    """
    seq = list(items)
    if backend not in ("joblib", "dask", "serial"):
        raise InvalidParameter(f"unknown backend {backend!r}; use 'joblib', 'dask' or 'serial'")
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError("chunk_size must be >= 1")
    if not seq:
        return []
    if backend == "serial":
        out = []
        for i, item in enumerate(seq, 1):
            out.append(fn(item))
            if progress is not None:
                progress(i)
        return out
    if backend == "joblib":
        return _map_joblib(fn, seq, n_jobs, progress, chunk_size)
    return _map_dask(fn, seq, scheduler, progress, chunk_size)


def _map_joblib(
    fn: Callable[[Any], Any],
    seq: list[Any],
    n_jobs: int,
    progress: Callable[[int], None] | None,
    chunk_size: int | None,
) -> list[Any]:
    from joblib import Parallel, delayed

    size = int(chunk_size) if chunk_size else _default_chunk_size(len(seq), _n_workers(n_jobs))
    chunks = _chunks(seq, size)
    results: list[list[Any] | None] = [None] * len(chunks)
    done = 0
    par = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    for idx, res in par(delayed(_indexed)(i, fn, c) for i, c in enumerate(chunks)):
        results[idx] = res
        done += len(res)
        if progress is not None:
            progress(done)
    return [r for chunk in results for r in chunk]  # type: ignore[union-attr]


def _indexed(i: int, fn: Callable[[Any], Any], chunk: Sequence[Any]) -> tuple[int, list[Any]]:
    return i, _run_chunk(fn, chunk)


def _map_dask(
    fn: Callable[[Any], Any],
    seq: list[Any],
    scheduler: str | Any | None,
    progress: Callable[[int], None] | None,
    chunk_size: int | None,
) -> list[Any]:
    from distributed import Client, as_completed, get_client

    own = False
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler is None:
        try:
            client = get_client()
        except ValueError as exc:
            raise ValueError(
                "backend 'dask' needs a scheduler address or Client (no default client)"
            ) from exc
    else:
        client, own = Client(scheduler), True
    try:
        n_workers = sum(client.nthreads().values()) or 1
        size = int(chunk_size) if chunk_size else _default_chunk_size(len(seq), n_workers)
        chunks = _chunks(seq, size)
        futures = [client.submit(_run_chunk, fn, list(c), pure=False) for c in chunks]
        position = {f.key: i for i, f in enumerate(futures)}
        results: list[list[Any] | None] = [None] * len(chunks)
        done = 0
        try:
            for fut in as_completed(futures):
                res = fut.result()  # re-raises the task's exception
                results[position[fut.key]] = res
                done += len(res)
                if progress is not None:
                    progress(done)
        except BaseException:
            client.cancel(futures)
            raise
        return [r for chunk in results for r in chunk]  # type: ignore[union-attr]
    finally:
        if own:
            client.close()


__all__ = ["Backend", "map_series"]
