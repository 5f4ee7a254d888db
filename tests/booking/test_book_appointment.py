"""Booking an appointment: the place is held for payment, or the request is refused."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from loket.accounts.models import Applicant
from loket.accounts.services import ApplicantLimitReached, RegencyInvalid
from loket.booking import services
from loket.booking.models import Booking, BookingStatus
from loket.capacity.models import CapacitySlot
from loket.capacity.services import QuotaExhausted, WindowNotFound
from loket.core import clock
from loket.core.errors import InvalidInput
from loket.core.models import AuditEvent
from loket.identity.nik import NikInvalid
from loket.notifications.models import OutboxMessage
from loket.offices.models import CapacityOverride, Channel, Tariff
from tests.conftest import DEFAULT_NOW, make_nik
from tests.helpers import (
    BEYOND_HORIZON_DAY,
    CHRISTMAS,
    CUTI_BERSAMA,
    NOT_RELEASED_DAY,
    OFFICE_CLOSURE,
    SATURDAY,
    THURSDAY,
    WEDNESDAY,
    assert_ledger_matches_bookings,
    book,
    person,
    slot_of,
)


@pytest.fixture
def one_place(online):
    """Thursday has one online place, in the 08:00 window."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    return dt.time(8, 0)


def test_a_booking_holds_a_place_awaiting_payment(online, account):
    """A booking takes one place and waits for payment for two hours."""
    booking = book(account, online)
    assert booking.status == BookingStatus.AWAITING_PAYMENT
    assert booking.pay_before == DEFAULT_NOW + dt.timedelta(hours=2)
    assert len(booking.billing_code) == 15 and booking.billing_code.isdigit()
    assert len(booking.code) == 10
    assert booking.application_number is None
    assert (booking.window_start, booking.window_end) == (dt.time(9), dt.time(10))
    assert slot_of(online, WEDNESDAY).used == 1
    assert_ledger_matches_bookings()


def test_a_booking_is_recorded_in_the_audit_trail(online, account):
    """Who booked, and the state the booking starts in, are recorded."""
    booking = book(account, online)
    event = AuditEvent.objects.get(action="booking.created", object_id=booking.code)
    assert event.actor == account
    assert event.office == online.office
    assert event.before is None
    assert event.after == {"status": "awaiting_payment", "date": "2026-12-02", "window": "09:00"}


def test_a_booking_sends_the_billing_code_through_the_outbox(online, account):
    """The applicant is told the billing code and deadline, through the outbox."""
    booking = book(account, online)
    message = OutboxMessage.objects.get(dedupe_key=f"booking-created:{booking.code}")
    assert message.recipient == account.email
    assert booking.billing_code in message.body
    assert message.sent_at is None


def test_the_applicant_is_saved_on_the_account(online, account):
    """The person booked for is kept on the account, with the NIK's birth date and sex."""
    booking = book(account, online, applicant=person(dt.date(1992, 8, 3), "F", name="Siti"))
    applicant = booking.applicant
    assert applicant.account == account
    assert (applicant.birth_date, applicant.sex, applicant.domicile_regency) == (
        dt.date(1992, 8, 3),
        "F",
        "3215",
    )
    assert AuditEvent.objects.filter(action="applicant.added", actor=account).count() == 1


@pytest.mark.parametrize(
    ("birth", "married", "passport_type", "validity", "amount"),
    [
        (dt.date(1990, 5, 12), False, "ordinary", 10, 650_000),
        (dt.date(1990, 5, 12), False, "electronic", 10, 950_000),
        (dt.date(2015, 3, 10), False, "ordinary", 5, 350_000),
        (dt.date(2015, 3, 10), False, "electronic", 5, 650_000),
        (dt.date(2010, 1, 1), True, "ordinary", 10, 650_000),
        # 17 on the appointment day (Wednesday 2 December 2026): 10 years.
        (dt.date(2009, 12, 2), False, "ordinary", 10, 650_000),
        # Still 16 on the appointment day: 5 years.
        (dt.date(2009, 12, 3), False, "ordinary", 5, 350_000),
    ],
)
def test_the_fee_follows_age_marriage_and_passport_type(
    online, account, birth, married, passport_type, validity, amount
):
    """Under 17 and unmarried: 5 years (Rp350.000 ordinary); otherwise 10 years; e-passport more."""
    booking = book(
        account, online, applicant=person(birth, married=married), passport_type=passport_type
    )
    assert (booking.validity_years, booking.amount) == (validity, amount)


