"""Small hand-built data for the reports, made through the booking services."""

import datetime as dt
import itertools
import json

import pytest

from loket.accounts.models import User
from loket.accounts.services import create_verified_account
from loket.booking.payments import sign_payment_notice
from loket.booking.services import (
    ApplicantData,
    book_appointment,
    record_payment,
)
from loket.core import clock
from tests.conftest import DEFAULT_NOW, WIB, make_nik


def wib(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


def pay(booking):
    body = json.dumps(
        {
            "billing_code": booking.billing_code,
            "amount": booking.amount,
            "paid_at": clock.now().isoformat(),
        }
    ).encode()
    return record_payment(body=body, signature=sign_payment_notice(body))


@pytest.fixture
def book(office, online):
    """book(day, window="09:00", at=moment, ...) -> a booking made at `at` (default: now)."""
    serial = itertools.count(1)

    def _book(
        day: dt.date,
        window: str = "09:00",
        *,
        at: dt.datetime | None = None,
        channel=None,
        purpose: str = "apprenticeship",
        regency: str = "3215",
        passport_type: str = "ordinary",
        application_type: str = "new",
        paid: bool = False,
    ):
        n = next(serial)
        birth = dt.date(1990, 1, 1) + dt.timedelta(days=n)
        with clock.frozen_at(at or DEFAULT_NOW):
            account = create_verified_account(
                email=f"pemohon{n}@contoh.id", password=f"rahasia-panjang-{n}"
            )
            booking = book_appointment(
                account=account,
                channel=channel or online,
                day=day,
                window_start=dt.time.fromisoformat(window),
                application_type=application_type,
                purpose=purpose,
                passport_type=passport_type,
                applicant=ApplicantData(
                    nik=make_nik(birth, serial=n),
                    name=f"Pemohon {n}",
                    birth_date=birth,
                    sex="M",
                    phone="081234567890",
                    domicile_regency=regency,
                ),
            )
            if paid:
                booking = pay(booking)
        return booking

    return _book


@pytest.fixture
def staff(office):
    """The office's supervisor: the reports of the office are theirs to see."""
    from loket.queue.models import StaffRole
    from loket.queue.staff_roles import grant_role

    user = User.objects.create_user("kepala@contoh.id", "rahasia-kepala-1", is_staff=True)
    grant_role(user=user, office=office, role=StaffRole.SUPERVISOR)
    return user
