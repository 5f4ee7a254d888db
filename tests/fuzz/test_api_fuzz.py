"""Fuzzing the API: every operation of the OpenAPI schema, authenticated, against the demo office.

Hostile but schema-shaped input never makes the server fail (no 5xx), and every answer matches
what the schema promises (content type and body; status codes in a second, known-bug test).

Bounded for CI: a fixed number of examples per operation, derandomized, no example database.
Rerun: `pytest tests/fuzz` (add `-p no:randomly` style flags as you like; the run is repeatable).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.fuzz.conftest import fresh_limits

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# BUG API-1 (config/api.py, and the routers' `response=`): the error answers the API's exception
# handlers give (400 unparseable body, 401 no/invalid token, 404 unknown code, 422 invalid
# input) are missing from these operations' documented responses. Remove an entry once fixed.
UNDOCUMENTED_ERRORS: dict[str, str] = {}


@pytest.fixture
def fuzz_auth(office, token):
    """A verified applicant's bearer token, with the Karawang demo office loaded."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes connections at each request's start and end, which would end
    the test's transaction; Django's own test client unhooks the same signal handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known_undocumented(request):
    """Marks the status-code check of an operation with a known bug as an expected failure."""
    label = request.node.name.partition("[")[2].rstrip("]")
    if label in UNDOCUMENTED_ERRORS:
        request.node.add_marker(
            pytest.mark.xfail(
                strict=False,
                reason=f"BUG API-1: {label} answers {UNDOCUMENTED_ERRORS[label]} undocumented",
            )
        )


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.django_db
def test_api_never_fails_and_answers_as_documented(case, fuzz_auth):
    """No input the schema allows makes the server fail, and each answer's content type and
    body match the schema for its status."""
    fresh_limits()
    case.call_and_validate(
        headers=fuzz_auth,
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )


@schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=10)
@pytest.mark.django_db
def test_api_documents_every_status_it_answers(case, fuzz_auth, known_undocumented):
    """Every status code the API answers is documented for the operation."""
    fresh_limits()
    case.call_and_validate(headers=fuzz_auth, checks=[not_a_server_error, status_code_conformance])