def test_the_tariff_in_force_on_the_appointment_day_applies(online, account):
    """A new tariff applies to appointments from its first day."""
    Tariff.objects.create(item="ordinary_10", amount=700_000, valid_from=THURSDAY)
    assert book(account, online, day=WEDNESDAY).amount == 650_000
    assert book(account, online, day=THURSDAY, serial=2).amount == 700_000


def test_a_missing_tariff_is_refused(online, account):
    """Without a fee configured, nothing is booked and the office is named as the contact."""
    Tariff.objects.filter(item="electronic_10").delete()
    with pytest.raises(services.TariffMissing) as exc:
        book(account, online, passport_type="electronic")
    assert exc.value.status == 503
    assert not Booking.objects.exists()
    assert_ledger_matches_bookings()


def test_a_full_window_refuses_a_booking(online, account, other_account, one_place):
    """A window whose places are all taken refuses the next booking."""
    book(account, online, day=THURSDAY, window=one_place)
    with pytest.raises(QuotaExhausted) as exc:
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    assert (exc.value.code, exc.value.status) == ("quota_exhausted", 409)
    assert Booking.objects.count() == 1
    assert not Applicant.objects.filter(account=other_account).exists()  # rolled back
    assert slot_of(online, THURSDAY, one_place).used == 1
    assert_ledger_matches_bookings()


def test_a_window_without_places_refuses_a_booking(online, account, one_place):
    """A window that got no share of the day's places is full from the start."""
    with pytest.raises(QuotaExhausted):
        book(account, online, day=THURSDAY, window=dt.time(9, 0))


def test_an_overdue_hold_gives_its_place_to_the_next_booking(
    online, account, other_account, one_place
):
    """An unpaid hold past its deadline is expired and its place reused by the next booking."""
    first = book(account, online, day=THURSDAY, window=one_place)
    with clock.frozen_at(first.pay_before + dt.timedelta(seconds=1)):
        second = book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    first.refresh_from_db()
    assert first.status == BookingStatus.EXPIRED
    assert second.status == BookingStatus.AWAITING_PAYMENT
    assert slot_of(online, THURSDAY, one_place).used == 1
    assert AuditEvent.objects.filter(
        action="booking.expired", object_id=first.code, actor_label="system"
    ).exists()
    assert_ledger_matches_bookings()


def test_my_own_overdue_hold_does_not_block_a_new_booking(online, account):
    """A person whose unpaid hold ran out can book again at once, before the worker's round."""
    first = book(account, online, day=THURSDAY, window=dt.time(9))
    with clock.frozen_at(first.pay_before + dt.timedelta(seconds=1)):
        again = book(account, online, day=THURSDAY, window=dt.time(10))
    first.refresh_from_db()
    assert first.status == BookingStatus.EXPIRED
    assert again.status == BookingStatus.AWAITING_PAYMENT
    assert_ledger_matches_bookings()


def test_a_hold_still_running_keeps_its_place(online, account, other_account, one_place):
    """At the very deadline minus a second the hold is still valid."""
    first = book(account, online, day=THURSDAY, window=one_place)
    with (
        clock.frozen_at(first.pay_before - dt.timedelta(seconds=1)),
        pytest.raises(QuotaExhausted),
    ):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    first.refresh_from_db()
    assert first.status == BookingStatus.AWAITING_PAYMENT


def test_one_nik_holds_one_active_booking(online, account):
    """A NIK with an active booking cannot book a second place, on any day."""
    book(account, online, day=WEDNESDAY)
    with pytest.raises(services.ActiveBookingExists) as exc:
        book(account, online, day=THURSDAY)
    assert (exc.value.code, exc.value.status) == ("active_booking_exists", 409)
    assert Booking.objects.count() == 1
    assert_ledger_matches_bookings()


