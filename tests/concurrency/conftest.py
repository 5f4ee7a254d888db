"""Helpers for tests that run real threads, each with its own database connection."""

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from loket.accounts.services import create_verified_account
from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.booking.services import ApplicantData, book_appointment
from loket.capacity.models import CapacitySlot
from loket.core.errors import DomainError
from loket.offices.models import CapacityOverride, Channel
from tests.conftest import make_nik

# A Thursday and a Friday after the frozen "now" (Tue 2026-12-01): open, released, no holiday.
DAY = dt.date(2026, 12, 3)
NEXT_DAY = dt.date(2026, 12, 4)
NINE = dt.time(9)
TEN = dt.time(10)
WINDOWS_PER_DAY = 7  # the demo's hourly windows 08:00-15:00


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is slow by design; the accounts made here only need to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def places_per_window(channel: Channel, day: dt.date, places: int) -> None:
    """Give every window of the day `places` places (the demo's windows share equally)."""
    CapacityOverride.objects.update_or_create(
        channel=channel,
        date=day,
        defaults={"capacity": places * WINDOWS_PER_DAY, "reason": "concurrency test"},
    )


def make_accounts(n: int, prefix: str = "p") -> list:
    return [
        create_verified_account(email=f"{prefix}{i}@contoh.id", password="rahasia-panjang-1")
        for i in range(n)
    ]


def applicant(serial: int, birth: dt.date = dt.date(1990, 1, 1)) -> ApplicantData:
    return ApplicantData(
        nik=make_nik(birth, serial=serial),
        name=f"Pemohon {serial}",
        birth_date=birth,
        sex="M",
        phone="081234567890",
        domicile_regency="3215",
    )


def book(account, channel, *, serial: int, day: dt.date = DAY, window: dt.time = NINE):
    return book_appointment(
        account=account,
        channel=channel,
        day=day,
        window_start=window,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=applicant(serial),
    )


def run_in_threads(tasks: list[Callable], *, timeout: float = 60) -> list:
    """Start every task at the same moment in its own thread; return results or exceptions.

    Each thread opens its own connection and closes it when it ends.
    """
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def runner(i: int, task: Callable) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = task()
        except BaseException as exc:  # noqa: B036 - handed back to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(i, task), daemon=True) for i, task in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def outcome(result) -> str:
    """'ok', a domain error code, or the repr of an unexpected exception."""
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"
    return "ok"


def outcomes(results: list) -> Counter:
    return Counter(outcome(r) for r in results)


def active_in(slot: CapacitySlot) -> int:
    return Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()


def slot_at(channel: Channel, day: dt.date, window: dt.time) -> CapacitySlot:
    return CapacitySlot.objects.get(channel=channel, date=day, window_start=window)


def assert_ledger_matches_bookings() -> None:
    """For every slot: used equals the active bookings and never exceeds capacity."""
    for slot in CapacitySlot.objects.all():
        assert slot.used == active_in(slot), slot
        assert slot.used <= slot.capacity, slot
