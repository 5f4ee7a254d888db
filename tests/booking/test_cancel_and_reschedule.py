"""Cancelling frees the place at once; rescheduling moves it, once, no later than H-1."""

import datetime as dt

import pytest

from loket.booking import services
from loket.booking.domain import may_reschedule
from loket.booking.models import BookingStatus
from loket.capacity.services import QuotaExhausted, WindowNotFound
from loket.core import clock
from loket.core.models import AuditEvent
from loket.offices.models import CapacityOverride
from tests.helpers import (
    CHRISTMAS,
    FRIDAY,
    MONDAY,
    NOT_RELEASED_DAY,
    THURSDAY,
    WEDNESDAY,
    assert_ledger_matches_bookings,
    at,
    book,
    pay,
    slot_of,
)


def test_cancelling_frees_the_place_at_once(online, account, other_account):
    """A cancelled booking's place can be booked straight away by someone else."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    booking = book(account, online, day=THURSDAY, window=dt.time(8))
    cancelled = services.cancel_booking(account=account, code=booking.code)
    assert cancelled.status == BookingStatus.CANCELLED
    assert slot_of(online, THURSDAY, dt.time(8)).used == 0
    book(other_account, online, day=THURSDAY, window=dt.time(8), serial=2)
    assert_ledger_matches_bookings()


def test_a_confirmed_booking_can_be_cancelled(online, account):
    """A paid booking can be cancelled too (the fee is not refunded by Loket)."""
    booking = pay(book(account, online))
    services.cancel_booking(account=account, code=booking.code)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert_ledger_matches_bookings()


def test_cancelling_is_recorded_with_who_from_and_to(online, account):
    """The audit trail says who cancelled and from which state."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code.lower())
    event = AuditEvent.objects.get(action="booking.cancelled", object_id=booking.code)
    assert event.actor == account
    assert event.before["status"] == "awaiting_payment"
    assert event.after["status"] == "cancelled"


def test_cancelling_twice_is_refused(online, account):
    """A cancelled booking cannot be cancelled again, and the place is freed only once."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code)
    with pytest.raises(services.BookingNotActive) as exc:
        services.cancel_booking(account=account, code=booking.code)
    assert (exc.value.code, exc.value.status) == ("booking_not_active", 409)
    assert slot_of(online, WEDNESDAY).used == 0
    assert_ledger_matches_bookings()


def test_an_expired_booking_cannot_be_cancelled(online, account):
    """A hold that expired unpaid is no longer active."""
    booking = book(account, online)
    with clock.frozen_at(booking.pay_before):
        services.expire_overdue_holds()
    with pytest.raises(services.BookingNotActive):
        services.cancel_booking(account=account, code=booking.code)
    assert_ledger_matches_bookings()


def test_a_past_booking_cannot_be_cancelled(online, account):
    """After its day, a booking cannot be cancelled (it is a no-show or was used)."""
    booking = pay(book(account, online))
    with clock.frozen_at(at(THURSDAY)), pytest.raises(services.BookingNotActive):
        services.cancel_booking(account=account, code=booking.code)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_another_accounts_booking_is_not_found(online, account, other_account):
    """An account cannot see or cancel another account's booking: it does not exist for it."""
    booking = book(account, online)
    with pytest.raises(services.BookingNotFound) as exc:
        services.cancel_booking(account=other_account, code=booking.code)
    assert exc.value.status == 404
    with pytest.raises(services.BookingNotFound):
        services.reschedule_booking(
            account=other_account, code=booking.code, day=THURSDAY, window_start=dt.time(9)
        )
    with pytest.raises(services.BookingNotFound):
        services.get_account_booking(account=other_account, code=booking.code)
    assert services.get_account_booking(account=account, code=booking.code) == booking


