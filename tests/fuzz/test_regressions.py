"""Regressions from the fuzz run, as plain requests: each answer is a clean error with a code,
and the schema documents its status for the operation."""

import json

import pytest

from config.api import api

# (method, path as requested, operation path in the schema, request kwargs, status answered)
FINDINGS = [
    (
        "post",
        "/api/v1/auth/register",
        "/api/v1/auth/register",
        {"data": b"\x00", "content_type": "application/json"},
        400,
    ),
    ("post", "/api/v1/auth/verify", "/api/v1/auth/verify", {"data": {}}, 422),
    ("post", "/api/v1/auth/resend-code", "/api/v1/auth/resend-code", {"data": {}}, 422),
    ("post", "/api/v1/auth/token", "/api/v1/auth/token", {"data": {}}, 422),
    ("get", "/api/v1/offices/NOPE", "/api/v1/offices/{code}", {}, 404),
    (
        "get",
        "/api/v1/offices/NOPE/availability",
        "/api/v1/offices/{code}/availability",
        {},
        404,
    ),
    (
        "get",
        "/api/v1/offices/KRW/availability?start=2026-13-01",
        "/api/v1/offices/{code}/availability",
        {},
        422,
    ),
    ("get", "/api/v1/applicants", "/api/v1/applicants", {}, 401),
    ("get", "/api/v1/bookings", "/api/v1/bookings", {}, 401),
    ("get", "/api/v1/bookings/ABC", "/api/v1/bookings/{code}", {}, 401),
]
IDS = [f"{m.upper()} {p} -> {s}" for m, p, _, _, s in FINDINGS]


def _send(client, method, path, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("data"), dict):
        kwargs["data"] = json.dumps(kwargs["data"])
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(path, **kwargs)


@pytest.mark.parametrize(("method", "path", "operation", "kwargs", "status"), FINDINGS, ids=IDS)
def test_hostile_request_is_a_clean_error(client, office, method, path, operation, kwargs, status):
    """The fuzzer's requests get a JSON error with a stable code, never a server error."""
    response = _send(client, method, path, kwargs)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"]


@pytest.mark.parametrize(("method", "path", "operation", "kwargs", "status"), FINDINGS, ids=IDS)
def test_error_status_is_documented(method, path, operation, kwargs, status):
    """Every error status the API answers is documented for its operation."""
    documented = api.get_openapi_schema()["paths"][operation][method]["responses"]
    assert status in documented
