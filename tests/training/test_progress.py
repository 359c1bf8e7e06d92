"""The training progress display's time-left estimate (issue 22: it jumped 498 -> 220 -> 255 s)."""

from __future__ import annotations

import io

from forecasting.training.progress import PlainProgress, TimeLeft


def test_time_left_never_rises_when_a_chunk_is_slow() -> None:
    # the chunks of the real job: quick annual series first, then a slow quarterly chunk
    est = TimeLeft()
    shown = [est.estimate(done, 4473, elapsed) for done, elapsed in [(560, 71), (1120, 90), (1680, 190)]]
    raw = [71 / 560 * (4473 - 560), 90 / 1120 * (4473 - 1120), 190 / 1680 * (4473 - 1680)]
    assert raw[2] > raw[1]  # the raw rate estimate goes up here ...
    assert shown[0] == raw[0] and shown[1] == raw[1]
    assert shown[2] == shown[1]  # ... the one shown does not
    assert all(b <= a for a, b in zip(shown, shown[1:], strict=False))


def test_time_left_follows_a_falling_estimate_and_restarts_per_stage() -> None:
    est = TimeLeft()
    assert est.estimate(0, 100, 5.0) is None  # nothing done yet: no estimate
    assert est.estimate(50, 100, 50.0) == 50.0
    assert est.estimate(90, 100, 60.0) == 60.0 / 90 * 10
    assert est.estimate(100, 100, 70.0) == 0.0
    est.reset()
    assert est.estimate(10, 100, 100.0) == 900.0  # a new stage starts from its own rate


def test_plain_lines_show_a_monotone_time_left(monkeypatch) -> None:  # noqa: ANN001 - pytest fixture
    clock = iter([0.0, 71.0, 90.0, 190.0, 200.0])
    monkeypatch.setattr("forecasting.training.progress.time.perf_counter", lambda: next(clock))
    out = io.StringIO()
    p = PlainProgress(stream=out, step=0.1, every=1e9)
    p.stage("backtest & fit", 4473)
    for done in (560, 1120, 1680):
        p.update(done)
    lefts = [int(line.split("~")[1].split("s")[0]) for line in out.getvalue().splitlines() if "~" in line]
    assert len(lefts) == 3
    assert lefts == sorted(lefts, reverse=True)