def test_rescheduling_moves_the_place(online, account):
    """The old place is freed and the new one taken, in one step."""
    booking = book(account, online, day=WEDNESDAY, window=dt.time(9))
    moved = services.reschedule_booking(
        account=account, code=booking.code, day=FRIDAY, window_start=dt.time(13)
    )
    assert (moved.date, moved.window_start, moved.window_end) == (
        FRIDAY,
        dt.time(13),
        dt.time(14),
    )
    assert moved.reschedule_count == 1
    assert moved.status == BookingStatus.AWAITING_PAYMENT
    assert slot_of(online, WEDNESDAY).used == 0
    assert slot_of(online, FRIDAY, dt.time(13)).used == 1
    event = AuditEvent.objects.get(action="booking.rescheduled", object_id=booking.code)
    assert event.actor == account
    assert event.before == {"status": "awaiting_payment", "date": "2026-12-02", "window": "09:00"}
    assert event.after == {"status": "awaiting_payment", "date": "2026-12-04", "window": "13:00"}
    assert_ledger_matches_bookings()


def test_rescheduling_within_the_same_day_moves_the_window(online, account):
    """Another window of the same day is a reschedule too."""
    booking = book(account, online, window=dt.time(9))
    services.reschedule_booking(
        account=account, code=booking.code, day=WEDNESDAY, window_start=dt.time(8)
    )
    assert slot_of(online, WEDNESDAY, dt.time(8)).used == 1
    assert slot_of(online, WEDNESDAY, dt.time(9)).used == 0
    assert_ledger_matches_bookings()


def test_a_confirmed_booking_keeps_its_payment_when_rescheduled(online, account):
    """A paid booking stays confirmed on its new date."""
    booking = pay(book(account, online))
    moved = services.reschedule_booking(
        account=account, code=booking.code, day=THURSDAY, window_start=dt.time(9)
    )
    assert moved.status == BookingStatus.CONFIRMED
    assert moved.application_number == booking.application_number


def test_a_booking_is_rescheduled_once_only(online, account):
    """The second reschedule is refused."""
    booking = book(account, online)
    services.reschedule_booking(
        account=account, code=booking.code, day=THURSDAY, window_start=dt.time(9)
    )
    with pytest.raises(services.RescheduleNotAllowed) as exc:
        services.reschedule_booking(
            account=account, code=booking.code, day=FRIDAY, window_start=dt.time(9)
        )
    assert (exc.value.code, exc.value.status) == ("reschedule_not_allowed", 409)
    assert slot_of(online, THURSDAY).used == 1
    assert_ledger_matches_bookings()


def test_rescheduling_on_the_day_before_is_allowed(online, account):
    """H-1: on the day before the appointment, the booking can still be moved."""
    booking = book(account, online, day=FRIDAY)
    with clock.frozen_at(at(THURSDAY, 20)):
        moved = services.reschedule_booking(
            account=account, code=booking.code, day=MONDAY, window_start=dt.time(9)
        )
    assert moved.date == MONDAY


def test_rescheduling_on_the_day_itself_is_refused(online, account):
    """On the appointment day it is too late to reschedule."""
    booking = book(account, online, day=THURSDAY)
    with clock.frozen_at(at(THURSDAY, 7)), pytest.raises(services.RescheduleNotAllowed):
        services.reschedule_booking(
            account=account, code=booking.code, day=MONDAY, window_start=dt.time(9)
        )
    assert slot_of(online, THURSDAY).used == 1
    assert_ledger_matches_bookings()


def test_the_reschedule_deadline_follows_the_channel_setting(online, account):
    """With 'no later than 2 days before', the day before is too late."""
    online.reschedule_min_days_before = 2
    online.save()
    booking = book(account, online, day=FRIDAY)
    with clock.frozen_at(at(THURSDAY)), pytest.raises(services.RescheduleNotAllowed):
        services.reschedule_booking(
            account=account, code=booking.code, day=MONDAY, window_start=dt.time(9)
        )
    with clock.frozen_at(at(WEDNESDAY)):
        services.reschedule_booking(
            account=account, code=booking.code, day=MONDAY, window_start=dt.time(9)
        )


def test_may_reschedule_up_to_and_including_h_minus_one():
    """The pure rule: allowed two days and one day before, not on the day or after."""
    appointment = dt.date(2026, 12, 10)
    allowed = [
        may_reschedule(
            appointment=appointment, today=appointment - dt.timedelta(days=d), min_days_before=1
        )
        for d in (2, 1, 0, -1)
    ]
    assert allowed == [True, True, False, False]


