"""The registry never reads a broken store as empty, never reuses a version number, and never promotes a
version that would lose what the champion serves (unless forced) or whose training run did not finish."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.cli.app import app
from forecasting.registry import promotion
from forecasting.registry.ledger import VersionLedger, VersionReuse
from forecasting.registry.staleness import check_scorecards
from forecasting.registry.target import CorruptStore, TrackingTarget, check_reachable, use_tracking
from forecasting.settings import get_settings
from forecasting.training.tracking import ensure_experiment

NAME = "investment-forecaster"
VINTAGE = "20260101T000000000000Z"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir the CLI uses (embedded store), nothing leaking in from the environment."""
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("INVEST_DATA_DIR", str(data))
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def _uri(data: Path) -> str:
    return f"sqlite:///{(data / 'mlflow.db').resolve()}"


def _version(
    client,
    exp_id: str,
    series: dict[str, str],
    *,
    mase: float = 1.0,
    coverage80: float = 0.8,
    vintage: str = VINTAGE,
    finish: bool = True,
    ledger: VersionLedger | None = None,
    tmp: Path,
) -> str:
    """A registered version whose run logged a series-metrics table (what the guard compares)."""
    run = client.create_run(exp_id)
    rid = run.info.run_id
    for k, v in {"promotion.metric": "mase", "promotion.level": "all", "promotion.margin": "0.02"}.items():
        client.log_param(rid, k, v)
    stage = tmp / rid / "tables"
    stage.mkdir(parents=True)
    pd.DataFrame(
        {
            "series_id": list(series),
            "level": list(series.values()),
            "mase": mase,
            "crps": mase,
            "coverage80": coverage80,
            "coverage95": 0.95,
        }
    ).to_parquet(stage / "series_metrics.parquet", index=False)
    client.log_artifacts(rid, str(stage), "tables")
    if finish:
        client.set_terminated(rid, "FINISHED")
    mv = promotion.register_version(
        client, NAME, f"runs:/{rid}/tables", rid, {"data_vintage": vintage}, ledger=ledger
    )
    return str(mv.version)


SERIES = {f"m.TL{c}.all.A": "itl1" for c in "CDEFGHIJK"} | {"m.UK.all.A": "uk"}


@pytest.fixture()
def registry(env: Path, tmp_path: Path):
    uri = _uri(env)
    with use_tracking(uri) as client:
        exp = ensure_experiment(client, "investment-forecasting", (env / "mlartifacts").as_uri())
        yield client, exp, uri


# ---- 1. a corrupt store is an error, never "empty" -------------------------------------------------
@pytest.mark.parametrize("content", [b"", os.urandom(8192), b"SQLite format 3\x00" + b"\x00" * 200])
def test_broken_store_is_refused_and_left_untouched(env: Path, content: bytes) -> None:
    """Was: `invest models list` said "no versions registered" and `invest train` re-created the tables
    in a 0-byte file, registering a second "v1"."""
    env.mkdir(parents=True)
    db = env / "mlflow.db"
    db.write_bytes(content)
    res = CliRunner().invoke(app, ["models", "list"])
    assert res.exit_code == 2, res.output
    assert f"tracking store {db}" in res.output and "no versions" not in res.output
    assert "Traceback" not in res.output
    assert db.read_bytes() == content  # not "repaired" into an empty store
    with pytest.raises(CorruptStore):
        check_reachable(TrackingTarget(_uri(env), None, True))


@pytest.mark.slow  # builds a real MLflow store, then damages it
def test_damaged_or_partial_store_is_refused(registry, env: Path) -> None:
    client, exp, uri = registry
    db = env / "mlflow.db"
    good = db.read_bytes()
    damaged = bytearray(good)
    damaged[4096 * 2 : 4096 * 4] = b"\xab" * 8192  # clobber pages, keep the header
    db.write_bytes(bytes(damaged))
    res = CliRunner().invoke(app, ["models", "list"])
    assert res.exit_code == 2 and "tracking store" in res.output and "Traceback" not in res.output
    db.write_bytes(good)
    con = sqlite3.connect(db)
    con.execute("DROP TABLE model_versions")
    con.commit()
    con.close()
    with pytest.raises(CorruptStore, match=r"not a complete MLflow store \(no tables \['model_versions'\]\)"):
        check_reachable(TrackingTarget(uri, None, True))


def test_train_refuses_a_zero_byte_store_before_any_work(env: Path, monkeypatch) -> None:
    from forecasting.training import pipeline

    env.mkdir(parents=True)
    (env / "mlflow.db").write_bytes(b"")
    called = []
    monkeypatch.setattr(pipeline, "load_training_data", lambda *a, **k: called.append(1))
    from forecasting.settings import PROJECT_ROOT

    with pytest.raises(CorruptStore, match="is empty \\(0 bytes\\)"):
        pipeline.train_experiment(
            PROJECT_ROOT / "experiments" / "quick.toml", settings=get_settings(), show_progress=False
        )
    assert not called and (env / "mlflow.db").stat().st_size == 0


