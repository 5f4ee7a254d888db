"""Hostile input: malformed bodies on every POST endpoint are a 4xx with a code, never a 500."""

import copy
import json

import pytest

from loket.booking.payments import sign_payment_notice
from tests.api.test_booking_flow import booking_body
from tests.helpers import WEDNESDAY, book

MISSING = object()

# Bodies that are no valid request anywhere.
GARBAGE = [
    b"",
    b"not json",
    b"{",
    b'{"a": }',
    b"null",
    b"123",
    b'"a string"',
    b"[]",
    b"[{}]",
    b"{}",
    b'{"": ""}',
    b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000,
    b'{"a": ' * 5000 + b"1" + b"}" * 5000,
]

# Values put in place of each field in turn.
BAD_VALUES = [
    MISSING,
    None,
    0,
    -1,
    10**30,
    1.5,
    True,
    [],
    {},
    [1, 2],
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "💥🇮🇩",
    "‮nama",
    "３２１５",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "25:00",
    "24:00",
    "08:00:00",
    "8",
    "-1:00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
]


def mutations(body: dict):
    """The body with each field (nested ones too) replaced by each bad value."""
    for key, value in body.items():
        if isinstance(value, dict):
            for inner in mutations(value):
                yield f"{key}.{inner[0]}", {**body, key: inner[1]}
        for bad in BAD_VALUES:
            mutated = copy.deepcopy(body)
            if bad is MISSING:
                del mutated[key]
            else:
                mutated[key] = bad
            yield f"{key}={bad!r:.40}", mutated


def check(client, url, raw: bytes, *, strict: bool, **headers) -> str | None:
    """None if the answer is acceptable, else a description of what was wrong."""
    try:
        response = client.post(url, raw, content_type="application/json", **headers)
    except Exception as exc:  # the test client re-raises what would be a 500
        return f"raised {type(exc).__name__}: {exc!s:.200}"
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if strict and not 400 <= status < 500:
        return f"{status} for a malformed body"
    if status >= 400:
        try:
            payload = response.json()
        except ValueError:
            return f"{status} without JSON"
        if not isinstance(payload, dict) or not payload.get("code"):
            return f"{status} without a code: {payload!r:.200}"
    return None


def run(client, url, valid: dict, *, sign=False, body_needed=True, **headers) -> list[str]:
    problems = []

    def signed(raw):
        return {"HTTP_X_SIGNATURE": sign_payment_notice(raw)} if sign else {}

    for raw in GARBAGE:
        problem = check(client, url, raw, strict=body_needed, **headers, **signed(raw))
        if problem:
            problems.append(f"{raw[:30]!r}: {problem}")
    for label, body in mutations(valid):
        raw = json.dumps(body).encode()
        problem = check(client, url, raw, strict=False, **headers, **signed(raw))
        if problem:
            problems.append(f"{label}: {problem}")
    return problems


@pytest.fixture
def existing(online, account):
    """A booking of the account, so that code-based endpoints go past 'not found'."""
    return book(account, online, serial=9)


ENDPOINTS = {
    "register": ("/api/v1/auth/register", {"email": "x@contoh.id", "password": "kuda-lari-7x"}),
    "verify": ("/api/v1/auth/verify", {"email": "budi@contoh.id", "code": "123456"}),
    "resend": ("/api/v1/auth/resend-code", {"email": "budi@contoh.id"}),
    "token": ("/api/v1/auth/token", {"email": "budi@contoh.id", "password": "rahasia-panjang-1"}),
    "applicants": ("/api/v1/applicants", booking_body(WEDNESDAY)["applicant"]),
    "bookings": ("/api/v1/bookings", booking_body(WEDNESDAY)),
    "reschedule": ("/api/v1/bookings/{code}/reschedule", {"date": "2026-12-03", "window": "10:00"}),
    "cancel": ("/api/v1/bookings/{code}/cancel", {}),
}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_malformed_bodies_never_cause_a_server_error(client, existing, auth, name):
    """Every malformed body gets a 4xx JSON answer with a code."""
    url, valid = ENDPOINTS[name]
    # Cancelling takes no body: whatever is sent is ignored.
    problems = run(
        client, url.format(code=existing.code), valid, body_needed=name != "cancel", **auth
    )
    assert not problems, "\n".join(problems[:40])


