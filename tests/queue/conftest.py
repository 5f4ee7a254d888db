"""Queue fixtures: the demo office with its queue set up, staff, and bookings for a day."""

import datetime as dt
import json

import pytest

from loket.accounts.models import User
from loket.booking.payments import sign_payment_notice
from loket.booking.services import (
    ApplicantData,
    book_appointment,
    record_payment,
)
from loket.core import clock
from loket.queue import office_setup, staff_roles
from loket.queue.models import StaffRole
from tests.conftest import WIB, make_nik

# Thursday 3 December 2026: the day the bookings are for.
DAY = dt.date(2026, 12, 3)
AT_9_10 = dt.datetime(2026, 12, 3, 9, 10, tzinfo=WIB)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is slow by design; staff accounts here only need a password that works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def queue_office(office):
    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    office_setup.save_counter(office=office, number=2, stage_codes=["document_check"])
    office_setup.save_counter(office=office, number=3, stage_codes=["photo_interview"])
    office_setup.save_counter(office=office, number=4, stage_codes=["payment"])
    return office


def make_staff(office, email: str, *roles: str) -> User:
    user = User.objects.create_user(email, "rahasia-staf-123", is_staff=True)
    for role in roles:
        staff_roles.grant_role(user=user, office=office, role=role)
    return user


@pytest.fixture
def desk(queue_office):
    return make_staff(queue_office, "meja@contoh.id", StaffRole.DESK)


@pytest.fixture
def officer(queue_office):
    return make_staff(queue_office, "loket@contoh.id", StaffRole.COUNTER)


@pytest.fixture
def supervisor(queue_office):
    return make_staff(queue_office, "spv@contoh.id", StaffRole.SUPERVISOR)


def paid_booking(account, channel, *, day=DAY, window=dt.time(9, 0), serial=1, birth=None):
    """A confirmed booking made through the booking service (the clock must be before `day`)."""
    birth = birth or dt.date(1990, 5, 12)
    booking = book_appointment(
        account=account,
        channel=channel,
        day=day,
        window_start=window,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=ApplicantData(
            nik=make_nik(birth, serial=serial),
            name=f"Pemohon {serial}",
            birth_date=birth,
            sex="M",
            phone="081234567890",
            domicile_regency="3215",
        ),
    )
    body = json.dumps(
        {
            "billing_code": booking.billing_code,
            "amount": booking.amount,
            "paid_at": clock.now().isoformat(),
        }
    ).encode()
    return record_payment(body=body, signature=sign_payment_notice(body))


@pytest.fixture
def booking(queue_office, online, account, now):
    return paid_booking(account, online)


@pytest.fixture
def on_the_day(now):
    """The clock on the booked day, 09:10 WIB (inside the 09:00-10:00 window)."""
    with clock.frozen_at(AT_9_10):
        yield AT_9_10