# ---- 1. version numbers are never reused ------------------------------------------------------------
@pytest.mark.slow  # a real sqlite registry, replaced under the ledger
def test_a_replaced_store_cannot_reissue_old_version_numbers(registry, env: Path, tmp_path: Path) -> None:
    client, exp, uri = registry
    ledger = VersionLedger.beside(env, uri, embedded=True)
    assert [_version(client, exp, SERIES, ledger=ledger, tmp=tmp_path) for _ in range(2)] == ["1", "2"]
    assert json.loads(ledger.path.read_text()) == {"embedded": {NAME: 2}}
    # the store is lost and a new one appears where it was (a new file: MLflow caches engines per URI)
    uri = _uri(env).replace("mlflow.db", "mlflow-new.db")
    with use_tracking(uri) as fresh:
        exp2 = ensure_experiment(fresh, "investment-forecasting", (env / "mlartifacts").as_uri())
        with pytest.raises(
            VersionReuse, match="would get version 1, but versions up to 2 were already issued"
        ):
            promotion.check_ledger(fresh, NAME, ledger, uri)
        with pytest.raises(VersionReuse):
            _version(fresh, exp2, SERIES, ledger=ledger, tmp=tmp_path / "again")
        assert promotion.list_versions(fresh, NAME) == []  # the refused version was removed


# ---- 5. guarded promotion ---------------------------------------------------------------------------
@pytest.mark.slow  # a real sqlite registry with logged series-metrics artifacts
def test_promotion_guard_lists_what_would_be_lost(registry, tmp_path: Path) -> None:
    """Was: `promote 3` (no reason) made a 7-series test model champion over a 3,660-series one."""
    client, exp, _ = registry
    v1 = _version(client, exp, SERIES, tmp=tmp_path)
    promotion.promote(client, NAME, v1, reason="first")
    small = dict(list(SERIES.items())[:3])
    v2 = _version(client, exp, small, tmp=tmp_path)
    with pytest.raises(promotion.PromotionRefused) as exc:
        promotion.promote(client, NAME, v2, reason="try")
    msg = str(exc.value)
    assert "it drops 7 of the 10 series the champion serves (e.g. m.TLF.all.A" in msg
    assert "drops hierarchy level(s) uk" in msg and "--force" in msg
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == v1  # untouched
    forced = promotion.promote(client, NAME, v2, reason="demo only", force=True)
    assert forced.aliases == ["champion"] and "drops 7 of the 10" in forced.tags["promotion_forced_over"]


@pytest.mark.slow
def test_promotion_guard_accuracy_coverage_and_vintage(registry, tmp_path: Path) -> None:
    client, exp, _ = registry
    v1 = _version(client, exp, SERIES, mase=1.0, tmp=tmp_path)
    promotion.promote(client, NAME, v1, reason="first")
    within = _version(client, exp, SERIES, mase=1.015, tmp=tmp_path)  # 1.5% worse: inside the 2% margin
    worse = _version(client, exp, SERIES, mase=1.10, tmp=tmp_path)
    wide = _version(client, exp, SERIES, coverage80=0.6, tmp=tmp_path)
    older = _version(client, exp, SERIES, vintage="20250101T000000000000Z", tmp=tmp_path)
    with pytest.raises(
        promotion.PromotionRefused, match=r"mase@all .* is 1\.1 vs the champion's 1 \(\+10\.0% worse"
    ):
        promotion.promote(client, NAME, worse, reason="x")
    with pytest.raises(promotion.PromotionRefused, match="coverage80 is 60.0% vs the champion's 80.0%"):
        promotion.promote(client, NAME, wide, reason="x")
    with pytest.raises(promotion.PromotionRefused, match="older data vintage"):
        promotion.promote(client, NAME, older, reason="x")
    assert promotion.promote(client, NAME, within, reason="within margin").aliases == ["champion"]


@pytest.mark.slow
def test_unfinished_run_cannot_be_promoted_even_forced(registry, tmp_path: Path) -> None:
    client, exp, _ = registry
    v1 = _version(client, exp, SERIES, finish=False, tmp=tmp_path)  # its run is still RUNNING
    with pytest.raises(promotion.PromotionError, match="training run .* is RUNNING, not FINISHED"):
        promotion.promote(client, NAME, v1, reason="x", force=True)
    with pytest.raises(promotion.PromotionError, match="RUNNING"):
        promotion.ensure_champion(client, NAME, v1)


@pytest.mark.slow
def test_cli_promote_requires_reason_refuses_in_one_line_and_compare_uses_previous_champion(
    registry, tmp_path: Path
) -> None:
    client, exp, _ = registry
    v1 = _version(client, exp, SERIES, tmp=tmp_path)
    v2 = _version(client, exp, dict(list(SERIES.items())[:2]), tmp=tmp_path)
    v3 = _version(client, exp, SERIES, tmp=tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["models", "promote", v1]).exit_code == 2  # --reason is required
    assert runner.invoke(app, ["models", "promote", v1, "--reason", "first"]).exit_code == 0
    res = runner.invoke(app, ["models", "promote", v2, "--reason", "smaller"])
    assert (
        res.exit_code == 2 and "refusing to promote v2 over champion v1: it drops 8 of the 10" in res.output
    )
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["models", "promote", v3, "--reason", "same series, newer"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "compare"])  # v3 left no challenger behind
    assert res.exit_code == 0, res.output
    assert "no challenger: comparing champion v3 with the champion it replaced, v1" in res.output
    assert "A = v1" in res.output and "B = v3" in res.output


