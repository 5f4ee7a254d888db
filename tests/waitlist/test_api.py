"""The waiting list over the JSON API: join, list, accept, decline, leave; stable error codes."""

import json

import pytest

from loket.accounts.services import issue_token
from loket.booking.services import cancel_booking
from tests.helpers import book
from tests.waitlist.conftest import EIGHT, THURSDAY, add_person, new_account


def post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


@pytest.fixture
def full_day(online, one_place, account):
    return book(account, online, day=THURSDAY, window=EIGHT, serial=1)


@pytest.fixture
def waiter(db):
    acc = new_account(1)
    person = add_person(acc, 11)
    token = issue_token(email=acc.email, password="rahasia-panjang-1")
    return acc, person, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def join_body(person, **overrides):
    return {
        "office": "KRW",
        "channel": "online",
        "date": THURSDAY.isoformat(),
        "applicant_id": person.pk,
        "purpose": "tourism",
        **overrides,
    }


def test_join_list_accept(client, online, full_day, account, waiter):
    """A full day is joined; the offer after a cancellation is listed, then accepted."""
    acc, person, auth = waiter
    r = post(client, "/api/v1/waitlist", join_body(person), **auth)
    assert r.status_code == 201, r.content
    entry = r.json()
    assert (entry["status"], entry["position"], entry["offer"]) == ("waiting", 1, None)
    cancel_booking(account=account, code=full_day.code)
    listed = client.get("/api/v1/waitlist", **auth).json()
    assert listed[0]["status"] == "offered"
    assert listed[0]["offer"]["window"] == "08:00"
    r = post(client, f"/api/v1/waitlist/{entry['id']}/accept", **auth)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "awaiting_payment"
    assert r.json()["date"] == THURSDAY.isoformat()
    assert client.get("/api/v1/waitlist", **auth).json() == []
    everything = client.get("/api/v1/waitlist?include_closed=true", **auth).json()
    assert everything[0]["booking"] == r.json()["code"]


def test_decline_and_leave(client, online, full_day, account, waiter):
    """Declining answers the entry; leaving twice is refused with a stable code."""
    acc, person, auth = waiter
    entry = post(client, "/api/v1/waitlist", join_body(person), **auth).json()
    r = post(client, f"/api/v1/waitlist/{entry['id']}/decline", **auth)
    assert (r.status_code, r.json()["code"]) == (409, "offer_not_open")
    cancel_booking(account=account, code=full_day.code)
    r = post(client, f"/api/v1/waitlist/{entry['id']}/decline", **auth)
    assert (r.status_code, r.json()["status"]) == (200, "declined")
    r = post(client, f"/api/v1/waitlist/{entry['id']}/leave", **auth)
    assert (r.status_code, r.json()["code"]) == (409, "waitlist_entry_closed")


@pytest.mark.parametrize(
    "overrides,status,code",
    [
        ({}, 409, "day_not_full"),
        ({"applicant_id": 999999}, 404, "applicant_not_found"),
        ({"application_type": "lost"}, 422, "walk_in_only"),
        ({"date": "2026-11-30"}, 422, "date_past"),
        ({"office": "XXX"}, 404, "office_not_found"),
    ],
)
def test_refusals_answer_with_stable_codes(
    client, online, one_place, waiter, overrides, status, code
):
    """Each refusal has its code (the day here still has its place)."""
    acc, person, auth = waiter
    r = post(client, "/api/v1/waitlist", join_body(person, **overrides), **auth)
    assert (r.status_code, r.json()["code"]) == (status, code)


def test_joining_twice_is_a_conflict(client, online, full_day, waiter):
    acc, person, auth = waiter
    assert post(client, "/api/v1/waitlist", join_body(person), **auth).status_code == 201
    r = post(client, "/api/v1/waitlist", join_body(person), **auth)
    assert (r.status_code, r.json()["code"]) == (409, "already_waiting")


def test_another_account_s_entry_is_not_found(client, online, full_day, waiter, auth):
    """Entries are private to their account."""
    acc, person, waiter_auth = waiter
    entry = post(client, "/api/v1/waitlist", join_body(person), **waiter_auth).json()
    r = post(client, f"/api/v1/waitlist/{entry['id']}/leave", **auth)
    assert (r.status_code, r.json()["code"]) == (404, "waitlist_entry_not_found")


def test_the_waitlist_needs_a_token(client, db):
    r = client.get("/api/v1/waitlist")
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


def test_openapi_declares_the_waitlist_errors(client, db):
    """The error answers are in the schema, like the other routers'."""
    schema = client.get("/api/v1/openapi.json").json()
    join = schema["paths"]["/api/v1/waitlist"]["post"]["responses"]
    assert {"201", "404", "409", "422"} <= set(join)
    assert "/api/v1/waitlist/{entry_id}/accept" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/applicants/{applicant_id}"]
