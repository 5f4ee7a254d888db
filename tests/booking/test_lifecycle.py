"""The booking lifecycle: one transition table, and a typed fact for every change."""

import datetime as dt

import pytest

from loket.booking import lifecycle, services
from loket.booking.models import BookingEvent, BookingStatus
from loket.core import clock
from tests.helpers import FRIDAY, THURSDAY, book, pay


def kinds(booking) -> list[tuple[str, str]]:
    return list(BookingEvent.objects.filter(booking=booking).values_list("from_status", "kind"))


def test_every_status_is_in_the_table_and_ended_ones_lead_nowhere():
    assert set(lifecycle.TRANSITIONS) == set(BookingStatus.values)
    for ended in ("completed", "cancelled", "no_show"):
        assert lifecycle.TRANSITIONS[ended] == frozenset()
    assert lifecycle.TRANSITIONS["expired"] == {"confirmed"}  # paid late, place still free
    assert sorted(lifecycle.sources("cancelled")) == ["awaiting_payment", "confirmed"]


def test_paid_then_cancelled_is_two_typed_facts(online, account):
    """Each change writes one BookingEvent: what the reports count."""
    booking = pay(book(account, online, day=THURSDAY))
    services.cancel_booking(account=account, code=booking.code)
    assert kinds(booking) == [("awaiting_payment", "confirmed"), ("confirmed", "cancelled")]
    event = BookingEvent.objects.filter(booking=booking).last()
    assert (event.office_id, event.channel_id, event.date) == (
        booking.office_id,
        booking.channel_id,
        THURSDAY,
    )


def test_an_unpaid_hold_past_its_deadline_expires_once(online, account):
    booking = book(account, online, day=THURSDAY)
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=1)):
        assert services.expire_overdue_holds() == 1
        assert services.expire_overdue_holds() == 0
    assert kinds(booking) == [("awaiting_payment", "expired")]


def test_a_reschedule_is_its_own_fact_with_both_days(online, account):
    booking = book(account, online, day=THURSDAY)
    services.reschedule_booking(
        account=account, code=booking.code, day=FRIDAY, window_start=dt.time(10, 0)
    )
    event = BookingEvent.objects.get(booking=booking)
    assert (event.kind, event.from_date, event.date) == ("rescheduled", THURSDAY, FRIDAY)


def test_a_transition_outside_the_table_changes_nothing(online, account):
    """A cancelled booking cannot be checked in or confirmed; no fact is written."""
    booking = book(account, online, day=THURSDAY)
    services.cancel_booking(account=account, code=booking.code)
    for to in ("checked_in", "confirmed", "completed", "cancelled"):
        assert not lifecycle.change_status(booking, to=to)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert kinds(booking) == [("awaiting_payment", "cancelled")]


@pytest.mark.parametrize("status", ["awaiting_payment", "confirmed"])
def test_cancelling_frees_the_place_and_the_person(online, account, status):
    from loket.capacity.models import LivePlace

    booking = book(account, online, day=THURSDAY)
    if status == "confirmed":
        pay(booking)
    services.cancel_booking(account=account, code=booking.code)
    booking.slot.refresh_from_db()
    assert booking.slot.used == 0
    assert not LivePlace.objects.filter(nik=booking.nik).exists()


def test_the_migration_rebuilds_the_facts_of_older_bookings(online, account, other_account):
    """Bookings made before the table: the backfill writes the facts the lifecycle writes."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "loket.booking.migrations.0004_backfill_booking_events"
    ).backfill
    relabel = importlib.import_module("loket.booking.migrations.0007_relabel_reschedules").relabel
    paid_then_cancelled = pay(book(account, online, day=THURSDAY, serial=1))
    services.cancel_booking(account=account, code=paid_then_cancelled.code)
    moved = book(account, online, day=THURSDAY, serial=2)
    services.reschedule_booking(
        account=account, code=moved.code, day=FRIDAY, window_start=dt.time(10, 0)
    )
    expired = book(other_account, online, day=THURSDAY, serial=3)
    with clock.frozen_at(expired.pay_before + dt.timedelta(minutes=1)):
        services.expire_overdue_holds()

    def facts():
        return sorted(
            BookingEvent.objects.values_list(
                "booking_id", "kind", "from_status", "date", "from_date"
            )
        )

    written = facts()
    BookingEvent.objects.all().delete()
    backfill(apps, None)
    relabel(apps, None)  # the applicant's move: a reschedule
    assert facts() == written
    backfill(apps, None)  # a second run adds nothing
    relabel(apps, None)
    assert facts() == written


def test_a_reschedule_known_only_to_the_audit_trail_gets_its_fact(online, account):
    """The demo generator's old audit rows held no dates: the migration still writes the
    reschedule, at the audit's moment, so the reports keep counting it."""
    import importlib

    from django.apps import apps

    from loket.core.models import AuditEvent

    relabel = importlib.import_module("loket.booking.migrations.0007_relabel_reschedules").relabel
    booking = book(account, online, day=THURSDAY)
    at = clock.now() + dt.timedelta(hours=2)
    AuditEvent.objects.create(
        at=at,
        actor_label="generator",
        office=booking.office,
        action="booking.rescheduled",
        object_type="Booking",
        object_id=booking.code,
    )
    relabel(apps, None)
    event = BookingEvent.objects.get(booking=booking, kind="rescheduled")
    assert (event.at, event.from_status, event.date, event.from_date) == (
        at,
        "awaiting_payment",
        THURSDAY,
        THURSDAY,
    )
    relabel(apps, None)  # a second run adds nothing
    assert BookingEvent.objects.filter(kind="rescheduled").count() == 1
