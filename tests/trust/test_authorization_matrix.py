"""Authorization matrix: every page and every API operation against every kind of caller.

One row per URL name and per API operation, one expected outcome per principal. A URL pattern
or an API operation without its row fails `test_every_page_has_a_row` /
`test_every_api_operation_has_a_row`, so a new endpoint cannot ship without a decision on who
may use it.

Outcomes: OK = the caller passes the access gate (any answer but a login redirect, 401 or 403;
a 404/405/422 for the dummy object ids and empty bodies used here still means "let through"),
LOGIN = sent to a login page (pages) or 401 (API), DENY = 403 (or 404 for objects of another
office, which are not shown).
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.api import api
from loket.accounts.services import issue_token
from loket.core import clock
from loket.offices.models import Office
from loket.queue import office_setup
from loket.staff import services as staff_services
from loket.staff.models import StaffRole

pytestmark = pytest.mark.django_db

OK, LOGIN, DENY = "ok", "login", "deny"
ROLES = list(StaffRole.values)
PRINCIPALS = ["anonymous", "applicant", "superuser", "other_office", *ROLES]
STAFF_PASSWORD = "rahasia-staf-123"

D, C, S, A = StaffRole.DESK, StaffRole.COUNTER, StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN
H, OUT, K = StaffRole.HOTLINE, StaffRole.OUTREACH, StaffRole.KIOSK


def public():
    return dict.fromkeys(PRINCIPALS, OK)


def logged_in():
    """Any signed-in account (applicant pages; staff accounts are accounts too)."""
    return {p: (LOGIN if p == "anonymous" else OK) for p in PRINCIPALS}


def staff_at_office(*roles, other_office=DENY):
    """Staff holding one of `roles` at the office in the URL; superusers hold every role."""
    row = {"anonymous": LOGIN, "applicant": DENY, "superuser": OK, "other_office": other_office}
    row.update({r: (OK if r in roles else DENY) for r in ROLES})
    return row


OFFICE = {"office_code": "KRW"}

# URL name -> (kwargs, expected outcome per principal). GET requests only.
PAGES = {
    # Staff area (loket.queue): the office is in the URL.
    "staff:index": ({}, logged_in()),
    "staff:login": ({}, public()),
    "staff:logout": ({}, public()),
    "staff:login_code": ({}, public()),  # without a pending log-in: back to the login page
    "staff:two_factor": ({}, staff_at_office(S, A, other_office=OK)),
    "queue:desk": (OFFICE, staff_at_office(D, S)),
    "queue:check_in": (OFFICE, staff_at_office(D, S)),
    "queue:release_nik": (OFFICE, staff_at_office(D, S)),
    "queue:kiosk": (OFFICE, staff_at_office(K, D, S)),
    "queue:walk_in": (OFFICE, staff_at_office(D, S)),
    "queue:counters": (OFFICE, staff_at_office(C, S)),
    "queue:counter": ({**OFFICE, "number": 1}, staff_at_office(C, S)),
    "queue:counter_action": ({**OFFICE, "number": 1, "action": "call"}, staff_at_office(C, S)),
    "queue:counter_sign_in": ({**OFFICE, "number": 1}, staff_at_office(C, S)),
    "queue:counter_sign_out": ({**OFFICE, "number": 1}, staff_at_office(C, S)),
    "queue:return_ticket": ({**OFFICE, "ticket_id": 999999}, staff_at_office(C, S, D)),
    "queue:supervisor": (OFFICE, staff_at_office(S, A)),
    "queue:release_priority": (OFFICE, staff_at_office(S, A)),
    "queue:ledger": (OFFICE, staff_at_office(S, A)),
    "queue:refunds": (OFFICE, staff_at_office(S, A)),
    # The office node's cases for the supervisor (loket.sync): at the central site too.
    "sync:flags": (OFFICE, staff_at_office(S, A)),
    "queue:bap": (OFFICE, staff_at_office(C, S)),
    "queue:pickup": (OFFICE, staff_at_office(D, C, S)),
    "queue:board": (OFFICE, public()),
    "queue:board_data": (OFFICE, public()),
    # Outreach: staff pages pick the office from ?office= among those where a role is held.
    "outreach:service_days": ({}, public()),  # like the API's list; booking needs a login
    "outreach:book_service_day": ({"pk": 999999}, logged_in()),
    "outreach:request_form": ({}, public()),
    "outreach:staff_requests": ({}, staff_at_office(OUT, A)),
    "outreach:staff_request": ({"code": "NOPE"}, staff_at_office(OUT, A, other_office=DENY)),
    "outreach:team_calendar": ({}, staff_at_office(OUT, A, D, S)),
    "outreach:staff_occurrence": ({"pk": 999999}, staff_at_office(OUT, A, D, S)),
    "outreach:hotline": ({}, staff_at_office(H, S)),
    "outreach:hotline_case": ({"pk": 999999}, staff_at_office(H, S)),
    "outreach:check_in": ({}, staff_at_office(D, C, S, H, OUT)),
    # Reports: supervisors and office administrators of the office asked for (?office=KRW);
    # superusers every office (see loket/reports/permissions.py). The planner's empty form is
    # open to them at any office; it is refused when run on another office's bookings.
    "reports:index": ({}, staff_at_office(S, A)),
    "reports:monthly": ({}, staff_at_office(S, A)),
    "reports:planner": ({}, staff_at_office(S, A, other_office=OK)),
    "reports:export": ({"key": "bookings", "fmt": "csv"}, staff_at_office(S, A)),
    # Audit search: supervisors and office administrators of their office; superusers all.
    "audit:search": ({}, staff_at_office(S, A)),
    # Fair release waiting room: a verified account.
    "release:room": (
        {"office_code": "KRW", "channel_code": "online", "date": "2026-12-15"},
        logged_in(),
    ),
    # Applicant website.
    "web:home": ({}, public()),
    "web:favicon": ({}, public()),
    "web:set_language": ({}, public()),
    "web:register": ({}, public()),
    "web:verify": ({}, public()),
    "web:resend_code": ({}, public()),
    "web:login": ({}, public()),
    "web:logout": ({}, public()),
    "web:password_reset": ({}, public()),
    "web:password_reset_done": ({}, public()),
    "web:password_reset_confirm": ({"uidb64": "x", "token": "y"}, public()),
    "web:password_reset_complete": ({}, public()),
    "web:applicants": ({}, logged_in()),
    "web:close_account": ({}, logged_in()),
    "accounts:devices": ({}, logged_in()),
    "accounts:revoke_device": ({"token_id": 999999}, logged_in()),
    "accounts:revoke_all_devices": ({}, logged_in()),
    "web:applicant_add": ({}, logged_in()),
    "web:applicant_edit": ({"pk": 999999}, logged_in()),
    "web:applicant_remove": ({"pk": 999999}, logged_in()),
    "web:check_nik": ({}, public()),
    "web:check_regency": ({}, public()),
    "web:choose_office": ({}, public()),
    "web:check": ({}, logged_in()),
    "web:choose_channel": (OFFICE, public()),
    "web:calendar": ({**OFFICE, "channel_code": "online"}, public()),
    "web:day": ({**OFFICE, "channel_code": "online", "date": "2026-12-15"}, public()),
    "web:waitlist_join": (
        {**OFFICE, "channel_code": "online", "date": "2026-12-15"},
        logged_in(),
    ),
    "web:details": (
        {**OFFICE, "channel_code": "online", "date": "2026-12-15", "window": "09:00"},
        logged_in(),
    ),
    "web:my_bookings": ({}, logged_in()),
    "web:booking": ({"code": "NOPE"}, logged_in()),
    "web:pay": ({"code": "NOPE"}, logged_in()),
    "web:payment_status": ({"code": "NOPE"}, logged_in()),
    "web:simulate_payment": ({"code": "NOPE"}, logged_in()),
    "web:proof": ({"code": "NOPE"}, logged_in()),
    "web:cancel": ({"code": "NOPE"}, logged_in()),
    "web:reschedule": ({"code": "NOPE"}, logged_in()),
    "web:reschedule_day": ({"code": "NOPE", "date": "2026-12-15"}, logged_in()),
    "web:waitlist_accept": ({"entry_id": 999999}, logged_in()),
    "web:waitlist_decline": ({"entry_id": 999999}, logged_in()),
    "web:waitlist_leave": ({"entry_id": 999999}, logged_in()),
}

# Pages that take the office from `?office=` (the office of the matrix, KRW, is asked for).
OFFICE_QUERY = {
    "outreach:staff_requests",
    "outreach:staff_request",
    "outreach:team_calendar",
    "outreach:staff_occurrence",
    "outreach:hotline",
    "outreach:hotline_case",
    "outreach:check_in",
    "audit:search",
    "reports:index",
    "reports:monthly",
    "reports:export",
}

# Not in the matrix on purpose: Django's admin (its own staff/permission checks) and the API
# (the API rows below), the health check (public, no data).
UNMATRIXED_PREFIXES = ("admin:", "api-v1:")
UNMATRIXED = {"healthz"}


def bearer_any():
    """Any valid bearer token."""
    return {p: (LOGIN if p == "anonymous" else OK) for p in PRINCIPALS}


def bearer_staff_at_office(*roles):
    """A token of staff holding one of `roles` at the office asked for (KRW); superusers pass;
    every other token, staff of another office included, gets 403."""
    row = staff_at_office(*roles)
    row["anonymous"] = LOGIN
    return row


# "METHOD /path" (as in the OpenAPI schema, without /api/v1) -> expected outcome per principal.
API = {
    "POST /auth/register": public(),
    "POST /auth/verify": public(),
    "POST /auth/token": public(),
    "GET /offices": public(),
    "GET /offices/{code}": public(),
    "GET /offices/{code}/availability": public(),
    "GET /applicants": bearer_any(),
    "POST /applicants": bearer_any(),
    "DELETE /applicants/{applicant_id}": bearer_any(),
    "GET /bookings": bearer_any(),
    "POST /bookings": bearer_any(),
    "GET /bookings/{code}": bearer_any(),
    "POST /bookings/{code}/cancel": bearer_any(),
    "POST /bookings/{code}/reschedule": bearer_any(),
    "POST /payments/notify": public(),
    "POST /auth/resend-code": public(),
    "GET /outreach/service-days": public(),
    "POST /outreach/service-days/{day_id}/bookings": bearer_any(),
    "POST /outreach/requests": public(),
    "GET /reports/figures": bearer_staff_at_office(S, A),
    "GET /reports/figures/{key}": bearer_staff_at_office(S, A),
    "POST /reports/planner": bearer_staff_at_office(S, A),
    "GET /reports/planner/office": bearer_staff_at_office(S, A),
    "POST /waitlist": bearer_any(),
    "GET /waitlist": bearer_any(),
    "POST /waitlist/{entry_id}/accept": bearer_any(),
    "POST /waitlist/{entry_id}/decline": bearer_any(),
    "POST /waitlist/{entry_id}/leave": bearer_any(),
    "GET /me/data": bearer_any(),
    "POST /me/close": bearer_any(),  # an empty body: 422, nobody's account is closed
    "POST /release/join": bearer_any(),
    "GET /release/place": bearer_any(),
    "GET /auth/tokens": bearer_any(),
    "GET /payments/refunds": bearer_staff_at_office(S, A),
    "DELETE /auth/tokens/{token_id}": bearer_any(),
    # Last: it revokes the caller's token.
    "POST /auth/logout": bearer_any(),
}


# Operations that name the office in the query or the body: the matrix asks about KRW.
API_QUERY = {
    "GET /payments/refunds": "?office=KRW",
    "GET /reports/figures": "?office=KRW&period=month&date=2026-12-01",
    "GET /reports/figures/{key}": "?office=KRW&period=month&date=2026-12-01",
    "GET /reports/planner/office": "?office=KRW",
}
API_BODY = {
    "POST /reports/planner": {
        "office": "KRW",
        "date": "2026-12-01",
        "stages": [{"name": "Foto", "service": {"mean": 5}, "counters": 1}],
        "days": 1,
    },
}


def _url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _api_operations() -> set[str]:
    paths = api.get_openapi_schema()["paths"]
    prefix = api.get_root_path({}) if hasattr(api, "get_root_path") else "/api/v1"
    operations = set()
    for path, methods in paths.items():
        short = path.removeprefix("/api/v1").removeprefix(str(prefix).rstrip("/"))
        for method in methods:
            operations.add(f"{method.upper()} {short}")
    return operations


def test_every_page_has_a_row():
    """A URL pattern without its row in the matrix fails here (and a stale row too)."""
    names = {
        n for n in _url_names() if not n.startswith(UNMATRIXED_PREFIXES) and n not in UNMATRIXED
    }
    assert sorted(names - PAGES.keys()) == [], "pages without a row in the matrix"
    assert sorted(PAGES.keys() - names) == [], "rows for pages that no longer exist"


def test_every_api_operation_has_a_row():
    """An API operation without its row in the matrix fails here (and a stale row too)."""
    operations = _api_operations()
    assert sorted(operations - API.keys()) == [], "API operations without a row in the matrix"
    assert sorted(API.keys() - operations) == [], "rows for API operations that no longer exist"


def test_every_row_covers_every_principal():
    for name, (_kwargs, row) in PAGES.items():
        assert set(row) == set(PRINCIPALS), name
    for op, row in API.items():
        assert set(row) == set(PRINCIPALS), op


@pytest.fixture
def principals(office, settings):
    """A user per principal; `None` is the anonymous caller."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from loket.accounts.services import create_verified_account

    User = get_user_model()
    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    users = {"anonymous": None}
    users["applicant"] = create_verified_account(email="warga@contoh.id", password="rahasia-1234")
    verified = {"email_verified_at": clock.now()}
    users["superuser"] = User.objects.create_superuser("root@contoh.id", STAFF_PASSWORD, **verified)
    users["other_office"] = User.objects.create_user(
        "lain@contoh.id", STAFF_PASSWORD, is_staff=True, **verified
    )
    for role in ROLES:
        staff_services.grant_role(user=users["other_office"], office=other, role=role)
    for role in ROLES:
        user = User.objects.create_user(
            f"{role}@contoh.id", STAFF_PASSWORD, is_staff=True, **verified
        )
        staff_services.grant_role(user=user, office=office, role=role)
        users[role] = user
    return users