def test_rescheduling_into_a_full_window_keeps_the_old_place(online, account, other_account):
    """If the new window is full, nothing moves: the booking keeps its old place."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    booking = book(account, online, day=WEDNESDAY)
    book(other_account, online, day=THURSDAY, window=dt.time(8), serial=2)
    assert slot_of(online, THURSDAY, dt.time(8)).pk > booking.slot_id
    with pytest.raises(QuotaExhausted):
        services.reschedule_booking(
            account=account, code=booking.code, day=THURSDAY, window_start=dt.time(8)
        )
    booking.refresh_from_db()
    assert (booking.date, booking.reschedule_count) == (WEDNESDAY, 0)
    assert slot_of(online, WEDNESDAY).used == 1
    assert not AuditEvent.objects.filter(action="booking.rescheduled").exists()
    assert_ledger_matches_bookings()


def test_rescheduling_into_an_earlier_full_slot_keeps_the_old_place(online, account, other_account):
    """The same holds when the full window's ledger row was created first (lower id)."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    book(other_account, online, day=THURSDAY, window=dt.time(8), serial=2)
    booking = book(account, online, day=FRIDAY)
    assert slot_of(online, THURSDAY, dt.time(8)).pk < booking.slot_id
    with pytest.raises(QuotaExhausted):
        services.reschedule_booking(
            account=account, code=booking.code, day=THURSDAY, window_start=dt.time(8)
        )
    booking.refresh_from_db()
    assert booking.date == FRIDAY
    assert_ledger_matches_bookings()


def test_rescheduling_to_the_same_window_is_refused(online, account):
    """Moving to the date and window the booking already has is refused, not counted."""
    booking = book(account, online)
    with pytest.raises(services.SameSlot) as exc:
        services.reschedule_booking(
            account=account, code=booking.code, day=WEDNESDAY, window_start=dt.time(9)
        )
    assert exc.value.code == "same_slot"
    booking.refresh_from_db()
    assert booking.reschedule_count == 0


@pytest.mark.parametrize(
    ("day", "error"),
    [
        (dt.date(2026, 11, 30), services.DatePast),
        (dt.date(2026, 12, 1), services.DateTooSoon),
        (CHRISTMAS, services.OfficeClosed),
        (NOT_RELEASED_DAY, services.NotReleased),
        (dt.date(2027, 3, 1), services.BeyondHorizon),
    ],
)
def test_rescheduling_to_a_day_that_cannot_be_booked_is_refused(online, account, day, error):
    """The new day is checked like a new booking's day."""
    booking = book(account, online)
    with pytest.raises(error):
        services.reschedule_booking(
            account=account, code=booking.code, day=day, window_start=dt.time(9)
        )
    booking.refresh_from_db()
    assert booking.reschedule_count == 0
    assert_ledger_matches_bookings()


def test_rescheduling_to_a_window_that_does_not_exist_is_refused(online, account):
    """An unknown window start is not found; the booking stays."""
    booking = book(account, online)
    with pytest.raises(WindowNotFound):
        services.reschedule_booking(
            account=account, code=booking.code, day=THURSDAY, window_start=dt.time(7)
        )
    assert_ledger_matches_bookings()


def test_a_cancelled_booking_cannot_be_rescheduled(online, account):
    """Only an active booking can be moved."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code)
    with pytest.raises(services.BookingNotActive):
        services.reschedule_booking(
            account=account, code=booking.code, day=THURSDAY, window_start=dt.time(9)
        )
    assert_ledger_matches_bookings()


def test_rescheduling_reuses_the_place_of_an_overdue_hold(online, account, other_account):
    """Like a new booking, a reschedule into a window held only by an overdue hold gets it."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    hold = book(other_account, online, day=THURSDAY, window=dt.time(8), serial=2)
    mine = book(account, online, day=WEDNESDAY)
    with clock.frozen_at(hold.pay_before + dt.timedelta(minutes=1)):
        moved = services.reschedule_booking(
            account=account, code=mine.code, day=THURSDAY, window_start=dt.time(8)
        )
    assert moved.date == THURSDAY
    hold.refresh_from_db()
    assert hold.status == BookingStatus.EXPIRED