def test_one_nik_cannot_be_booked_from_two_accounts(online, account, other_account):
    """Another account booking the same NIK is refused too, with the answer a mismatch gets
    (identity_not_confirmed): it does not learn that the NIK has a live booking."""
    from loket.identity.registry import IdentityNotConfirmed

    book(account, online)
    with pytest.raises(IdentityNotConfirmed):
        book(other_account, online, day=THURSDAY)
    assert not Applicant.objects.filter(account=other_account).exists()
    assert_ledger_matches_bookings()


def test_the_database_refuses_a_second_active_booking_for_a_nik(online, account):
    """The one-active-booking rule is held by the database, not only by the service."""
    booking = book(account, online)
    copy = Booking.objects.get(pk=booking.pk)
    copy.pk = None
    copy.code = "ZZZZZZZZZZ"
    copy.billing_code = "123456789012345"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_a_nik_may_book_again_after_cancelling(online, account):
    """Once the booking is cancelled, the same person may book again."""
    first = book(account, online)
    services.cancel_booking(account=account, code=first.code)
    again = book(account, online, day=THURSDAY)
    assert again.applicant == first.applicant
    assert_ledger_matches_bookings()


@pytest.mark.parametrize("application_type", ["lost", "damaged"])
def test_lost_and_damaged_passports_are_walk_in_only(online, account, application_type):
    """Lost and damaged passports are refused online, pointing to the office."""
    with pytest.raises(services.WalkInOnly) as exc:
        book(account, online, application_type=application_type)
    assert exc.value.code == "walk_in_only"
    assert "office" in str(exc.value)
    assert not CapacitySlot.objects.exists()


def test_a_replacement_can_be_booked_online(online, account):
    """Replacing an expired or full passport is booked online."""
    assert book(account, online, application_type="replacement").application_type == ("replacement")


def test_an_application_type_the_channel_does_not_serve_is_refused(online, account):
    """A channel configured without replacements refuses them."""
    online.allows_replacement = False
    online.save()
    with pytest.raises(services.ApplicationTypeNotOffered):
        book(account, online, application_type="replacement")


def test_a_walk_in_channel_cannot_be_booked_online(office, account):
    """The priority walk-in channel cannot be booked through the booking service."""
    priority = Channel.objects.get(office=office, code="priority")
    with pytest.raises(services.ChannelNotBookable) as exc:
        book(account, priority)
    assert exc.value.code == "channel_not_bookable"


@pytest.mark.parametrize(
    ("field", "value"), [("purpose", "holiday"), ("passport_type", "diplomatic")]
)
def test_an_unknown_purpose_or_passport_type_is_refused(online, account, field, value):
    """Purposes and passport types come from their lists."""
    with pytest.raises(InvalidInput):
        book(account, online, **{field: value})


@pytest.mark.parametrize(
    ("day", "error", "code"),
    [
        (dt.date(2026, 11, 30), services.DatePast, "date_past"),
        (dt.date(2026, 12, 1), services.DateTooSoon, "date_too_soon"),
        (SATURDAY, services.OfficeClosed, "office_closed"),
        (CUTI_BERSAMA, services.OfficeClosed, "office_closed"),
        (CHRISTMAS, services.OfficeClosed, "office_closed"),
        (OFFICE_CLOSURE, services.OfficeClosed, "office_closed"),
        (NOT_RELEASED_DAY, services.NotReleased, "not_released"),
        (BEYOND_HORIZON_DAY, services.BeyondHorizon, "beyond_horizon"),
    ],
)
def test_a_day_that_cannot_be_booked_is_refused_with_its_own_code(
    online, account, day, error, code
):
    """Past, too soon, closed, not yet released and beyond the horizon each have a code."""
    with pytest.raises(error) as exc:
        book(account, online, day=day)
    assert exc.value.code == code
    assert exc.value.status == 422
    assert not Booking.objects.exists()
    assert not CapacitySlot.objects.exists()


