"""The worked examples on a bundle trained from experiments/quick.toml (real published data)."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.scenarios.charts import fan_chart
from forecasting.scenarios.definitions import load_scenario
from forecasting.scenarios.project import project

pytestmark = pytest.mark.slow  # trains the quick experiment on the published data

MIDLANDS = ("fdi_inward_position.MID.all.A", "fdi_inward_position.TLF.all.A", "fdi_inward_position.TLG.all.A")


def _coherent(result, contents) -> None:
    by = {s.series_id: s for s in result.series}
    for parent, g in contents.hierarchy.groupby("parent_id"):
        if parent in by and all(c in by for c in g["child_id"]):
            total = sum(by[c].scenario_mean for c in g["child_id"])
            base = sum(by[c].baseline_mean for c in g["child_id"])
            gap = by[parent].scenario_mean - total
            assert np.allclose(gap, by[parent].baseline_mean - base, atol=1e-6)  # same gap as the baseline
            assert np.allclose(by[parent].diff, sum(by[c].diff for c in g["child_id"]), atol=1e-6)


def test_worked_examples_run_and_charts_are_written(quick_bundle, tmp_path) -> None:
    for name in ("baseline", "global-downturn", "uk-investment-boom", "midlands-major-project"):
        result = project(quick_bundle, load_scenario(name))
        _coherent(result, quick_bundle)
        png = fan_chart(result, tmp_path / f"{name}.png")
        assert png.stat().st_size > 10_000
        if name == "baseline":
            assert not any(s.affected for s in result.series)
        else:
            assert any(s.affected for s in result.series), name


def test_global_downturn_follows_the_elasticities(quick_bundle) -> None:
    tab = quick_bundle.transmission
    used = tab[tab["used"]].set_index("target_id")
    result = project(quick_bundle, load_scenario("global-downturn"))
    uk_fdi = result.get("fdi_net_inflows_usd.UK.all.A")
    e = float(used.loc["fdi_net_inflows_usd.UK.all.A", "elasticity"])
    assert np.isclose(uk_fdi.diff[0] / uk_fdi.baseline_mean[0], 0.8**e - 1)  # World -20% in year 1
    # the UK position follows its driver (-20% too: World or UK FDI) by its elasticity ...
    uk = result.get("fdi_inward_position.UK.all.A")
    rel_uk = uk.diff / uk.baseline_mean
    e_uk = float(used.loc["fdi_inward_position.UK.all.A", "elasticity"])
    assert np.isclose(rel_uk[0], 0.8**e_uk - 1, rtol=1e-9)
    assert rel_uk[0] < 0 and e_uk > 0  # a downturn lowers UK and Midlands FDI
    # ... and every Midlands series moves by the same proportion (share models)
    for sid in MIDLANDS:
        s = result.get(sid)
        assert np.allclose(s.diff / s.baseline_mean, rel_uk, rtol=1e-9, atol=1e-15)
