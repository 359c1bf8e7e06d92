"""Property-based run over the OpenAPI schema (schemathesis) against the app on a real bundle: no 5xx,
and every response conforms to its documented status, content type and schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from svc_registry import ADMIN_KEY, TrainedRegistry

from service.app import create_app
from service.lifecycle import LoaderSource
from service.served import ServedModel
from service.settings import ApiSettings


class _Deferred:
    """The schema is read at import; the real registry exists only once the session fixture has trained."""

    inner: LoaderSource | None = None

    def load(self) -> ServedModel:
        if self.inner is None:
            raise RuntimeError("registry not trained yet")
        return self.inner.load()


_source = _Deferred()
app = create_app(ApiSettings(admin_api_keys=[ADMIN_KEY]), _source)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _load_real_bundle(trained: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> None:
    from scorecard_world import make_bundle, make_inputs

    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish

    _source.inner = LoaderSource(trained.api_settings(cache="cache-schemathesis"))
    app.state.holder.load()
    # the cluster routes serve written scorecards: write a real (small-world) set for them
    out = tmp_path_factory.mktemp("scorecards")
    sset = build_scorecards(out / "unused.duckdb", make_bundle(), None, 11, draws=100, inputs=make_inputs())
    publish(sset, out, report=False)
    app.state.scorecards_dir = out


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    # positive_data_acceptance is left out on purpose: the issue asks for semantic 422s that no static schema
    # can state (a horizon beyond what this bundle stores, 413 for more ids than max_batch). Every other
    # check runs, including not_a_server_error and response-schema conformance.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
