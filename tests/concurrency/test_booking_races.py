"""Booking under real parallel load: the ledger never oversells and always equals the bookings.

Each test starts its threads at one barrier; every thread has its own database connection.
They run on both databases (on SQLite, IMMEDIATE transactions make writers queue), except the
largest storm and the control test, which need PostgreSQL's real parallel writers.
"""

import datetime as dt
import json
import threading
import time

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import Client

from loket.booking.models import Booking, BookingStatus
from loket.booking.payments import sign_payment_notice
from loket.booking.services import (
    cancel_booking,
    expire_overdue_holds,
    record_payment,
    reschedule_booking,
)
from loket.capacity import services as ledger
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.core import clock
from tests.concurrency.conftest import (
    DAY,
    NEXT_DAY,
    NINE,
    TEN,
    active_in,
    assert_ledger_matches_bookings,
    book,
    make_accounts,
    outcomes,
    places_per_window,
    run_in_threads,
    slot_at,
)
from tests.conftest import make_nik

pytestmark = pytest.mark.django_db(transaction=True)


def storm(online, *, clients: int, places: int):
    places_per_window(online, DAY, places)
    accounts = make_accounts(clients)
    results = run_in_threads(
        [lambda a=a, i=i: book(a, online, serial=i + 1) for i, a in enumerate(accounts)]
    )
    return outcomes(results), slot_at(online, DAY, NINE)


@pytest.mark.postgres
def test_parallel_bookings_for_a_few_places_give_exactly_that_many(online):
    """24 people booking 5 places at once: 5 get one, 19 are told the window is full."""
    result, slot = storm(online, clients=24, places=5)
    assert result == {"ok": 5, "quota_exhausted": 19}
    assert slot.used == 5 == active_in(slot)
    assert Booking.objects.count() == 5
    assert find_drift() == []


def test_parallel_bookings_are_exact_on_every_database(online):
    """On the embedded database too, parallel writers queue up: 3 of 8 book, none is locked out."""
    result, slot = storm(online, clients=8, places=3)
    assert result == {"ok": 3, "quota_exhausted": 5}
    assert slot.used == 3 == active_in(slot)
    assert find_drift() == []


def test_parallel_cancel_and_book_on_a_full_window_never_oversell(online):
    """Cancellations and new bookings racing on a full window: the ledger stays exact."""
    places_per_window(online, DAY, 5)
    holders = make_accounts(5, prefix="holder")
    held = [book(a, online, serial=i + 1) for i, a in enumerate(holders)]
    newcomers = make_accounts(12, prefix="new")
    cancels = [
        lambda a=a, b=b: cancel_booking(account=a, code=b.code)
        for a, b in zip(holders, held, strict=True)
    ]
    books = [lambda a=a, i=i: book(a, online, serial=100 + i) for i, a in enumerate(newcomers)]

    results = run_in_threads(cancels + books)

    cancelled, booked = outcomes(results[:5]), outcomes(results[5:])
    assert cancelled == {"ok": 5}
    assert set(booked) <= {"ok", "quota_exhausted"}, booked
    slot = slot_at(online, DAY, NINE)
    assert slot.used == booked["ok"] == active_in(slot) <= 5
    assert_ledger_matches_bookings()


def test_crossing_reschedules_do_not_deadlock(online):
    """Five moving 09:00 -> 10:00 while five move 10:00 -> 09:00: all succeed, no deadlock."""
    places_per_window(online, DAY, 10)
    accounts = make_accounts(10)
    at_nine = [book(a, online, serial=i + 1, window=NINE) for i, a in enumerate(accounts[:5])]
    at_ten = [book(a, online, serial=i + 6, window=TEN) for i, a in enumerate(accounts[5:])]

    def move(account, booking, window):
        return lambda: reschedule_booking(
            account=account, code=booking.code, day=DAY, window_start=window
        )

    tasks = [move(a, b, TEN) for a, b in zip(accounts[:5], at_nine, strict=True)]
    tasks += [move(a, b, NINE) for a, b in zip(accounts[5:], at_ten, strict=True)]
    results = run_in_threads(tasks)

    assert outcomes(results) == {"ok": 10}
    assert slot_at(online, DAY, NINE).used == 5
    assert slot_at(online, DAY, TEN).used == 5
    assert Booking.objects.filter(window_start=TEN, reschedule_count=1).count() == 5
    assert_ledger_matches_bookings()


def test_many_reschedules_into_a_small_window_take_only_its_places(online):
    """Eight bookings moving at once into a window with 2 places: 2 move, 6 keep their place."""
    places_per_window(online, DAY, 10)
    places_per_window(online, NEXT_DAY, 2)
    accounts = make_accounts(8)
    bookings = [book(a, online, serial=i + 1) for i, a in enumerate(accounts)]
    results = run_in_threads(
        [
            lambda a=a, b=b: reschedule_booking(
                account=a, code=b.code, day=NEXT_DAY, window_start=NINE
            )
            for a, b in zip(accounts, bookings, strict=True)
        ]
    )
    assert outcomes(results) == {"ok": 2, "quota_exhausted": 6}
    assert slot_at(online, NEXT_DAY, NINE).used == 2
    assert slot_at(online, DAY, NINE).used == 6
    assert Booking.objects.filter(date=DAY, reschedule_count=0).count() == 6
    assert_ledger_matches_bookings()


def test_the_same_nik_from_several_accounts_at_once_books_once(online):
    """One person booked from six accounts at the same moment: one booking, five refusals."""
    places_per_window(online, DAY, 10)
    accounts = make_accounts(6)
    results = run_in_threads([lambda a=a: book(a, online, serial=7) for a in accounts])
    # The others are not told the NIK has a live booking (see tests/identity/test_registry.py).
    assert outcomes(results) == {"ok": 1, "identity_not_confirmed": 5}
    assert Booking.objects.filter(nik=make_nik(dt.date(1990, 1, 1), serial=7)).count() == 1
    assert slot_at(online, DAY, NINE).used == 1
    assert_ledger_matches_bookings()


