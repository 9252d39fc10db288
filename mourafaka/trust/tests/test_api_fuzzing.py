"""API fuzzing: schemathesis-generated requests against every operation of the OpenAPI schema.

The schema is the one drf-spectacular serves at /api/schema/, built in-process; every operation
in it is called through the project's WSGI application (no server), signed in with a DRF token as
each of several roles. Each (role, operation) pair is one test inside its own rolled-back
transaction, so what a write creates or changes never reaches the next role. Checked on every
answer:

* no 5xx (the traceback of the exception is shown);
* the answer conforms to the schema: a success status the operation documents, the documented
  content type, a body that validates against the documented schema; an error status is one of
  DRF's error answers with a JSON error body (drf-spectacular documents success answers only);
* no data outside scope: a record a list or a detail answer returns is in `policy.visible(user)`
  for the endpoint's model; delegate.guelmim never receives a record of a Marrakech-Safi
  cooperative; the partner observer never receives a member's national ID, phone or name.

Path ids are drawn from real records, in and out of the role's scope, as well as generated.
Bounded: a few examples per operation and role, and a cap on the time one pair may take.
"""

import json
import time
from functools import cache

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mourafaka.accounts import policy
from mourafaka.cooperatives.models import Member

ROLES = ("manager", "delegate.guelmim", "coach", "cooperative", "observer")
#: Examples per (role, operation): reads get more, writes fewer (they are slower and mostly refused).
EXAMPLES_READ = 4
EXAMPLES_WRITE = 3
#: Hard cap on the seconds one (role, operation) pair may spend generating and calling.
PAIR_SECONDS = 4.0
#: Error answers DRF gives that drf-spectacular does not document (it documents success answers).
ERROR_STATUSES = {400, 401, 403, 404, 405, 406, 409, 413, 415}
SCHEMA_CHECKS = [content_type_conformance, response_schema_conformance]
MARRAKECH_SAFI = "07"
#: Reference data every signed-in user reads (the territory), outside the policy's scopes.
REFERENCE_MODELS = {"territory.Region", "territory.Province", "territory.Delegation"}

#: (role or "*", "METHOD /path") → reason, for failures whose fix needs more than an API change.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


@cache
def openapi_document() -> dict:
    """The OpenAPI document /api/schema/ serves, as JSON data."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def operation_labels() -> list[str]:
    methods = ("get", "post", "put", "patch", "delete")
    return [
        f"{method.upper()} {path}"
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in methods
    ]


def pytest_generate_tests(metafunc):
    if {"role", "label"} <= set(metafunc.fixturenames):
        params = []
        for role in ROLES:
            for label in operation_labels():
                reason = KNOWN_FAILURES.get((role, label)) or KNOWN_FAILURES.get(("*", label))
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
                params.append(pytest.param(role, label, marks=marks, id=f"{role}:{label}"))
        metafunc.parametrize(("role", "label"), params)


@pytest.fixture(scope="module")
def fuzz_schema():
    return schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def wsgi_app():
    """The project's WSGI application, sharing the test's connection and transaction.

    Django closes "old" connections around every request, which would end the test's
    transaction; the test client switches that off too.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """Exceptions the views raised during the current call (Django answers them with a 500)."""
    import sys
    import traceback

    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        seen.append("".join(traceback.format_exception(*sys.exc_info())))

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


# ---------------------------------------------------------------------------
# What an endpoint returns: its model, found from the view the URL resolves to.


