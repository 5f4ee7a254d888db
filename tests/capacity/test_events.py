"""The ledger's events: every freed or added place voids the full flag and reaches the
waiting list through listeners registered in AppConfig.ready()."""

import datetime as dt

import pytest

from loket.capacity import services as ledger
from loket.capacity.events import PlacesAdded, PlacesFreed
from loket.capacity.models import CapacitySlot
from loket.core import events
from loket.offices.models import CapacityOverride, Channel
from loket.queue import office_setup, walk_ins
from loket.queue.models import QueueSettings
from loket.waitlist import services as waitlist_services
from tests.helpers import THURSDAY, book, slot_of


@pytest.fixture(autouse=True)
def _shared_cache_flag(settings):
    settings.LOKET_FULL_FLAG = True


@pytest.fixture
def seen():
    got = []
    events.listen(PlacesFreed, got.append)
    events.listen(PlacesAdded, got.append)
    yield got
    for kind in (PlacesFreed, PlacesAdded):
        events._listeners[kind].remove(got.append)


def test_listeners_are_registered_when_the_apps_are_ready():
    """The full flag (capacity) and the waiting list (waitlist) listen to freed places."""
    assert ledger.clear_full_on_free in events.listeners(PlacesFreed)
    assert waitlist_services.offer_on_places_freed in events.listeners(PlacesFreed)
    assert waitlist_services.offer_on_places_added in events.listeners(PlacesAdded)


def test_a_cancelled_booking_frees_its_place_with_an_event(online, account, seen):
    """Cancelling gives the place back once, and says so with PlacesFreed."""
    from loket.booking import services

    booking = book(account, online, day=THURSDAY, window=dt.time(8, 0))
    services.cancel_booking(account=account, code=booking.code)
    assert seen == [PlacesFreed(slot_id=booking.slot_id, reoffer=True)]
    assert slot_of(online, THURSDAY, dt.time(8, 0)).used == 0


def test_moving_a_place_into_a_full_slot_changes_nothing(online, account, other_account):
    """move_place refuses when the target is full and leaves both slots as they were."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    first = book(account, online, day=THURSDAY, window=dt.time(8, 0))
    ledger.ensure_day_slots(channel=online, day=THURSDAY)
    full = slot_of(online, THURSDAY, dt.time(8, 0))
    other = CapacitySlot.objects.filter(channel=online, date=THURSDAY).exclude(pk=full.pk).first()
    if other is None:
        pytest.skip("one window only")
    assert not ledger.move_place(from_slot_id=other.pk, to_slot_id=full.pk)
    assert slot_of(online, THURSDAY, dt.time(8, 0)).used == 1
    assert first.slot_id == full.pk


def test_releasing_unclaimed_priority_places_voids_the_receiving_full_flag(
    office, now, django_capture_on_commit_callbacks
):
    """Priority places moved to the lost/damaged channel go through the ledger: the receiving
    window's full flag is voided (before, a raw UPDATE left it set and the new places unused)."""
    office_setup.ensure_office_queue(office=office)
    from tests.queue.conftest import make_staff

    desk = make_staff(office, "meja@contoh.id", "desk")
    lost = Channel.objects.get(office=office, code="lost-damaged")
    QueueSettings.objects.filter(office=office).update(
        priority_release_at=dt.time(12, 0), priority_release_to=lost
    )
    day = now.date()
    ledger.ensure_day_slots(channel=lost, day=day)
    receiving = CapacitySlot.objects.filter(channel=lost, date=day).order_by("window_start")[0]
    ledger.mark_full(receiving.pk, ledger.full_state(receiving.pk)[1] or 0)
    assert ledger.is_marked_full(receiving.pk)
    from loket.core import clock

    with (
        clock.frozen_at(now.replace(hour=12)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert walk_ins.release_unclaimed_priority(office=office, officer=desk) > 0
    assert not ledger.is_marked_full(receiving.pk)


def test_a_capacity_change_of_the_offices_resizes_the_ledger_in_its_transaction(
    online, account, monkeypatch
):
    """The offices announce a changed capacity (CapacityConfigured); the ledger resizes its
    days in use in the same transaction: when the change fails, the ledger is as it was."""
    from loket.core import audit
    from loket.offices.events import CapacityConfigured
    from loket.offices.services import apply_capacity_configuration

    assert ledger.resize_on_configured in events.listeners(CapacityConfigured)
    book(account, online, day=THURSDAY, window=dt.time(8, 0))
    before = sum(CapacitySlot.objects.filter(channel=online).values_list("capacity", flat=True))
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=0)

    def refuse(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(RuntimeError):
        apply_capacity_configuration(channel=online)
    after = sum(CapacitySlot.objects.filter(channel=online).values_list("capacity", flat=True))
    assert after == before
    monkeypatch.undo()

    kept = apply_capacity_configuration(channel=online)
    # Closed that day, but the booked place stays, and the offices are told so.
    assert sum(s.capacity for s in online.slots.filter(date=THURSDAY)) == 1
    assert [(s.date, s.window_start, s.used) for s in kept] == [(THURSDAY, dt.time(8, 0), 1)]
