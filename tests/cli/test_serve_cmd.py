"""``invest serve`` hands uvicorn the bounded protocol and a listen backlog as long as the system allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forecasting.cli import serve_cmd


def test_serve_asks_for_the_long_backlog_and_the_bounded_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    import uvicorn

    from forecasting.settings import get_settings

    # every variable serve() writes is set here first, so monkeypatch puts the environment back
    monkeypatch.setenv("INVEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(serve_cmd.METRICS_ENV, str(tmp_path / "metrics"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    monkeypatch.setattr(serve_cmd, "raise_fd_limit", lambda: 0)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))

    serve_cmd.serve(
        host="127.0.0.1",
        port=8123,
        workers=1,
        alias=None,
        bundle=None,
        log_level="info",
        access_log=False,
    )

    assert seen["app"] == "service.app:create_app" and seen["port"] == 8123
    assert seen["http"] == "service.connections:BoundedHTTPProtocol"
    # above uvicorn's 2,048 and every common net.core.somaxconn: the kernel, not uvicorn, sets the bound
    assert seen["backlog"] == serve_cmd.LISTEN_BACKLOG >= 65535
