"""One person, one live place, under parallel requests on PostgreSQL: the same NIK sent at
once to several channels gets one place. The control test shows the race is real: with the
claim switched off, the check before the transaction lets two walk-ins of one NIK through."""

import datetime as dt
import threading

import pytest

from loket.capacity import live
from loket.capacity.models import LivePlace
from loket.queue import office_setup, walk_ins
from loket.queue.models import Ticket
from tests.concurrency.conftest import (
    DAY,
    book,
    make_accounts,
    outcomes,
    places_per_window,
    run_in_threads,
)
from tests.conftest import make_nik
from tests.queue.conftest import make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BIRTH = dt.date(1990, 1, 1)
SERIAL = 5
NIK = make_nik(BIRTH, serial=SERIAL)


@pytest.fixture
def desk(office):
    office_setup.ensure_office_queue(office=office)
    return make_staff(office, "meja@contoh.id", "desk")


def walk_in(office, desk, kind):
    return lambda: walk_ins.issue_walk_in_ticket(
        office=office,
        lane_kind=kind,
        name="Pemohon",
        nik=NIK,
        officer=desk,
        attested=["disability"] if kind == "priority" else (),
    )


def test_one_nik_at_once_in_every_channel_gets_one_place(online, office, desk):
    """Two online bookings (two accounts), two priority and two lost/damaged walk-ins of one
    NIK at the same moment: exactly one wins; the others are refused with a clear code."""
    places_per_window(online, DAY, 10)
    accounts = make_accounts(2)
    tasks = [lambda a=a: book(a, online, serial=SERIAL) for a in accounts]
    tasks += [walk_in(office, desk, "priority") for _ in range(2)]
    tasks += [walk_in(office, desk, "lost_damaged") for _ in range(2)]
    results = run_in_threads(tasks)
    counts = outcomes(results)
    assert counts["ok"] == 1, counts
    # Another account's booking of the NIK answers identity_not_confirmed (loket.identity).
    allowed = {"ok", "live_place_exists", "active_booking_exists", "identity_not_confirmed"}
    assert set(counts) <= allowed, counts
    assert LivePlace.objects.filter(nik=NIK).count() == 1


def test_control_a_check_by_reading_lets_two_channels_through(office, desk, monkeypatch):
    """Control: with the claim replaced by a read ("has this NIK a ticket today?") in the same
    transaction, a priority and a lost/damaged desk serving the same NIK at once both succeed:
    neither sees the other's uncommitted ticket. The unique claim is what holds the rule."""

    both_read = threading.Barrier(2, timeout=20)

    def check_by_reading(*, nik, holder, day, **_):
        others = Ticket.objects.filter(applicant_nik=nik, date=day).exclude(
            pk=int(holder.split(":")[1])
        )
        if others.exists():
            raise live.LivePlaceExists(channel="?")
        both_read.wait()  # neither commits before the other desk has read

    monkeypatch.setattr(live, "claim", check_by_reading)
    results = run_in_threads(
        [walk_in(office, desk, "priority"), walk_in(office, desk, "lost_damaged")]
    )
    assert outcomes(results) == {"ok": 2}, results
    assert Ticket.objects.filter(applicant_nik=NIK).count() == 2