# ---- 5. scorecards say when they are stale -----------------------------------------------------------
@pytest.mark.slow
def test_scorecards_built_from_an_old_champion_are_marked_stale(registry, env: Path, tmp_path: Path) -> None:
    client, exp, _ = registry
    v1 = _version(client, exp, SERIES, tmp=tmp_path)
    promotion.promote(client, NAME, v1, reason="first")
    out = env / "reports" / "scorecards"
    out.mkdir(parents=True)
    doc = {"provenance": {"model": {"model_name": NAME, "model_version": v1}}, "clusters": []}
    (out / "scorecards.json").write_text(json.dumps(doc))
    assert not check_scorecards(out, client, NAME).stale
    assert json.loads((out / "scorecards.json").read_text())["stale"] is None
    v2 = _version(client, exp, SERIES, tmp=tmp_path)
    res = CliRunner().invoke(app, ["models", "promote", v2, "--reason", "newer"])
    assert res.exit_code == 0, res.output
    assert "scorecards stale: built from v1, champion is now v2" in res.output
    assert json.loads((out / "scorecards.json").read_text())["stale"] == (
        "stale: built from v1, champion is now v2"
    )


@pytest.mark.slow
def test_a_deleted_newest_version_is_not_mistaken_for_a_reset_store(
    registry, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed alias removes the new version; the number stays issued, and the next one is simply next."""
    from mlflow import MlflowClient

    client, exp, uri = registry
    ledger = VersionLedger.beside(env, uri, embedded=True)

    def hiccup(self, name, alias, version):
        raise RuntimeError("registry hiccup")

    with monkeypatch.context() as m:
        m.setattr(MlflowClient, "set_registered_model_alias", hiccup)
        with pytest.raises(RuntimeError, match="hiccup"):
            _version(client, exp, SERIES, ledger=ledger, tmp=tmp_path)
    assert promotion.list_versions(client, NAME) == [] and ledger.highest(NAME) == 1
    promotion.check_ledger(client, NAME, ledger, uri)  # no false "reset store"
    assert _version(client, exp, SERIES, ledger=ledger, tmp=tmp_path / "next") == "2"


def _store_at_revision(db: Path, revision: str) -> None:
    """A sound sqlite file with MLflow's tables, its schema stamped at ``revision`` (what the check reads)."""
    from forecasting.registry.target import MLFLOW_TABLES

    con = sqlite3.connect(db)
    for table in MLFLOW_TABLES:
        con.execute(f"CREATE TABLE {table} (version_num TEXT)")
    con.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    con.commit()
    con.close()


@pytest.mark.parametrize("which", ["newer", "older"])
def test_a_store_of_another_mlflow_schema_is_refused_saying_what_to_do(env: Path, which: str) -> None:
    """Was: a store written by a newer MLflow (a fresh install picks up the newest) made an older
    environment's `invest models list` print MLflow's traceback advising `mlflow db upgrade`, which cannot
    help there."""
    import mlflow
    from alembic.script import ScriptDirectory

    from forecasting.registry.target import StoreSchemaMismatch

    scripts = ScriptDirectory(str(Path(mlflow.__file__).parent / "store" / "db_migrations"))
    env.mkdir(parents=True)
    db = env / "mlflow.db"
    _store_at_revision(db, "f00dfeedbeef" if which == "newer" else scripts.get_base())
    before = db.read_bytes()
    res = CliRunner().invoke(app, ["models", "list"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and f"tracking store {db}" in res.output
    if which == "newer":
        assert "written by a newer MLflow" in res.output and "pip install -U mlflow" in res.output
    else:
        assert "older MLflow schema" in res.output and "mlflow db upgrade sqlite:///" in res.output
    assert db.read_bytes() == before  # left as it was
    with pytest.raises(StoreSchemaMismatch):
        check_reachable(TrackingTarget(_uri(env), None, True))
    db.unlink()
    _store_at_revision(db, scripts.get_current_head())
    check_reachable(TrackingTarget(_uri(env), None, True))  # the installed MLflow's own schema: fine


def test_the_schema_check_steps_aside_when_mlflows_migrations_are_not_where_it_looks(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a future MLflow that moves its migration scripts must not make every command fail
    import mlflow

    from forecasting.registry.target import check_schema

    monkeypatch.setattr(mlflow, "__file__", str(env / "nowhere" / "__init__.py"))
    check_schema(env / "mlflow.db", "f00dfeedbeef")  # no error: MLflow's own check is left to speak
