"""End to end on the embedded store: train quick.toml twice, compare, promote, load what the API loads."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from training_helpers import QUICK
from typer.testing import CliRunner

from forecasting.registry import promotion
from forecasting.registry.loader import load_bundle
from forecasting.registry.target import use_tracking
from forecasting.settings import Settings
from forecasting.training.pipeline import train_experiment

pytestmark = pytest.mark.slow  # two tracked trainings and `invest run` end to end

HEADLINE = "fdi_inward_position.MID.all.A"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, quick_warehouse):
    """quick.toml trained twice into one embedded store (shared by the tests that only read it)."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            mp.delenv(var, raising=False)
        settings = Settings(data_dir=tmp_path_factory.mktemp("data"), warehouse_path=quick_warehouse)
        first = train_experiment(QUICK, settings=settings, show_progress=False)
        second = train_experiment(QUICK, settings=settings, show_progress=False)
        yield settings, first, second


def test_two_runs_two_versions_identical_forecasts(two_runs) -> None:
    settings, first, second = two_runs
    assert (first.version, second.version) == ("1", "2")
    assert first.run_id != second.run_id
    pd.testing.assert_frame_equal(first.forecasts, second.forecasts)
    fc = first.forecasts
    assert HEADLINE in set(fc["series_id"]) and fc["reconciled"].any()
    assert {"q0.025", "q0.5", "q0.975", "method", "fallback", "period_start"} <= set(fc.columns)
    # Midlands = East + West Midlands in every reconciled step
    wide = fc.pivot(index="step", columns="series_id", values="mean")
    mid, tlf, tlg = (wide[f"fdi_inward_position.{g}.all.A"] for g in ("MID", "TLF", "TLG"))
    assert ((mid - tlf - tlg).abs() < 1e-6 * mid.abs()).loc[1:5].all()


def test_stale_series_are_nowcast_to_the_present_then_forecast(two_runs) -> None:
    """UK business investment ends 2023Q3 (QNA Dec-2023): quarters up to the present are nowcasts."""
    settings, first, _ = two_runs
    loaded = load_bundle(tracking_uri=settings.mlflow_uri, model_name=settings.model_name, alias="challenger")
    present = pd.Timestamp(loaded.contents.metadata.present)
    bi = "business_investment_cvm_sa.UK.all.Q"
    cat = loaded.contents.catalogue.set_index("series_id").loc[bi]
    assert cat["last_observed"] == "2023Q3" and bool(cat["stale"])
    fc = loaded.contents.forecasts[loaded.contents.forecasts["series_id"] == bi]
    assert fc["period"].iloc[0] == "2023Q4"
    begun = pd.to_datetime(fc["period_start"]) <= present
    assert (fc.loc[begun, "kind"] == "nowcast").all() and (fc.loc[~begun, "kind"] == "forecast").all()
    assert int(cat["nowcast_periods"]) == int(begun.sum()) and (~begun).sum() == 8  # [backtest] Q = 8
    # the Midlands tree: every member forecast on the same periods, and they add up there
    mid = loaded.contents.forecasts[
        loaded.contents.forecasts["series_id"].str.startswith("fdi_inward_position.")
    ]
    wide = mid.pivot(index="period", columns="series_id", values="mean")
    ok = (
        wide[HEADLINE] - wide["fdi_inward_position.TLF.all.A"] - wide["fdi_inward_position.TLG.all.A"]
    ).abs()
    assert (ok < 1e-6 * wide[HEADLINE].abs()).all()


def test_run_records_params_metrics_dataset_artifacts(two_runs) -> None:
    settings, first, _ = two_runs
    with use_tracking(settings.mlflow_uri) as client:
        run = client.get_run(first.run_id)
        arts = {
            a.path for d in ("tables", "charts", "config") for a in client.list_artifacts(first.run_id, d)
        }
        mv = client.get_model_version(settings.model_name, first.version)
    assert run.info.status == "FINISHED"
    assert run.data.params["experiment.name"] == "quick" and run.data.params["models.families"]
    assert run.data.params["data.vintage"] == first.data_vintage
    m = run.data.metrics
    assert {
        "mase",
        "crps",
        "coverage80",
        "family.ets.mase",
        "level.itl1.mase",
        "level.itl1.mase_reconciled",
    } <= set(m)
    # the logged share is the logged tracking time over the logged total, and matches the outcome
    assert m["tracking_share"] == pytest.approx(m["seconds.tracking"] / m["seconds.total"], rel=1e-9)
    assert m["seconds.total"] <= first.seconds
    ds = run.inputs.dataset_inputs[0]
    assert ds.dataset.digest and ds.dataset.name.startswith("warehouse@") and "series_id" in ds.dataset.schema
    assert run.data.tags["mlflow.source.git.commit"]
    assert {
        "tables/series_metrics.parquet",
        "tables/forecasts.parquet",
        f"charts/{HEADLINE}.png",
        "charts/business_investment_cvm_sa.UK.all.Q.png",
        "config/quick.toml",
    } <= arts
    assert mv.tags["data_vintage"] == first.data_vintage and mv.tags["experiment"] == "quick"
    assert float(mv.tags["metric.mase"]) == pytest.approx(first.metrics["mase"], rel=1e-4)