def _sample_path(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


def _resolves(url: str) -> bool:
    try:
        resolve(url.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def endpoint_model(path: str, user):
    """The model of the records an endpoint lists or shows (None when it has none)."""
    try:
        match = resolve(_sample_path(path))
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if view_class is None:
        return None
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    view = view_class(**getattr(match.func, "initkwargs", {}))
    view.request = Request(APIRequestFactory().get(_sample_path(path)))
    view.request.user = user
    view.args, view.kwargs = (), dict(match.kwargs)
    view.format_kwarg = None
    view.action = "list"
    try:
        return view.get_queryset().model
    except Exception:  # noqa: BLE001 - a view without a queryset has no model
        return None


def path_ids(model, user) -> list[int]:
    """A few ids of real records: some the user sees, some they do not."""
    if model is None:
        return []
    everything = model._default_manager.order_by("pk")
    seen = list(policy.visible(user, everything).values_list("pk", flat=True)[:3])
    unseen = list(everything.exclude(pk__in=seen).values_list("pk", flat=True)[:200])
    # Out of scope: the first and the last records not seen (sorted: deterministic).
    return sorted({*seen, *unseen[:2], *unseen[-2:]})


def personal_markers() -> list[str]:
    """Strings that only a member's personal data contains: CINs, phones, full names."""
    markers = set()
    for cin, phone, name_fr, name_ar in Member.objects.values_list(
        "cin", "phone", "full_name_fr", "full_name_ar"
    ):
        markers.update(value for value in (cin, phone, name_fr, name_ar) if value and len(value) >= 6)
    return sorted(markers)


def marrakech_safi_ids(model, ids) -> set:
    province_path = getattr(model, "SCOPE_PROVINCE", None)
    if not province_path or getattr(model, "SCOPE_SHARED", False):
        return set()
    lookup = (
        "region__code"
        if province_path == "province" and model is Member
        else f"{province_path}__region__code"
    )
    return set(
        model._default_manager.filter(pk__in=ids, **{lookup: MARRAKECH_SAFI}).values_list("pk", flat=True)
    )


def returned_ids(body) -> list:
    """Ids of the records of a list answer (paginated or not) or of a detail answer."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        items = body["results"]
    elif isinstance(body, list):
        items = body
    elif isinstance(body, dict):
        items = [body]
    else:
        return []
    return [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), int)]


def scope_problems(role, user, model, body) -> list[str]:
    """Records of an answer that the user may not see."""
    if model is None or getattr(model, "SCOPE_SHARED", False) or model._meta.label in REFERENCE_MODELS:
        return []
    ids = returned_ids(body)
    if not ids:
        return []
    problems = []
    allowed = set(
        policy.visible(user, model._default_manager.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    if outside := sorted(set(ids) - allowed):
        problems.append(f"{model._meta.label} ids outside visible(user): {outside[:10]}")
    if role == "delegate.guelmim" and (leaked := marrakech_safi_ids(model, ids)):
        problems.append(f"{model._meta.label} ids of Marrakech-Safi records: {sorted(leaked)[:10]}")
    return problems


# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_operation(role, label, fuzz_schema, wsgi_app, server_errors, persona):
    method, path = label.split(" ", 1)
    operation = fuzz_schema[path][method]
    user = persona(role)
    token = Token.objects.get_or_create(user=user)[0].key
    headers = {"Authorization": f"Token {token}"}
    model = endpoint_model(path, user)
    ids = path_ids(model, user) if "{id}" in path else []
    markers = personal_markers() if role == "observer" else []
    is_read = method == "GET"
    failures: list[str] = []
    started = time.monotonic()

    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if operation.query or operation.body or (operation.path_parameters and not ids):
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    case_strategy = st.one_of(strategies)
    id_strategy = st.sampled_from(ids) if ids else st.nothing()

    @settings(
        max_examples=EXAMPLES_READ if is_read else EXAMPLES_WRITE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(data=st.data())
    def run(data):
        case = data.draw(case_strategy, label="case")
        if ids and data.draw(st.booleans(), label="real id"):
            case.path_parameters = {**case.path_parameters, "id": data.draw(id_strategy, label="id")}
        if time.monotonic() - started > PAIR_SECONDS or len(failures) >= 3:
            return  # after the draws: the same data must draw the same way
        server_errors.clear()
        response = case.call(app=wsgi_app, headers=headers)
        where = f"{role} {case.method} {response.request.url}\n  body sent: {str(case.body)[:300]}\n"
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (AssertionError, FailureGroup) as error:
            failures.append(f"{where}  {error}\n{''.join(server_errors)[-3000:]}")
            return
        status = response.status_code
        if status == 404 and not _resolves(response.request.path_url):
            return  # a generated path parameter that no URL accepts (a text where an id goes)
        documented = {str(code) for code in operation.responses.status_codes}
        if status in ERROR_STATUSES and str(status) not in documented and "default" not in documented:
            try:
                error_body = response.json()
            except ValueError:
                failures.append(f"{where}  {status} without a JSON error body: {response.text[:200]}")
                return
            if not isinstance(error_body, dict | list):
                failures.append(f"{where}  {status} with a non-object error body: {error_body!r:.200}")
            return
        try:
            case.validate_response(response, checks=[status_code_conformance, *SCHEMA_CHECKS])
        except (AssertionError, FailureGroup) as error:
            failures.append(f"{where}  status {status}: {error}\n  received: {response.text[:500]}")
            return
        if not (200 <= status < 300 and response.content):
            return
        content_type = response.headers.get("content-type", [""])[0]
        if is_read and "json" in content_type:
            body = response.json()
            failures.extend(f"{where}  {problem}" for problem in scope_problems(role, user, model, body))
            detail_id = case.path_parameters.get("id")
            if detail_id in ids and scope_problems(role, user, model, {"id": detail_id}):
                failures.append(f"{where}  answered {status} for a record outside the scope")
        if markers:
            text = response.text_lossy()
            if leaked := [marker for marker in markers if marker in text]:
                failures.append(f"{where}  personal data of members: {leaked[:5]}")

    run()
    assert not failures, "\n\n".join(failures)
