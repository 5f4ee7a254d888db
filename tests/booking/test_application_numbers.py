"""Application numbers: OFFICE-YYYYMMDD-NNNN, numbered per office and day of confirmation,
unique by the database, kept through a reschedule."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from loket.booking import numbers, proofs, services
from loket.booking.models import ApplicationNumberSequence, Booking
from loket.core import clock
from loket.offices.models import Office
from tests.conftest import WIB
from tests.helpers import THURSDAY, book, pay

pytestmark = pytest.mark.django_db


def test_numbers_run_per_office_and_day_of_confirmation(online, account, other_account):
    first = pay(book(account, online, serial=1))
    second = pay(book(other_account, online, serial=2))
    assert (first.application_number, second.application_number) == (
        "KRW-20261201-0001",
        "KRW-20261201-0002",
    )
    with clock.frozen_at(dt.datetime(2026, 12, 2, 0, 5, tzinfo=WIB)):  # the next local day
        other = Office.objects.create(code="PWK", name="Kantor Imigrasi Purwakarta")
        assert numbers.next_sequence(office_id=other.pk, day=dt.date(2026, 12, 2)) == 1
        third = pay(book(account, online, serial=3, day=THURSDAY))
    assert third.application_number == "KRW-20261202-0001"


def test_the_number_and_the_qr_survive_a_reschedule(online, account):
    """The number names the application, not the appointment: a reschedule keeps it, and the
    proof printed before still checks in."""
    booking = pay(book(account, online))
    payload = proofs.qr_payload(booking)
    moved = services.reschedule_booking(
        account=account, code=booking.code, day=THURSDAY, window_start=dt.time(9)
    )
    assert moved.application_number == booking.application_number == "KRW-20261201-0001"
    assert proofs.verify_qr(payload).pk == booking.pk


def test_the_database_holds_one_sequence_row_per_office_day(office):
    ApplicationNumberSequence.objects.create(office=office, day=dt.date(2026, 12, 1), last=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationNumberSequence.objects.create(office=office, day=dt.date(2026, 12, 1), last=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationNumberSequence.objects.create(office=office, day=dt.date(2026, 12, 2), last=0)


def test_the_database_refuses_a_second_booking_with_the_same_number(online, account, other_account):
    first = pay(book(account, online, serial=1))
    second = pay(book(other_account, online, serial=2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=second.pk).update(application_number=first.application_number)


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_never_share_a_number(office):
    """Twelve transactions taking the next number of one office-day at once get 1..12 (on
    PostgreSQL the row lock, on SQLite the IMMEDIATE write lock, makes them wait in turn)."""
    from tests.concurrency.conftest import run_in_threads

    def take():
        with transaction.atomic():
            return numbers.next_sequence(office_id=office.pk, day=dt.date(2026, 12, 1))

    results = run_in_threads([take] * 12)
    assert sorted(results) == list(range(1, 13))
