"""Summing structure on a small hand-built Midlands-like tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.hierarchy.structure import build_hierarchy, coherence_gaps, is_coherent

PARTS = {
    "UK": ["TLC", "TLF", "TLG"],
    "MID": ["TLF", "TLG"],
    "TLF": ["TLF1", "TLF2"],
    "TLG": ["TLG1", "TLG2"],
    "TLF1": ["L1", "L2"],
    "TLG1": ["L3", "L4", "L5"],  # L5 missing below: TLG1 stays a leaf
}
LEVEL = {"UK": "country", "MID": "group", "TLC": "itl1", "TLF": "itl1", "TLG": "itl1"}
JOBS = ["UK", "MID", "TLF", "TLG", "TLF1", "TLF2", "TLG1", "TLG2", "L1", "L2", "L3", "L4"]


def sid(geo: str, measure: str = "jobs", cluster: str = "all") -> str:
    return f"{measure}.{geo}.{cluster}.A"


def frame() -> pd.DataFrame:
    rows = [("jobs", g, "all") for g in JOBS]
    rows += [("rate", g, "all") for g in JOBS]  # not summable
    rows += [("jobs", g, "c1") for g in ("TLF", "TLF1")]  # TLF2 missing: no tree
    rows += [("jobs", g, "c2") for g in ("TLG", "TLG1", "TLG2")]
    df = pd.DataFrame(rows, columns=["measure", "geography", "cluster"]).assign(frequency="A")
    df.insert(
        0, "series_id", [sid(g, m, c) for m, g, c in zip(df.measure, df.geography, df.cluster, strict=True)]
    )
    return df


@pytest.fixture
def hier():
    return build_hierarchy(frame(), PARTS, {"jobs"}, level_of=lambda g: LEVEL.get(g, "lower"))


def test_summing_matrix(hier) -> None:
    expected = {
        sid("MID"): {"L1", "L2", "TLF2", "TLG1", "TLG2"},
        sid("TLF"): {"L1", "L2", "TLF2"},
        sid("TLG"): {"TLG1", "TLG2"},
        sid("TLF1"): {"L1", "L2"},
        sid("TLG", cluster="c2"): {"TLG1", "TLG2"},
    }
    assert set(hier.bottom_ids) == {sid(g) for g in ("L1", "L2", "TLF2", "TLG1", "TLG2")} | {
        sid("TLG1", cluster="c2"),
        sid("TLG2", cluster="c2"),
    }
    assert set(hier.aggregate_ids) == set(expected)
    assert hier.S.shape == (hier.n_all, hier.n_bottom)
    nb = hier.n_all - hier.n_bottom
    np.testing.assert_array_equal(hier.S[nb:], np.eye(hier.n_bottom))
    for agg, leaves in expected.items():
        row = hier.S[hier.index[agg]]
        got = {hier.bottom_ids[j] for j in np.flatnonzero(row)}
        cluster = agg.split(".")[2]
        assert got == {sid(g, cluster=cluster) for g in leaves}
    np.testing.assert_array_equal(hier.S_sparse().toarray(), hier.S)
    sp = build_hierarchy(frame(), PARTS, {"jobs"}, sparse_s=True)
    assert sp.is_sparse and sp.all_ids == hier.all_ids
    np.testing.assert_array_equal(sp.S.toarray(), hier.S)
    np.testing.assert_array_equal(
        sp.subset([sid("TLG2", cluster="c2")]).S.toarray(), [[1, 1], [1, 0], [0, 1]]
    )


def test_partial_partitions_and_non_summable_excluded(hier) -> None:
    un = set(hier.unstructured)
    assert {sid("L3"), sid("L4")} <= un  # TLG1 lacks L5
    assert sid("UK") in un  # TLC missing
    assert {sid(g, "rate") for g in JOBS} <= un  # not summable
    assert {sid("TLF", cluster="c1"), sid("TLF1", cluster="c1")} <= un
    assert not un & set(hier.all_ids)
    assert len(un) + hier.n_all == len(frame())


def test_edges_levels_groups_blocks(hier) -> None:
    edges = set(zip(hier.edges.parent_id, hier.edges.child_id, strict=True))
    assert edges == {
        (sid("MID"), sid("TLF")),
        (sid("MID"), sid("TLG")),
        (sid("TLF"), sid("TLF1")),
        (sid("TLF"), sid("TLF2")),
        (sid("TLG"), sid("TLG1")),
        (sid("TLG"), sid("TLG2")),
        (sid("TLF1"), sid("L1")),
        (sid("TLF1"), sid("L2")),
        (sid("TLG", cluster="c2"), sid("TLG1", cluster="c2")),
        (sid("TLG", cluster="c2"), sid("TLG2", cluster="c2")),
    }
    assert hier.levels[sid("TLF")] == "itl1"
    assert hier.levels[sid("L1")] == "lower"
    assert set(hier.ids_at_level("itl1")) == {sid("TLF"), sid("TLG"), sid("TLG", cluster="c2")}
    assert set(hier.groups) == {("jobs", "all", "A"), ("jobs", "c2", "A")}
    assert len(hier.blocks) == 2
    assert hier.children(sid("TLF1")) == [sid("L1"), sid("L2")]
    sub = hier.subset([sid("TLG1", cluster="c2")])
    assert sub.all_ids == [sid(g, cluster="c2") for g in ("TLG", "TLG1", "TLG2")]
    np.testing.assert_array_equal(sub.S, [[1, 1], [1, 0], [0, 1]])


def test_default_levels_are_depths_and_summable_callable() -> None:
    h = build_hierarchy(frame().drop(columns="series_id"), PARTS, lambda m: m == "jobs")
    assert h.levels[sid("MID")] == 0
    assert h.levels[sid("TLF")] == 1
    assert h.levels[sid("L1")] == 3
    assert set(h.all_ids) == set(build_hierarchy(frame(), PARTS, {"jobs"}).all_ids)


def test_empty_when_nothing_summable() -> None:
    h = build_hierarchy(frame(), PARTS, set())
    assert h.n_all == 0 and h.S.shape == (0, 0)
    assert len(h.unstructured) == len(frame())


def test_non_nested_partitions_rejected() -> None:
    parts = {"P": ["A", "B"], "Q": ["A1", "A2", "B"], "A": ["A1", "A2", "A3"]}
    df = pd.DataFrame({"geography": ["P", "Q", "A", "B", "A1", "A2"]}).assign(
        measure="jobs", cluster="all", frequency="A"
    )
    with pytest.raises(ValueError, match="not nested"):
        build_hierarchy(df, parts, {"jobs"})


def test_coherence_gaps(hier) -> None:
    rng = np.random.default_rng(1)
    bottom = rng.uniform(1, 10, (hier.n_bottom, 3))
    values = hier.S @ bottom
    assert is_coherent(values, hier)
    values[hier.index[sid("TLF")], 1] += 2.5  # published aggregate off by rounding
    values[hier.index[sid("L2")], 2] = np.nan  # suppressed child
    gaps = coherence_gaps(values, hier)
    assert not is_coherent(values, hier)
    tlf = gaps[gaps.parent_id == sid("TLF")].set_index("period")
    assert tlf.loc[1, "gap"] == pytest.approx(2.5)
    assert tlf.loc[0, "gap"] == pytest.approx(0.0, abs=1e-9)
    tlf1 = gaps[gaps.parent_id == sid("TLF1")].set_index("period")
    assert tlf1.loc[2, "n_missing"] == 1
    assert tlf1.loc[2, "gap"] == pytest.approx(bottom[hier.bottom_ids.index(sid("L2")), 2])
    # the same from a long frame with real periods
    periods = pd.to_datetime(["2019-01-01", "2020-01-01", "2021-01-01"])
    long = pd.DataFrame(
        [(s, p, values[i, t]) for i, s in enumerate(hier.all_ids) for t, p in enumerate(periods)],
        columns=["series_id", "period", "value"],
    )
    g2 = coherence_gaps(long, hier)
    assert g2.loc[(g2.parent_id == sid("TLF")) & (g2.period == periods[1]), "gap"].item() == pytest.approx(
        2.5
    )
    assert set(g2.columns) == set(gaps.columns)
