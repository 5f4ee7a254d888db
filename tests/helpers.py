"""Helpers shared by the tests: state is built through the product's services."""

import datetime as dt
import json

from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.booking.payments import sign_payment_notice
from loket.booking.services import (
    ApplicantData,
    book_appointment,
    record_payment,
)
from loket.capacity.models import CapacitySlot
from loket.core import clock
from tests.conftest import WIB, make_nik

ADULT_BIRTH = dt.date(1990, 5, 12)
# Days around DEFAULT_NOW (Tue 1 December 2026) with their calendar meaning.
WEDNESDAY = dt.date(2026, 12, 2)  # tomorrow: the first bookable day
THURSDAY = dt.date(2026, 12, 3)
FRIDAY = dt.date(2026, 12, 4)
SATURDAY = dt.date(2026, 12, 5)
MONDAY = dt.date(2026, 12, 7)
CUTI_BERSAMA = dt.date(2026, 12, 24)
CHRISTMAS = dt.date(2026, 12, 25)
OFFICE_CLOSURE = dt.date(2026, 12, 31)  # the demo office's own closure day
NOT_RELEASED_DAY = dt.date(2027, 1, 15)  # within the 60-day horizon, opens 30 days before
BEYOND_HORIZON_DAY = dt.date(2027, 2, 10)


def person(
    birth: dt.date = ADULT_BIRTH,
    sex: str = "M",
    *,
    serial: int = 1,
    name: str = "Budi Santoso",
    married: bool = False,
    regency: str = "32.15",
) -> ApplicantData:
    return ApplicantData(
        nik=make_nik(birth, sex, serial=serial),
        name=name,
        birth_date=birth,
        sex=sex,
        phone="081234567890",
        domicile_regency=regency,
        married=married,
    )


def book(
    account,
    channel,
    *,
    day: dt.date = WEDNESDAY,
    window: dt.time = dt.time(9, 0),
    applicant: ApplicantData | None = None,
    serial: int = 1,
    application_type: str = "new",
    purpose: str = "tourism",
    passport_type: str = "ordinary",
) -> Booking:
    return book_appointment(
        account=account,
        channel=channel,
        day=day,
        window_start=window,
        application_type=application_type,
        purpose=purpose,
        passport_type=passport_type,
        applicant=applicant or person(serial=serial),
    )


def payment_notice(
    booking: Booking,
    *,
    amount: int | None = None,
    paid_at: dt.datetime | None = None,
    reference: str | None = None,
) -> bytes:
    notice = {
        "billing_code": booking.billing_code,
        "amount": booking.amount if amount is None else amount,
        "paid_at": (paid_at or clock.now()).isoformat(),
    }
    if reference is not None:
        notice["reference"] = reference
    return json.dumps(notice).encode()


def pay(booking: Booking, **kwargs) -> Booking:
    body = payment_notice(booking, **kwargs)
    return record_payment(body=body, signature=sign_payment_notice(body))


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment in office time (WIB)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


def assert_ledger_matches_bookings() -> None:
    """Every ledger row counts exactly the active bookings that hold a place in it."""
    for slot in CapacitySlot.objects.all():
        active = Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()
        assert slot.used == active, f"{slot}: used {slot.used}, active bookings {active}"
        assert 0 <= slot.used <= slot.capacity


def slot_of(channel, day: dt.date, window: dt.time = dt.time(9, 0)) -> CapacitySlot:
    return CapacitySlot.objects.get(channel=channel, date=day, window_start=window)
