"""Execution modes of the training job: Dask scale-out equals the local run; real-time backtests."""

from __future__ import annotations

import pandas as pd
import pytest
from training_helpers import QUICK

from forecasting.training.config import load_config
from forecasting.training.data import load_training_data
from forecasting.training.pipeline import build_contents, with_execution


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        yield lc


@pytest.mark.slow  # a real distributed.LocalCluster
def test_dask_backend_matches_local_run(cluster, quick_warehouse) -> None:
    base = load_config(QUICK)
    data = load_training_data(base, warehouse_path=quick_warehouse)
    local, local_metrics, _ = build_contents(with_execution(base, backend="joblib"), data)
    remote_cfg = with_execution(base, scheduler=cluster.scheduler_address)
    assert (remote_cfg.execution.backend, remote_cfg.execution.scheduler) == (
        "dask",
        cluster.scheduler_address,
    )
    remote, remote_metrics, _ = build_contents(remote_cfg, data)
    pd.testing.assert_frame_equal(local.forecasts, remote.forecasts)
    pd.testing.assert_frame_equal(local.metrics, remote.metrics)
    assert local.states == remote.states
    assert local_metrics == remote_metrics


def test_backend_override_is_validated() -> None:
    with pytest.raises(ValueError, match="backend"):
        with_execution(load_config(QUICK), backend="threads")


@pytest.mark.slow  # trains on the published WDI releases
def test_real_time_backtests_in_training(quick_warehouse) -> None:
    """[backtest] real_time: revised series (WDI 2023/2025) are backtested on the releases out at each
    origin; series with one release are unchanged. Business investment has two releases here, CXNV Nov
    2020 (2018 prices) and QNA Dec 2023 (2019 prices): levels of different reference years are never
    spliced, so only the newest base counts and it gets no real-time history."""
    base = load_config(QUICK)
    rt = base.model_copy(update={"backtest": base.backtest.model_copy(update={"real_time": True})})
    data = load_training_data(rt, warehouse_path=quick_warehouse)
    revised_ids = {f"fdi_net_inflows_usd.{g}.all.A" for g in ("UK", "WLD")}
    assert set(data.published) == revised_ids & set(data.panel["series_id"])
    assert "business_investment_cvm_sa.UK.all.Q" in set(data.panel["series_id"])
    revised, _, _ = build_contents(base, load_training_data(base, warehouse_path=quick_warehouse))
    real, _, _ = build_contents(rt, data)
    m_rev, m_rt = (c.metrics.set_index("series_id")["mase"] for c in (revised, real))
    assert m_rev["fdi_net_inflows_usd.UK.all.A"] != m_rt["fdi_net_inflows_usd.UK.all.A"]
    assert m_rev["fdi_inward_position.TLF.all.A"] == m_rt["fdi_inward_position.TLF.all.A"]