def test_compare_promote_and_loading_follows_the_alias(two_runs) -> None:
    settings, first, second = two_runs
    name = settings.model_name
    with use_tracking(settings.mlflow_uri) as client:
        assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"
        cmp = promotion.compare(client, name, "1", "2")
        assert cmp.n_common == first.n_series
        assert list(cmp.table["level"])[0] == "all" and {"itl1", "uk"} <= set(cmp.table["level"])
        assert (cmp.table["mase_a"] == cmp.table["mase_b"]).all()
        assert promotion.ensure_champion(client, name, "1") is True
        assert promotion.ensure_champion(client, name, "2") is False
        promoted = promotion.promote(client, name, "2", reason="same data, newer code", user="tester")
        assert promoted.tags["previous_champion"] == "1" and promoted.tags["promoted_by"] == "tester"
        assert promoted.tags["promotion_reason"] == "same data, newer code"
        assert client.get_model_version(name, "1").tags["superseded_by"] == "2"
        with pytest.raises(promotion.PromotionError, match="already the champion"):
            promotion.promote(client, name, "2", reason="again")
        with pytest.raises(promotion.PromotionError, match="no version or alias '9'"):
            promotion.promote(client, name, "9", reason="unknown")
        with pytest.raises(promotion.PromotionError, match="a reason is required"):
            promotion.promote(client, name, "1", reason=" ")
        model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
        stored = int(second.forecasts.loc[second.forecasts["series_id"] == HEADLINE, "step"].max())
        pred = model.predict(
            pd.DataFrame({"series_id": [HEADLINE]}),
            params={"horizon": stored + 2, "quantiles": [0.1, 0.9]},
        )
    assert list(pred["step"]) == list(range(1, stored + 3)) and {"q0.1", "q0.9"} <= set(pred.columns)
    assert pred["reconciled"].tolist() == [True] * stored + [False] * 2  # beyond: from the model state
    assert pred["kind"].iloc[-1] == "forecast"
    loaded = load_bundle(
        tracking_uri=settings.mlflow_uri, model_name=name, cache_dir=settings.data_dir / "cache"
    )
    assert (loaded.version, loaded.alias, loaded.run_id) == ("2", "champion", second.run_id)
    assert loaded.contents.metadata.model_version == "2"
    api = loaded.forecast([HEADLINE], horizon=5, quantiles=[0.1, 0.9])
    pd.testing.assert_frame_equal(
        api.reset_index(drop=True),
        pred.iloc[:5][api.columns].reset_index(drop=True),
        check_dtype=False,
        check_exact=False,
        rtol=1e-12,
        atol=0,
    )


def test_cli_list_compare_promote(two_runs) -> None:
    from forecasting.cli.app import app

    settings, *_ = two_runs
    uri = ["--tracking-uri", settings.mlflow_uri]
    runner = CliRunner()
    # whether or not test_compare_promote ran first in this worker: v2 champion, then roll back to v1
    res = runner.invoke(app, ["models", "promote", "2", "--reason", "second", *uri])
    assert res.exit_code == 0 or "already the champion" in res.output, res.output
    res = runner.invoke(app, ["models", "promote", "1", "--reason", "roll back", *uri])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "list", *uri])
    assert res.exit_code == 0 and "champion" in res.output and "vintage" in res.output
    # no challenger left: the champion is compared with the one it replaced
    res = runner.invoke(app, ["models", "compare", *uri])
    assert res.exit_code == 0, res.output
    assert "no challenger: comparing champion v1 with the champion it replaced, v2" in res.output
    res = runner.invoke(app, ["models", "compare", "champion", "2", *uri])
    assert res.exit_code == 0, res.output
    assert "v1" in res.output and "v2" in res.output and "itl1" in res.output
    res = runner.invoke(app, ["models", "promote", "7", "--reason", "x", *uri])
    assert res.exit_code == 2 and "no version or alias '7'" in res.output
    res = runner.invoke(app, ["models", "promote", "2", *uri])
    assert res.exit_code == 2 and "Missing option '--reason'" in res.output


def test_auto_promotion_rule(settings, tmp_path) -> None:
    cfg = tmp_path / "auto.toml"
    cfg.write_text(QUICK.read_text().replace("auto = false", "auto = true"))
    first = train_experiment(cfg, settings=settings, show_progress=False)
    assert first.promoted and "no champion" in first.promotion_note
    second = train_experiment(cfg, settings=settings, show_progress=False)
    assert not second.promoted and "< margin" in second.promotion_note
    with use_tracking(settings.mlflow_uri) as client:
        assert str(client.get_model_version_by_alias(settings.model_name, "champion").version) == "1"


def test_invest_run_promotes_only_the_first_version(settings) -> None:
    """`invest run` trains with promote_if_no_champion: the first version becomes champion, later ones don't."""
    first = train_experiment(QUICK, settings=settings, show_progress=False, promote_if_no_champion=True)
    assert first.promoted and first.promotion_note == "first champion"
    second = train_experiment(QUICK, settings=settings, show_progress=False, promote_if_no_champion=True)
    assert not second.promoted
    with use_tracking(settings.mlflow_uri) as client:
        assert (
            str(client.get_model_version_by_alias(settings.model_name, "champion").version) == first.version
        )
        assert (
            str(client.get_model_version_by_alias(settings.model_name, "challenger").version)
            == second.version
        )