def test_malformed_payment_notices_never_cause_a_server_error(client, existing):
    """Even correctly signed, a malformed payment notice gets a 4xx with a code."""
    valid = {
        "billing_code": existing.billing_code,
        "amount": existing.amount,
        "paid_at": "2026-12-01T09:30:00+07:00",
    }
    problems = run(client, "/api/v1/payments/notify", valid, sign=True)
    problems += run(client, "/api/v1/payments/notify", valid, sign=False)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize(
    "code",
    ["%00", "x" * 5000, "%F0%9F%92%A5", "..%2E", "'%20OR%201=1", "ABC%0ADEF"],
)
def test_odd_booking_codes_in_the_path_are_not_found(client, existing, auth, code):
    """A booking code that cannot exist is a 404 (or 4xx) with a code, never a 500."""
    for method, path in [
        ("get", f"/api/v1/bookings/{code}"),
        ("post", f"/api/v1/bookings/{code}/cancel"),
    ]:
        response = getattr(client, method)(path, **auth)
        assert 400 <= response.status_code < 500, path
        assert response.json()["code"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "x" * 10_000,
        "Bearer \x00",
        "Bearer 💥",
        "Basic YWJjOmRlZg==",
        "Bearer",
        "bearer abc",
    ],
)
def test_odd_authorization_headers_are_unauthorized(client, db, header):
    """A malformed Authorization header is 401 unauthorized, never a 500."""
    response = client.get("/api/v1/bookings", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("key", ["x" * 5000, "💥", "\x00", " "])
def test_odd_idempotency_keys_never_cause_a_server_error(client, online, auth, key):
    """An odd Idempotency-Key is used (cut to size) or ignored, never a 500."""
    response = client.post(
        "/api/v1/bookings",
        json.dumps(booking_body(WEDNESDAY)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **auth,
    )
    assert response.status_code in (201, 400, 422), response.content


@pytest.fixture
def limits_on(settings):
    """Rate limits switched on, at their real rates, with fresh counts."""
    from django.core.cache import cache

    cache.clear()
    settings.LOKET_RATE_LIMITS_ENABLED = True
    yield
    cache.clear()


def nested(depth: int) -> bytes:
    return b'{"applicant": ' * depth + b"{}" + b"}" * depth


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_a_deeply_nested_booking_is_422_too_deep_with_limits_on(
    client, online, auth, limits_on, depth
):
    """JSON nested 1,000 deep reached the per-NIK throttle's parser and raised RecursionError
    (a 500); now it is 422 `too_deep`, with the rate limits on as in production."""
    response = client.post(
        "/api/v1/bookings", nested(depth), content_type="application/json", **auth
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "too_deep"
    assert response.json()["detail"]


def test_a_body_over_the_limit_is_json_413(client, online, auth, limits_on, settings):
    """A 3 MB body answered Django's HTML 400; it is JSON 413 `payload_too_large`."""
    big = json.dumps({**booking_body(WEDNESDAY), "padding": "x" * 3_000_000}).encode()
    for url in ["/api/v1/bookings", "/api/v1/auth/token", "/api/v1/payments/notify"]:
        response = client.post(url, big, content_type="application/json", **auth)
        assert response.status_code == 413, (url, response.content[:200])
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "payload_too_large"


def test_a_body_over_the_limit_without_declared_length_is_json_413(client, online, auth, settings):
    """The limit read while parsing (a body larger than the setting) is the same JSON 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({**booking_body(WEDNESDAY), "padding": "x" * 5000}).encode()
    from loket.core.json_body import PayloadTooLarge

    response = client.post("/api/v1/bookings", big, content_type="application/json", **auth)
    assert response.status_code == 413
    assert response.json()["code"] == PayloadTooLarge.code


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-endpoint", 404),
        ("delete", "/api/v1/bookings", 405),
        ("put", "/api/v1/auth/token", 405),
    ],
)
def test_errors_outside_the_operations_are_json(client, db, method, path, status):
    """An unknown API URL or method is JSON {code, detail} too, never Django's HTML page."""
    response = getattr(client, method)(path)
    assert response.status_code == status
    body = response.json()
    assert body["code"] and body["detail"]


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_malformed_bodies_with_rate_limits_on(client, existing, auth, limits_on, name):
    """The hostile-input run again with the rate limits on: the throttles read the bodies
    first (the per-NIK one parses it), and still nothing is a 500; 429 is JSON too."""
    url, valid = ENDPOINTS[name]
    raws = [*GARBAGE, nested(1000), nested(50)]
    problems = []
    for raw in raws:
        problem = check(
            client, url.format(code=existing.code), raw, strict=name != "cancel", **auth
        )
        if problem:
            problems.append(f"{raw[:30]!r}: {problem}")
    assert not problems, "\n".join(problems[:40])
