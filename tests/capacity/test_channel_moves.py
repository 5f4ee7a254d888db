"""The ledger's typed fact of places moved between channels (ChannelMove): written by
move_unclaimed_places in the move's transaction; the reports count it."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from loket.accounts.models import User
from loket.capacity import services as ledger
from loket.capacity.events import PlacesAdded
from loket.capacity.models import CapacitySlot, ChannelMove
from loket.core import audit, clock, events
from loket.offices.models import Channel, Office
from loket.queue import office_setup, walk_ins
from loket.queue.models import QueueSettings

FACT = ("office", "date", "from_channel", "to_channel", "count", "at", "officer")


@pytest.fixture
def priority(office):
    return Channel.objects.get(office=office, code="priority")


@pytest.fixture
def lost(office):
    return Channel.objects.get(office=office, code="lost-damaged")


@pytest.fixture
def supervisor(db):
    return User.objects.create_user("spv@contoh.id", "rahasia-spv-2026", is_staff=True)


def _ledger(office, day):
    return sorted(
        CapacitySlot.objects.filter(channel__office=office, date=day).values_list(
            "channel__code", "window_start", "capacity", "used"
        )
    )


def test_a_move_writes_its_fact(office, priority, lost, supervisor, now):
    """The moved places are one fact: the office, the day, both channels, how many, when and
    who asked. A second move finds nothing free and writes nothing."""
    day = now.date()
    moved = ledger.move_unclaimed_places(
        from_channel=priority, to_channel=lost, day=day, officer=supervisor
    )
    assert moved == 20
    assert list(ChannelMove.objects.values_list(*FACT)) == [
        (office.pk, day, priority.pk, lost.pk, 20, now, supervisor.pk)
    ]
    assert ledger.move_unclaimed_places(from_channel=priority, to_channel=lost, day=day) == 0
    assert ChannelMove.objects.count() == 1


def test_the_fact_is_rolled_back_with_the_move(office, priority, lost, now):
    """When the move's transaction fails after the fact is written (a listener of the added
    places fails), neither the places nor the fact move."""
    day = now.date()
    for channel in (priority, lost):
        ledger.ensure_day_slots(channel=channel, day=day)
    before = _ledger(office, day)

    def refuse(event):
        raise RuntimeError("waiting list unavailable")

    events.listen(PlacesAdded, refuse)
    try:
        with pytest.raises(RuntimeError):
            ledger.move_unclaimed_places(from_channel=priority, to_channel=lost, day=day)
    finally:
        events._listeners[PlacesAdded].remove(refuse)
    assert _ledger(office, day) == before
    assert not ChannelMove.objects.exists()


def test_a_release_whose_audit_row_fails_leaves_no_fact(
    office, priority, lost, supervisor, monkeypatch, now
):
    """The release at the desk: the fact and the audit row commit together or not at all."""
    office_setup.ensure_office_queue(office=office)
    QueueSettings.objects.filter(office=office).update(
        priority_release_at=dt.time(12, 0), priority_release_to=lost
    )
    for channel in (priority, lost):
        ledger.ensure_day_slots(channel=channel, day=now.date())
    before = _ledger(office, now.date())

    def refuse(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(audit, "record", refuse)
    with clock.frozen_at(now.replace(hour=12)), pytest.raises(RuntimeError):
        walk_ins.release_unclaimed_priority(office=office, officer=supervisor)
    assert not ChannelMove.objects.exists()
    assert _ledger(office, now.date()) == before


def test_places_move_only_to_another_channel_of_the_office(office, priority, now):
    """A channel to itself, or to another office's channel: refused with a clear error, and
    the ledger is as it was."""
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    elsewhere = Channel.objects.create(office=other, code="lost-damaged", kind="lost_damaged")
    day = now.date()
    ledger.ensure_day_slots(channel=priority, day=day)
    before = _ledger(office, day)
    for target in (priority, elsewhere):
        with pytest.raises(ledger.ChannelMoveInvalid):
            ledger.move_unclaimed_places(from_channel=priority, to_channel=target, day=day)
    assert _ledger(office, day) == before
    assert not ChannelMove.objects.exists()


def test_the_migration_writes_the_facts_of_earlier_releases(office, lost, supervisor, now):
    """Releases made before the table: the backfill rebuilds their facts from the audit rows,
    the same facts the ledger writes; a second run adds nothing."""
    backfill = importlib.import_module(
        "loket.capacity.migrations.0005_backfill_channel_moves"
    ).backfill
    office_setup.ensure_office_queue(office=office)
    QueueSettings.objects.filter(office=office).update(
        priority_release_at=dt.time(12, 0), priority_release_to=lost
    )
    with clock.frozen_at(now.replace(hour=12)):
        assert walk_ins.release_unclaimed_priority(office=office, officer=supervisor) == 20
    with clock.frozen_at(now + dt.timedelta(days=1, hours=4)):
        walk_ins.issue_walk_in_ticket(
            office=office,
            lane_kind="priority",
            name="Mbah Sastro",
            nik="3215010101450001",
            birth_date=dt.date(1945, 1, 1),
            officer=supervisor,
        )
        assert walk_ins.release_unclaimed_priority(office=office, officer=supervisor) == 19
    written = list(ChannelMove.objects.values_list(*FACT))
    assert [row[4] for row in written] == [20, 19]
    ChannelMove.objects.all().delete()
    backfill(apps, None)
    assert list(ChannelMove.objects.values_list(*FACT)) == written
    backfill(apps, None)
    assert list(ChannelMove.objects.values_list(*FACT)) == written