def test_not_released_says_when_the_day_opens(online, account):
    """The refusal of a day not yet released tells when it opens."""
    with pytest.raises(services.NotReleased) as exc:
        book(account, online, day=NOT_RELEASED_DAY)
    assert "16-12-2026 00:00" in str(exc.value)


def test_too_soon_says_how_many_days_ahead(online, account):
    """The refusal of a day too soon tells how far ahead to book."""
    with pytest.raises(services.DateTooSoon) as exc:
        book(account, online, day=dt.date(2026, 12, 1))
    assert "1" in str(exc.value)


def test_a_day_is_bookable_from_its_release_moment(online, account):
    """The day opens at its release moment (30 days before, at midnight)."""
    day = dt.date(2027, 1, 4)  # a Monday, opens 5 December 2026 00:00 WIB
    with clock.frozen_at(dt.datetime(2026, 12, 4, 16, 59, tzinfo=dt.UTC)):  # 23:59 WIB
        with pytest.raises(services.NotReleased):
            book(account, online, day=day)
    with clock.frozen_at(dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)):  # 00:00 WIB
        assert book(account, online, day=day).date == day


def test_a_window_that_does_not_exist_is_refused(online, account):
    """A window start that is not one of the channel's windows is not found."""
    with pytest.raises(WindowNotFound) as exc:
        book(account, online, window=dt.time(8, 30))
    assert exc.value.status == 404
    assert not Booking.objects.exists()


def test_an_invalid_nik_is_refused(online, account):
    """A NIK whose birth date differs from the declared one is refused; nothing is held."""
    applicant = services.ApplicantData(
        nik=make_nik(dt.date(1990, 5, 12)),
        name="Budi",
        birth_date=dt.date(1990, 5, 13),
        sex="M",
        phone="081234567890",
        domicile_regency="3215",
    )
    with pytest.raises(NikInvalid):
        book(account, online, applicant=applicant)
    assert not Booking.objects.exists()
    assert_ledger_matches_bookings()


def test_a_sex_that_contradicts_the_nik_is_refused(online, account):
    """A man's NIK declared as a woman's is refused."""
    data = person()
    wrong = services.ApplicantData(**{**data.__dict__, "sex": "F"})
    with pytest.raises(InvalidInput) as exc:
        book(account, online, applicant=wrong)
    assert "+40" in str(exc.value)


def test_an_unknown_domicile_regency_is_refused(online, account):
    """The regency of the KTP address must be a known regency."""
    with pytest.raises(RegencyInvalid) as exc:
        book(account, online, applicant=person(regency="99.99"))
    assert exc.value.code == "regency_invalid"


@pytest.mark.parametrize("phone", ["", "12345", "0812-3456-7890", "0812345678901234567"])
def test_a_phone_number_that_is_not_8_to_15_digits_is_refused(online, account, phone):
    """A phone number is 8 to 15 digits, optionally after a +."""
    data = services.ApplicantData(**{**person().__dict__, "phone": phone})
    with pytest.raises(InvalidInput):
        book(account, online, applicant=data)


def test_an_empty_name_is_refused(online, account):
    """The name as written on the KTP is needed."""
    data = services.ApplicantData(**{**person().__dict__, "name": "   "})
    with pytest.raises(InvalidInput):
        book(account, online, applicant=data)


def test_an_account_applies_for_at_most_five_people(online, account):
    """A sixth person on one account is refused; the five keep their bookings."""
    for serial in range(1, 6):
        book(account, online, serial=serial)
    with pytest.raises(ApplicantLimitReached) as exc:
        book(account, online, serial=6)
    assert (exc.value.code, exc.value.status) == ("applicant_limit_reached", 409)
    assert account.applicants.count() == 5
    assert Booking.objects.count() == 5
    assert_ledger_matches_bookings()


def test_the_same_person_can_be_booked_again_on_a_full_account(online, account):
    """With five people on the account, one of them may still book after a cancellation."""
    bookings = [book(account, online, serial=serial) for serial in range(1, 6)]
    services.cancel_booking(account=account, code=bookings[0].code)
    again = book(account, online, serial=1, day=THURSDAY)
    assert again.applicant == bookings[0].applicant
    assert account.applicants.count() == 5