def test_the_same_idempotency_key_sent_in_parallel_books_once(online, account, token):
    """Six retries of one request with one Idempotency-Key: one booking, six identical answers."""
    places_per_window(online, DAY, 10)
    birth = dt.date(1990, 1, 1)
    body = {
        "office": "KRW",
        "channel": "online",
        "date": DAY.isoformat(),
        "window": "09:00",
        "application_type": "new",
        "purpose": "tourism",
        "passport_type": "ordinary",
        "applicant": {
            "nik": make_nik(birth, serial=1),
            "name": "Budi Santoso",
            "birth_date": birth.isoformat(),
            "sex": "M",
            "phone": "081234567890",
            "domicile_regency": "32.15",
        },
    }

    def post():
        response = Client().post(
            "/api/v1/bookings",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="retry-1",
        )
        return response.status_code, response.json()

    results = run_in_threads([post for _ in range(6)])
    assert {status for status, _ in results} == {201}, results
    assert len({answer["code"] for _, answer in results}) == 1
    assert Booking.objects.count() == 1
    assert slot_at(online, DAY, NINE).used == 1


def test_expiry_racing_payment_lets_exactly_one_win(online, now):
    """Late payment notices and two expiry runs at once: each hold is paid, or expired and
    then confirmed by its late payment; its place is given back and taken again at most once."""
    places_per_window(online, DAY, 10)
    accounts = make_accounts(6)
    bookings = [book(a, online, serial=i + 1) for i, a in enumerate(accounts)]
    notices = []
    for b in bookings:
        paid_at = b.pay_before - dt.timedelta(minutes=1)  # paid in time, notified late
        notices.append(
            json.dumps(
                {"billing_code": b.billing_code, "amount": b.amount, "paid_at": paid_at.isoformat()}
            ).encode()
        )

    def pay(notice):
        return lambda: record_payment(body=notice, signature=sign_payment_notice(notice))

    with clock.frozen_at(bookings[0].pay_before + dt.timedelta(minutes=5)):
        results = run_in_threads([pay(n) for n in notices] + [expire_overdue_holds] * 2)

    # A hold expired first is confirmed again by its late payment (its place is still free):
    # every booking ends confirmed, each place taken once, each expiry undone once.
    assert all(isinstance(r, Booking) for r in results[:6]), results
    late = sum(r.last_payment.outcome == "late_confirmed" for r in results[:6])
    assert {r.last_payment.outcome for r in results[:6]} <= {"applied", "late_confirmed"}
    assert sum(results[6:]) == late
    assert {b.status for b in Booking.objects.all()} == {BookingStatus.CONFIRMED}
    slot = slot_at(online, DAY, NINE)
    assert slot.used == 6 == active_in(slot)
    assert_ledger_matches_bookings()


@pytest.mark.postgres
def test_control_naive_read_modify_write_loses_updates(online):
    """Control: taking a place by read, compare in Python, write back, oversells under load.

    This is what the conditional UPDATE in `try_take_place` prevents (next test). PostgreSQL
    only: SQLite's IMMEDIATE transactions serialise even this naive code.
    """
    places_per_window(online, DAY, 5)
    ledger.ensure_day_slots(channel=online, day=DAY)
    slot_id = slot_at(online, DAY, NINE).pk
    clients = 12
    all_read = threading.Barrier(clients)

    def naive_take() -> bool:
        with transaction.atomic():
            used, capacity = (
                CapacitySlot.objects.filter(pk=slot_id).values_list("used", "capacity").get()
            )
            all_read.wait(timeout=30)  # everyone has read before anyone writes
            if used >= capacity:
                return False
            time.sleep(0.01)
            CapacitySlot.objects.filter(pk=slot_id).update(used=used + 1)
            return True

    results = run_in_threads([naive_take] * clients)

    taken = sum(1 for r in results if r is True)
    refused_by_database = sum(1 for r in results if isinstance(r, IntegrityError))
    used = CapacitySlot.objects.get(pk=slot_id).used
    assert all(r is True or r is False or isinstance(r, IntegrityError) for r in results), results
    # The race is observed: more places handed out than the ledger counts.
    assert taken > used or refused_by_database > 0, (taken, used)


def test_the_conditional_update_takes_exactly_the_free_places(online):
    """The same load through `try_take_place`: exactly the capacity, and the ledger agrees."""
    places_per_window(online, DAY, 5)
    ledger.ensure_day_slots(channel=online, day=DAY)
    slot_id = slot_at(online, DAY, NINE).pk
    clients = 12

    def guarded_take() -> bool:
        with transaction.atomic():
            took = ledger.try_take_place(slot_id=slot_id)
            time.sleep(0.01)
            return took

    results = run_in_threads([guarded_take] * clients)
    assert results.count(True) == 5
    assert results.count(False) == clients - 5
    assert CapacitySlot.objects.get(pk=slot_id).used == 5


def test_the_database_refuses_more_used_than_capacity(online):
    """The check constraint is the last line: a ledger row cannot hold used > capacity."""
    places_per_window(online, DAY, 5)
    ledger.ensure_day_slots(channel=online, day=DAY)
    slot = slot_at(online, DAY, NINE)
    with pytest.raises(IntegrityError, match="slot_used_within_capacity|CHECK"):
        with transaction.atomic():
            CapacitySlot.objects.filter(pk=slot.pk).update(used=F("capacity") + 1)
    slot.refresh_from_db()
    assert slot.used == 0
