"""The one settings tree reads ``INVEST_API_*`` into its API branch under the names users already set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from forecasting.settings import PROJECT_ROOT, ApiSettings, Settings

# Where users and scripts find the variables' names.
DOCUMENTS = (
    "README.md",
    ".ci/run",
    *(p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "docs").rglob("*.md")),
)
NAME = re.compile(r"\bINVEST_API_([A-Z][A-Z_]*[A-Z])\b")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No INVEST_* (or prometheus) variable from the caller's shell leaks into what a test builds."""
    for key in list(os.environ):
        if key.startswith("INVEST_") or key == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(key)
    return monkeypatch


def documented_api_names() -> set[str]:
    found: set[str] = set()
    for rel in DOCUMENTS:
        path = PROJECT_ROOT / rel
        if path.is_file():
            found |= set(NAME.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_documented_api_variable_names_a_field() -> None:
    names = documented_api_names()
    assert {"POLL_SECONDS", "MAX_CONNECTIONS", "METRICS_DIR"} <= names  # the scan reads the documents
    assert {n.lower() for n in names} <= set(ApiSettings.model_fields), names


def test_each_api_variable_lands_in_its_branch_field(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("INVEST_API_POLL_SECONDS", "2.5")
    clean_env.setenv("INVEST_API_AUTO_RELOAD", "false")
    clean_env.setenv("INVEST_API_ADMIN_API_KEYS", "a, b")
    clean_env.setenv("INVEST_API_MAX_HEADER_BYTES", "2048")
    clean_env.setenv("INVEST_API_TRACKING_URI", "sqlite:////tmp/api.db")
    clean_env.setenv("INVEST_DATA_DIR", "/tmp/invest-data")
    s = Settings()
    assert (s.api.poll_seconds, s.api.auto_reload, s.api.admin_api_keys) == (2.5, False, ["a", "b"])
    assert s.api.max_header_bytes == 2048 and s.api.resolved_tracking_uri() == "sqlite:////tmp/api.db"
    assert s.tracking_uri is None  # the API's URI is the branch's own, not the project's
    assert s.api.resolved_cache_dir() == Path("/tmp/invest-data/api_cache")  # defaults come from the tree


def test_a_bad_api_variable_is_refused_with_its_field(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("INVEST_API_MAX_BATCH", "0")
    with pytest.raises(ValueError, match=r"api\.max_batch"):
        Settings()


def test_metrics_dir_prefers_ours_then_prometheus(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/prom")
    assert Settings().api.metrics_dir == Path("/tmp/prom")
    clean_env.setenv("INVEST_API_METRICS_DIR", "/tmp/ours")
    assert Settings().api.metrics_dir == Path("/tmp/ours")


def test_arguments_beat_the_environment_and_a_lone_branch_reads_none(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("INVEST_API_POLL_SECONDS", "3")
    clean_env.setenv("INVEST_API_MAX_BATCH", "7")
    merged = Settings(api={"poll_seconds": 0})
    assert (merged.api.poll_seconds, merged.api.max_batch) == (0, 7)  # merged field by field, as before
    assert Settings(api=ApiSettings(poll_seconds=1)).api.max_batch == 1000  # a built branch is taken whole
    assert ApiSettings().poll_seconds == 30  # only Settings reads the environment
