"""Shared fixtures: where the real published files are, and throwaway settings per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.settings import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"published data mirror not found at {SHARED_DATA}")
    return SHARED_DATA
