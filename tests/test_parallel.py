"""map_series: same answers, same order, on serial, joblib (loky) and a real Dask LocalCluster."""

from __future__ import annotations

import sys

import cloudpickle
import numpy as np
import pytest

from forecasting.parallel import map_series

# worker processes may not have tests/ on their path: ship this module's functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ITEMS = list(range(50))


def fit_like(seed: int) -> tuple[int, float, list[float]]:
    """A deterministic numpy task shaped like a small model fit."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=20)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    return seed, float(np.sum(np.sort(y))), beta.tolist()


def fails_on_13(x: int) -> int:
    if x == 13:
        raise ValueError("bad series 13")
    return x


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def expected():
    return [fit_like(i) for i in ITEMS]


def test_serial_and_joblib_identical(expected) -> None:
    assert map_series(fit_like, ITEMS, backend="serial") == expected
    assert map_series(fit_like, ITEMS, backend="joblib", n_jobs=2) == expected
    assert map_series(fit_like, ITEMS, backend="joblib", n_jobs=2, chunk_size=7) == expected
    assert map_series(fit_like, iter(ITEMS), n_jobs=1) == expected  # any iterable


def test_dask_identical(dask_client, expected) -> None:
    assert map_series(fit_like, ITEMS, backend="dask", scheduler=dask_client) == expected
    assert map_series(fit_like, ITEMS, backend="dask", scheduler=dask_client, chunk_size=7) == expected
    address = dask_client.scheduler.address
    assert map_series(fit_like, ITEMS, backend="dask", scheduler=address, chunk_size=3) == expected
    assert map_series(fit_like, ITEMS, backend="dask") == expected  # the default client
    assert dask_client.status == "running"  # a passed-in client is left open


@pytest.mark.parametrize("backend", ["serial", "joblib", "dask"])
def test_progress_counts(dask_client, backend: str) -> None:
    calls: list[int] = []
    out = map_series(
        fit_like, ITEMS, backend=backend, scheduler=dask_client, n_jobs=2, chunk_size=5, progress=calls.append
    )
    assert len(out) == len(ITEMS)
    assert calls == sorted(calls) and calls[-1] == len(ITEMS)
    if backend == "serial":
        assert calls == list(range(1, len(ITEMS) + 1))
    else:  # once per finished chunk of 5
        assert calls == list(range(5, len(ITEMS) + 1, 5))


@pytest.mark.parametrize("backend", ["serial", "joblib", "dask"])
def test_errors_propagate(dask_client, backend: str) -> None:
    with pytest.raises(ValueError, match="bad series 13"):
        map_series(fails_on_13, ITEMS, backend=backend, scheduler=dask_client, n_jobs=2)


def test_edge_cases() -> None:
    assert map_series(fit_like, [], backend="joblib") == []
    with pytest.raises(ValueError, match="backend"):
        map_series(fit_like, ITEMS, backend="threads")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        map_series(fit_like, ITEMS, chunk_size=0)


def test_many_cheap_tasks_keep_order() -> None:
    """Chunked dispatch must not reorder results (speed is measured in benchmarks, not here)."""
    out = map_series(abs, range(-1000, 0), n_jobs=2)
    assert out == list(range(1000, 0, -1))
