"""Property-based runs over the OpenAPI schema (schemathesis 4) against the app on a real bundle.

* every operation, with examples, boundary values (the coverage phase: near-boundary numbers, lengths and
  item counts) and both valid and invalid data: no 5xx, and every response conforms to its documented
  status, content type, headers and schema (413 included);
* a stateful run: sequences that follow the links schemathesis infers between responses and parameters
  (series listed -> that series' forecast and history ...);
* non-finite numbers: JSON cannot express them, so no generator emits them; here generated bodies get one
  leaf replaced by ``NaN``, ``Infinity``, ``-Infinity`` or ``1e999`` and the answer must be a 422 naming
  exactly that field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from svc_registry import ADMIN_KEY, TrainedRegistry

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import LoaderSource
from service.served import ServedModel


class _Deferred:
    """The schema is read at import; the real registry exists only once the session fixture has trained."""

    inner: LoaderSource | None = None

    def load(self) -> ServedModel:
        if self.inner is None:
            raise RuntimeError("registry not trained yet")
        return self.inner.load()


_source = _Deferred()
app = create_app(ApiSettings(admin_api_keys=[ADMIN_KEY], poll_seconds=0), _source)

pytestmark = pytest.mark.slow  # API fuzzing: hundreds of generated requests, stateful runs

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
phases = schema.config.phases
phases.coverage.enabled = True  # boundary values (it is the default in 4.x; said here on purpose)
phases.coverage.generation.modes = list(GenerationMode)
phases.fuzzing.generation.modes = list(GenerationMode)
phases.stateful.enabled = True
phases.stateful.max_steps = 6


@pytest.fixture(scope="module", autouse=True)
def _load_real_bundle(trained: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> None:
    from scorecard_world import make_bundle, make_inputs

    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish

    _source.inner = LoaderSource(trained.api_settings(cache="cache-schemathesis"))
    app.state.service.holder.load()
    # the cluster routes serve written scorecards: write a real (small-world) set for them
    out = tmp_path_factory.mktemp("scorecards")
    sset = build_scorecards(out / "unused.duckdb", make_bundle(), None, 11, draws=100, inputs=make_inputs())
    publish(sset, out, report=False)
    # the cluster evidence routes serve `invest clusters validate|discover`'s documents: their documented
    # examples (checked against the response models by tests/clusters) stand in for them here
    from service.routers.clusters import CANDIDATES_EXAMPLE, VALIDATION_EXAMPLE

    (out / "cluster_validation.json").write_text(json.dumps(VALIDATION_EXAMPLE))
    (out / "cluster_candidates.json").write_text(json.dumps(CANDIDATES_EXAMPLE))
    app.state.service.settings.scorecards_dir = out
    # the area routes serve written profiles: two, from the trained registry's warehouse
    from forecasting.profiles.areas import resolve_area
    from forecasting.profiles.inputs import load_profile_inputs
    from forecasting.profiles.publish import write_profiles

    profiles = tmp_path_factory.mktemp("profiles")
    inputs = load_profile_inputs(trained.settings.warehouse)
    write_profiles(inputs, [resolve_area("TLG"), resolve_area("E47000007")], profiles, pdf=False)
    app.state.service.settings.profiles_dir = profiles


# positive_data_acceptance is left out on purpose: the API has semantic 422s that no static schema can
# state (a horizon beyond what this bundle stores, 413 for more ids than max_batch). Every other check
# runs, including not_a_server_error and response-schema conformance.
def excluded(response: Any) -> list[Any]:
    # 413 (body over the size limit) is a rejection too, though not one negative_data_rejection lists
    too_large = getattr(response, "status_code", None) == 413
    return [positive_data_acceptance, *([negative_data_rejection] if too_large else [])]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    response = case.call()
    case.validate_response(response, excluded_checks=excluded(response))


class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        case.validate_response(response, excluded_checks=excluded(response))


TestStateful = APIWorkflow.TestCase
TestStateful.settings = settings(
    max_examples=15, deadline=None, stateful_step_count=6, suppress_health_check=list(HealthCheck)
)


def test_stateful_run_follows_inferred_links() -> None:
    """Guard for the stateful run: it has links to follow (else it would only repeat single calls), e.g.
    a batch answer's series ids feed GET /v1/forecasts/{series_id}."""
    links = [n for n in dir(APIWorkflow) if n.startswith(("GET_", "POST_"))]
    assert any(
        n.startswith("POST_v1_forecasts_batch") and n.endswith("GET_v1_forecasts_series_id_") for n in links
    )


NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999")


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


_MARK = "@@non-finite@@"


def _with_token(body: Any, path: tuple[str | int, ...], token: str) -> bytes:
    """``body`` as JSON with the leaf at ``path`` written as the bare token (e.g. ``NaN``)."""
    if not path:
        return token.encode()
    doc = json.loads(json.dumps(body))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = _MARK
    return json.dumps(doc).replace(json.dumps(_MARK), token).encode()


@schema.include(method="POST").exclude(path="/v1/models/reload").parametrize()  # the bodies
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_non_finite_numbers_anywhere_in_a_body_are_422_naming_the_field(case: schemathesis.Case) -> None:
    if case.body is None or isinstance(case.body, bytes | str) or case.body == {}:
        return  # no JSON document to put a number in
    client = TestClient(app)  # no lifespan: the module fixture has loaded the model already
    for i, path in enumerate(_leaves(case.body)[:20]):  # every leaf (capped), the tokens in turn
        token = NON_FINITE[i % len(NON_FINITE)]
        raw = _with_token(case.body, path, token)
        r = client.post(case.formatted_path, content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (413, 422), (r.status_code, r.text)
        if r.status_code == 422:
            assert r.json()["detail"] == [
                {
                    "type": "finite_number",
                    "loc": ["body", *path],
                    "msg": r.json()["detail"][0]["msg"],
                    "input": token,
                }
            ]
