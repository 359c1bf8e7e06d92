"""The catalogue drives computation: one registered function per metric id, checked at start."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scorecard_world import make_bundle

from forecasting.scorecards.build import build_scorecards
from forecasting.scorecards.catalogue import CATALOGUE_FILE, ScorecardError, load_catalogue
from forecasting.scorecards.registry import Registry, load_metric_set, packaged_registry
from forecasting.scorecards.result import MetricResult

NEW_METRIC = """
[[metric]]
id = "jobs_per_business"
name = "Jobs per business"
area = "business_population"
family = "structure"
definition = "Midlands cluster employment per apportioned enterprise."
method = "BRES {year} employment / apportioned UK Business Counts {year}."
unit = "jobs"
format = ".1f"
direction = "higher"
source = "ONS BRES; ONS UK Business Counts"
measures = ["bres_employment", "business_count_enterprises"]
finest_geography = "ITL2 x SIC 5-digit"
aggregation = "ratio"
varies_by = "industry"
"""


def _catalogue_with(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE_FILE.read_text() + extra)
    return path


def _registry_plus(metric_id: str, fn) -> Registry:
    reg = Registry(dict(packaged_registry().functions))
    reg.metric(metric_id)(fn)
    return reg


def test_packaged_catalogue_and_functions_agree() -> None:
    ms = load_metric_set()
    assert set(ms.registry.functions) == set(ms.catalogue.ids)


def test_catalogue_metric_without_a_function_fails_at_load(tmp_path: Path) -> None:
    path = _catalogue_with(tmp_path, NEW_METRIC)
    with pytest.raises(ScorecardError, match=r"without a compute function: \['jobs_per_business'\]"):
        load_metric_set(path)


def test_function_without_a_catalogue_entry_fails_at_load() -> None:
    reg = _registry_plus("not_in_the_catalogue", lambda ctx, spec: None)
    with pytest.raises(ScorecardError, match="without a catalogue entry.*not_in_the_catalogue"):
        load_metric_set(registry=reg)


def test_registering_two_functions_for_one_id_is_an_error() -> None:
    reg = Registry()
    reg.metric("x")(lambda ctx, spec: None)
    with pytest.raises(ScorecardError, match="registered twice"):
        reg.metric("x")(lambda ctx, spec: None)


def test_a_metric_is_added_with_a_catalogue_entry_and_a_function(tmp_path: Path, inputs) -> None:
    def jobs_per_business(ctx, spec) -> MetricResult:
        emp = ctx.result("employment")
        firms = ctx.result("business_count")
        return MetricResult(
            spec.id, emp.values / firms.values, emp.benchmark / firms.benchmark, emp.period,
            emp.sources, emp.vintage, details={"year": ctx.year(spec.family)},
        )  # fmt: skip

    path = _catalogue_with(tmp_path, NEW_METRIC)
    s = build_scorecards(
        "unused", make_bundle(), None, 1, draws=50, replicates=2, inputs=inputs,
        catalogue_path=path, registry=_registry_plus("jobs_per_business", jobs_per_business),
    )  # fmt: skip
    expected = s.metrics["employment"].values / s.metrics["business_count"].values
    pd.testing.assert_series_equal(s.metrics["jobs_per_business"].values, expected, check_names=False)
    assert "jobs_per_business" in s.scored


def test_bad_catalogue_entries_are_named(tmp_path: Path) -> None:
    bad = NEW_METRIC.replace('family = "structure"', 'family = "nowhere"').replace(
        '"business_count_enterprises"]', '"business_count_enterprises", "not_a_measure"]'
    )
    with pytest.raises(ScorecardError, match="unknown family 'nowhere'") as err:
        load_catalogue(_catalogue_with(tmp_path, bad))
    assert "not_a_measure" in str(err.value)  # a measure without an [inputs] error model


def test_series_ids_come_from_the_catalogue() -> None:
    cat = load_catalogue()
    spec = cat.get("forecast_fdi_growth")
    assert spec.series_id("regional", region="TLF") == "fdi_inward_position.TLF.all.A"
    assert spec.series_id("own", geography="MID", cluster="automotive") == "fdi_projects.MID.automotive.A"
    with pytest.raises(ScorecardError, match="no series for role 'nope'"):
        spec.series_id("nope")
    src = "\n".join(p.read_text() for p in (CATALOGUE_FILE.parent).glob("*metrics.py"))
    assert "fdi_inward_position." not in src and ".UK.all." not in src  # no series id written inline