def _outcome_of_page(response) -> str:
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        if "login" in location and "next=" in location:
            return LOGIN
        return OK
    if response.status_code == 403:
        return DENY
    return OK


def test_pages_matrix(principals):
    """Every cell of the page matrix: a GET by each principal gets the expected outcome."""
    failures = []
    for principal, user in principals.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        # Log-out pages last: they end the session the other rows need.
        for name in sorted(PAGES, key=lambda n: n.endswith("logout")):
            kwargs, row = PAGES[name]
            url = reverse(name, kwargs=kwargs)
            if name in OFFICE_QUERY:
                url += "?office=KRW"
            response = client.get(url)
            if response.status_code == 405:  # a POST-only page: the gate is checked on POST
                response = client.post(url, {})
            got = _outcome_of_page(response)
            expected = row[principal]
            if expected == DENY and response.status_code == 404 and principal == "other_office":
                got = DENY  # an object of another office is not shown
            if got != expected:
                failures.append(
                    f"{name} as {principal}: {got} ({response.status_code}), expected {expected}"
                )
    assert failures == [], "\n".join(failures)


def _token_for(principal, user):
    if user is None:
        return None
    password = "rahasia-1234" if principal == "applicant" else STAFF_PASSWORD
    return issue_token(email=user.email, password=password)


def _outcome_of_api(response) -> str:
    if response.status_code == 401:
        return LOGIN
    if response.status_code == 403:
        return DENY
    return OK


def test_api_matrix(principals):
    """Every cell of the API matrix, with the caller's bearer token and an empty body."""
    failures = []
    client = Client()
    fill = {
        "code": "NOPE",
        "token_id": "999999",
        "applicant_id": "999999",
        "day_id": "999999",
        "entry_id": "999999",
    }
    fill["key"] = "purposes"
    for principal, user in principals.items():
        token = _token_for(principal, user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        for op, row in API.items():
            method, path = op.split(" ", 1)
            url = "/api/v1" + path.format(**fill) + API_QUERY.get(op, "")
            body = json.dumps(API_BODY.get(op, {}))
            response = client.generic(
                method, url, data=body, content_type="application/json", **headers
            )
            got = _outcome_of_api(response)
            if got != row[principal]:
                failures.append(
                    f"{op} as {principal}: {got} ({response.status_code}), "
                    f"expected {row[principal]}"
                )
    assert failures == [], "\n".join(failures)
