"""The waiting list under real parallel load, one database connection per thread.

Cancellations, accepts, joins, declines and the expiry worker racing each other: every place is
held by exactly one booking or open offer (the ledger check stays clean), offers go out in join
order, and no place stays free while someone is waiting. On PostgreSQL the writers really run
in parallel; on SQLite, IMMEDIATE transactions make them queue, which must be correct too.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.db.models.query import QuerySet

from loket.booking.services import cancel_booking
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.waitlist import services
from loket.waitlist.models import EntryStatus, WaitlistEntry
from loket.waitlist.services import (
    accept_offer,
    decline_offer,
    expire_lapsed_offers,
    join_waitlist,
)
from tests.concurrency.conftest import (
    DAY,
    make_accounts,
    outcomes,
    places_per_window,
    run_in_threads,
)
from tests.concurrency.conftest import book as book_at
from tests.waitlist.conftest import add_person

pytestmark = pytest.mark.django_db(transaction=True)

WINDOWS = [dt.time(h) for h in range(8, 15)]


def fill_day(online):
    """One place per window, all seven booked by seven holders."""
    places_per_window(online, DAY, 1)
    holders = make_accounts(7, prefix="holder")
    bookings = [
        book_at(a, online, serial=100 + i, window=WINDOWS[i]) for i, a in enumerate(holders)
    ]
    return holders, bookings


def waiters(online, n: int, *, prefix: str = "w", first_serial: int = 200):
    made = []
    for i, acc in enumerate(make_accounts(n, prefix=prefix)):
        person = add_person(acc, first_serial + i)
        made.append((acc, person))
    return made


def join(acc, online, person):
    return join_waitlist(
        account=acc,
        channel=online,
        day=DAY,
        applicant_id=person.pk,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
    )


def status_of(entry) -> str:
    return WaitlistEntry.objects.get(pk=entry.pk).status


def free_places() -> int:
    return (
        CapacitySlot.objects.filter(date=DAY).aggregate(free=Sum(F("capacity") - F("used")))["free"]
        or 0
    )


def test_two_cancellations_and_an_accept_at_once(online):
    """The accept books its held place while both freed places go to the next two in line."""
    holders, bookings = fill_day(online)
    people = waiters(online, 4)
    entries = [join(acc, online, p) for acc, p in people]
    cancel_booking(account=holders[0], code=bookings[0].code)
    assert status_of(entries[0]) == EntryStatus.OFFERED

    results = run_in_threads(
        [
            lambda: cancel_booking(account=holders[1], code=bookings[1].code),
            lambda: cancel_booking(account=holders[2], code=bookings[2].code),
            lambda: accept_offer(account=people[0][0], entry_id=entries[0].pk),
        ]
    )
    assert outcomes(results) == {"ok": 3}
    assert [status_of(e) for e in entries] == [
        EntryStatus.ACCEPTED,
        EntryStatus.OFFERED,
        EntryStatus.OFFERED,
        EntryStatus.WAITING,
    ]
    assert free_places() == 0
    assert find_drift() == []


def test_joins_racing_cancellations_never_leave_a_place_free_while_someone_waits(online):
    """People joining while others cancel: each joiner is either in line or told to book, and
    at the end no place is free while anyone is still waiting."""
    holders, bookings = fill_day(online)
    early = waiters(online, 1, prefix="early", first_serial=300)
    join(early[0][0], online, early[0][1])
    late = waiters(online, 5, prefix="late", first_serial=400)
    tasks = [
        (lambda h=h, b=b: cancel_booking(account=h, code=b.code))
        for h, b in zip(holders[:3], bookings[:3], strict=True)
    ] + [(lambda a=a, p=p: join(a, online, p)) for a, p in late]
    result = outcomes(run_in_threads(tasks))
    assert set(result) <= {"ok", "day_not_full"}, result
    waiting = WaitlistEntry.objects.filter(status=EntryStatus.WAITING).count()
    assert free_places() == 0 or waiting == 0
    offered = WaitlistEntry.objects.filter(status=EntryStatus.OFFERED)
    assert offered.count() + free_places() == 3
    assert find_drift() == []


def test_a_late_decline_racing_the_expiry_worker_passes_the_place_once(online):
    """A person declining just as the worker expires their offer: one of them ends it, and the
    next in line gets the place exactly once."""
    holders, bookings = fill_day(online)
    people = waiters(online, 3)
    entries = [join(acc, online, p) for acc, p in people]
    cancel_booking(account=holders[0], code=bookings[0].code)
    offer = WaitlistEntry.objects.get(pk=entries[0].pk)
    with clock.frozen_at(offer.offer_expires_at + dt.timedelta(seconds=1)):
        results = run_in_threads(
            [
                lambda: decline_offer(account=people[0][0], entry_id=entries[0].pk),
                expire_lapsed_offers,
                expire_lapsed_offers,
            ]
        )
    declined = results[0] if not isinstance(results[0], Exception) else None
    expired = sum(r for r in results[1:] if isinstance(r, int))
    assert (declined is not None) + expired == 1, results
    assert status_of(entries[1]) == EntryStatus.OFFERED
    assert status_of(entries[2]) == EntryStatus.WAITING
    assert free_places() == 0
    assert find_drift() == []


@pytest.mark.postgres
def test_many_cancellations_at_once_offer_in_join_order(online):
    """Seven places freed at the same moment go to the first seven in line, none twice."""
    holders, bookings = fill_day(online)
    people = waiters(online, 10)
    entries = [join(acc, online, p) for acc, p in people]
    results = run_in_threads(
        [
            (lambda h=h, b=b: cancel_booking(account=h, code=b.code))
            for h, b in zip(holders, bookings, strict=True)
        ]
    )
    assert outcomes(results) == {"ok": 7}
    assert [status_of(e) for e in entries] == [EntryStatus.OFFERED] * 7 + [EntryStatus.WAITING] * 3
    assert free_places() == 0
    assert find_drift() == []


class _PausingClock:
    """The waiting-list services' clock, pausing the joining thread between its fullness check
    and its insert (where `joined_at` is read) until the cancellation is done, or 1 s."""

    def __init__(self, real, joiner: str, cancelled):
        self.real, self.joiner, self.cancelled = real, joiner, cancelled

    def __getattr__(self, name):
        return getattr(self.real, name)

    def now(self):
        if threading.current_thread().name == self.joiner:
            self.cancelled.wait(timeout=1.0)
        return self.real.now()


def _join_while_a_place_frees(online, monkeypatch, *, lock_slots: bool):
    holders, bookings = fill_day(online)
    ((acc, person),) = waiters(online, 1)
    cancelled = threading.Event()
    monkeypatch.setattr(services, "clock", _PausingClock(clock, "joiner", cancelled))
    if not lock_slots:
        real = QuerySet.select_for_update

        def no_lock_for_joiner(self, *args, **kwargs):
            if threading.current_thread().name == "joiner":
                return self
            return real(self, *args, **kwargs)

        monkeypatch.setattr(QuerySet, "select_for_update", no_lock_for_joiner)
    errors = []

    def run(name, task):
        def target():
            try:
                task()
            except BaseException as exc:  # noqa: B036 - reported below
                errors.append(exc)
            finally:
                if name == "canceller":
                    cancelled.set()
                connection.close()

        return threading.Thread(target=target, name=name, daemon=True)

    joiner = run("joiner", lambda: join(acc, online, person))
    canceller = run("canceller", lambda: cancel_booking(account=holders[0], code=bookings[0].code))
    joiner.start()
    time.sleep(0.3)  # the joiner has checked the day and is paused before its insert
    canceller.start()
    joiner.join(30)
    canceller.join(30)
    assert not errors, errors
    return WaitlistEntry.objects.get(account=acc)


@pytest.mark.postgres
def test_control_joining_without_the_slot_lock_strands_a_free_place(online, monkeypatch):
    """Control: without locking the day's slots, a place freed between the joiner's check and
    its insert is missed: the person waits while a place stays free."""
    entry = _join_while_a_place_frees(online, monkeypatch, lock_slots=False)
    assert entry.status == EntryStatus.WAITING
    assert free_places() == 1


@pytest.mark.postgres
def test_joining_locks_the_day_so_a_place_freed_meanwhile_is_offered(online, monkeypatch):
    """With the slot lock the cancellation waits for the join, then offers it the place."""
    entry = _join_while_a_place_frees(online, monkeypatch, lock_slots=True)
    assert entry.status == EntryStatus.OFFERED
    assert free_places() == 0
    assert find_drift() == []
