"""An event day's quota under parallel booking: exactly the quota succeeds, never more."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection

from loket.accounts.services import create_verified_account
from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.booking.services import ApplicantData
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.errors import DomainError
from loket.outreach import eazy_passport, service_days
from tests.conftest import make_nik

pytestmark = pytest.mark.django_db(transaction=True)

FRIDAY = dt.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_in_threads(tasks, *, timeout: float = 60) -> list:
    """Start every task at one barrier, each thread on its own connection; the clock is frozen
    for all of them (the frozen moment is module state, shared by threads)."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def runner(i, task):
        try:
            barrier.wait(timeout=timeout)
            results[i] = task()
        except BaseException as exc:  # noqa: B036 - handed back to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(i, t), daemon=True) for i, t in enumerate(tasks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def outcome(result) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"
    return "ok"


def storm(occurrence, clients: int):
    accounts = [
        create_verified_account(email=f"warga{i}@contoh.id", password="rahasia-panjang-1")
        for i in range(clients)
    ]
    birth = dt.date(1993, 3, 9)

    def task(account, serial):
        return lambda: service_days.book_service_day(
            account=account,
            occurrence=occurrence,
            application_type="new",
            purpose="tourism",
            passport_type="ordinary",
            applicant=ApplicantData(
                nik=make_nik(birth, serial=serial),
                name=f"Warga {serial}",
                birth_date=birth,
                sex="M",
                phone="081234567890",
                domicile_regency="3215",
            ),
        )

    results = run_in_threads([task(a, i + 1) for i, a in enumerate(accounts)])
    return Counter(outcome(r) for r in results)


@pytest.fixture
def paten_friday(paten_rule):
    return service_days.generate_occurrences(rule=paten_rule, start=FRIDAY, end=FRIDAY)[0]


@pytest.mark.postgres
def test_thirty_people_racing_for_a_paten_day_of_ten_give_exactly_ten(paten_friday, now):
    result = storm(paten_friday, clients=30)
    assert result == {"ok": 10, "quota_exhausted": 20}
    slot = CapacitySlot.objects.get(channel=paten_friday.channel, date=FRIDAY)
    active = Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()
    assert slot.used == 10 == active == slot.capacity
    assert find_drift() == []


def test_parallel_event_bookings_are_exact_on_every_database(paten_friday, now):
    """On the embedded database the writers queue up: the same exact count."""
    with clock.frozen_at(now):
        result = storm(paten_friday, clients=12)
    assert result == {"ok": 10, "quota_exhausted": 2}
    slot = CapacitySlot.objects.get(channel=paten_friday.channel, date=FRIDAY)
    assert slot.used == 10


def test_two_coordinators_planning_one_team_day_at_once_give_one_visit(office, coordinator, team):
    """Two requests approved in parallel for the same team and day: one wins, one is told."""
    from loket.outreach.models import TeamAssignment
    from tests.outreach.test_requests import csv_of, data

    requests = [
        eazy_passport.submit_outreach_request(
            office=office, data=data(organisation=f"Desa {i}"), participants_file=csv_of(20)
        )
        for i in range(2)
    ]
    visit = dt.date(2026, 12, 16)
    results = run_in_threads(
        [
            lambda r=r: eazy_passport.approve_outreach_request(
                request=r, visit_date=visit, team=team, actor=coordinator
            )
            for r in requests
        ]
    )
    assert Counter(outcome(r) for r in results) == {"ok": 1, "team_busy": 1}
    assert TeamAssignment.objects.filter(team=team, date=visit).count() == 1
    assert sorted(r.status for r in type(requests[0]).objects.all()) == ["approved", "submitted"]
