"""The scorecard stage's second core: forked children give the same results (and errors) as running inline."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from scorecard_world import make_bundle

from forecasting.scorecards import charts
from forecasting.scorecards.build import build_scorecards
from forecasting.scorecards.catalogue import ScorecardError
from forecasting.scorecards.forked import Forked, can_fork, fork_map

needs_fork = pytest.mark.skipif(not can_fork(), reason="fork start method not available here")


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fails(msg: str) -> None:
    raise ScorecardError(msg)


@needs_fork
def test_forked_runs_in_a_child_and_returns_its_value() -> None:
    job = Forked(_pid_and_square, 7)
    assert job.forked
    pid, value = job.result()
    assert value == 49 and pid != os.getpid()


@needs_fork
def test_forked_raises_the_childs_exception_in_the_parent() -> None:
    job = Forked(_fails, "no BRES")
    with pytest.raises(ScorecardError, match="no BRES"):
        job.result()


def test_forked_without_fork_runs_inline_on_result() -> None:
    job = Forked(_pid_and_square, 3, fork=False)
    assert not job.forked
    assert job.result() == (os.getpid(), 9)


@needs_fork
def test_fork_map_keeps_batch_order_and_uses_children() -> None:
    out = fork_map(_pid_and_square, list(range(5)), workers=2)
    assert [v for _, v in out] == [0, 1, 4, 9, 16]
    assert {p for p, _ in out} - {os.getpid()}  # some batches ran in children
    assert fork_map(_pid_and_square, list(range(5)), workers=1) == [(os.getpid(), x * x) for x in range(5)]


@needs_fork
def test_scorecards_identical_with_one_and_two_workers(inputs, tmp_path) -> None:
    """The interval check's re-drawn inputs come from a forked child with two workers: same numbers."""
    kw = dict(draws=120, replicates=6, inputs=inputs, check_redraws=8)
    one = build_scorecards(tmp_path / "x.duckdb", make_bundle(), None, 5, workers=1, **kw)
    two = build_scorecards(tmp_path / "x.duckdb", make_bundle(), None, 5, workers=2, **kw)
    assert one.coverage == two.coverage and one.coverage["draws"] == 8
    assert one.scored == two.scored
    np.testing.assert_array_equal(one.mc.ranks, two.mc.ranks)
    np.testing.assert_array_equal(one.score.to_numpy(), two.score.to_numpy())


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_a_reused_figure_draws_the_same_pixels_as_a_fresh_one(tmp_path) -> None:
    """FigurePool clears and reuses a figure per shape: the chart must not carry anything over."""
    labels = {"a": "Business population", "b": "Innovation"}
    medians = {"a": 50.0, "b": 40.0}
    footer = "Sources: ONS BRES; ONS UK Business Counts. Data vintage v1. " * 4  # long: wrapped
    charts.area_profile({"a": 80.0, "b": 20.0}, labels, medians, tmp_path / "fresh.png", footer)
    pool = charts.FigurePool()
    charts.area_profile({"a": 10.0, "b": 95.0}, labels, medians, tmp_path / "other.png", footer + "x", pool)
    charts.area_profile({"a": 80.0, "b": 20.0}, labels, medians, tmp_path / "reused.png", footer, pool)
    np.testing.assert_array_equal(_pixels(tmp_path / "fresh.png"), _pixels(tmp_path / "reused.png"))
    assert not np.array_equal(_pixels(tmp_path / "fresh.png"), _pixels(tmp_path / "other.png"))


@needs_fork
def test_cluster_charts_identical_with_one_and_two_workers(built, tmp_path) -> None:
    from forecasting.scorecards.document import scorecard_document
    from forecasting.scorecards.report import _all_cluster_charts

    sset, _ = built
    doc = scorecard_document(sset)
    clusters = doc["clusters"][:8]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = _all_cluster_charts(doc, clusters, tmp_path / "one", workers=1)
    two = _all_cluster_charts(doc, clusters, tmp_path / "two", workers=2)
    assert one == two and len(one) == len(clusters)
    names = sorted(p.name for p in (tmp_path / "one").glob("*.png"))
    assert names == sorted(p.name for p in (tmp_path / "two").glob("*.png")) and len(names) >= 16
    for n in names:
        np.testing.assert_array_equal(_pixels(tmp_path / "one" / n), _pixels(tmp_path / "two" / n))


def _loky_threads() -> list[str]:
    """The executor's threads in this process (its manager thread is loky's own class)."""
    import threading

    return [t.name for t in threading.enumerate() if type(t).__module__.startswith("joblib.externals.loky")]


@needs_fork
def test_a_fork_after_a_joblib_map_carries_no_executor_threads() -> None:
    from forecasting.parallel import map_series

    assert map_series(abs, [-1, -2, -3, -4], n_jobs=2, chunk_size=1) == [1, 2, 3, 4]  # starts loky
    assert _loky_threads()  # its manager thread lives in this process ...
    job = Forked(_pid_and_square, 3)
    assert not _loky_threads()  # ... and were shut down before the fork
    assert job.result()[1] == 9
    assert map_series(abs, [-5, -6], n_jobs=2, chunk_size=1) == [5, 6]  # a new executor when needed
