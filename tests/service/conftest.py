"""Service fixtures: an in-memory synthetic app (fast unit tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from svc_synthetic import make_contents

from service.app import create_app
from service.lifecycle import StaticSource
from service.settings import ApiSettings

ADMIN_KEY = "test-admin-key"


@pytest.fixture
def static_source() -> StaticSource:
    return StaticSource(make_contents())


@pytest.fixture
def client(static_source: StaticSource) -> Iterator[TestClient]:
    settings = ApiSettings(admin_api_keys=[ADMIN_KEY], max_batch=10, max_body_bytes=4096)
    with TestClient(create_app(settings, static_source)) as c:
        yield c
