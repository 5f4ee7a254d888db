"""Backups: back up, wipe, restore, and every booking is back with a clean ledger, on SQLite and
on PostgreSQL alike."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loket.booking.models import Booking, Payment
from loket.booking.services import cancel_booking
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.core.backup import BackupFailed, backup_database, restore_database
from tests.helpers import THURSDAY, book, pay

pytestmark = pytest.mark.django_db(transaction=True)


def bookings_state():
    return sorted(
        Booking.objects.values_list(
            "code", "status", "nik", "slot_id", "date", "window_start", "application_number"
        )
    )


def ledger_state():
    return sorted(CapacitySlot.objects.filter(used__gt=0).values_list("id", "used"))


@pytest.fixture
def some_bookings(online, account, other_account):
    paid = pay(book(account, online, serial=1))
    book(account, online, serial=2)
    cancel_booking(account=account, code=book(account, online, serial=3).code)
    book(other_account, online, serial=4, day=THURSDAY)
    assert find_drift() == []
    return paid


def test_round_trip_restores_every_booking_and_a_clean_ledger(some_bookings, tmp_path):
    """Back up, wipe everything, restore: the same bookings, payments and places taken."""
    bookings, ledger = bookings_state(), ledger_state()
    payments = Payment.objects.count()
    backup = tmp_path / "loket.backup"

    call_command("backup", output=backup)
    assert backup.stat().st_size > 0
    call_command("flush", interactive=False)
    assert Booking.objects.count() == 0
    call_command("restore", str(backup), yes=True)

    assert bookings_state() == bookings
    assert ledger_state() == ledger
    assert Payment.objects.count() == payments == 1
    assert len(bookings) == 4
    assert find_drift() == []


def test_a_restore_undoes_changes_made_after_the_backup(some_bookings, tmp_path, online, account):
    """What was booked after the backup is gone after restoring it; the ledger follows."""
    backup = backup_database(destination=tmp_path / "before.backup").path
    before = bookings_state()
    book(account, online, serial=5)
    cancel_booking(account=account, code=some_bookings.code)

    restore_database(source=backup)

    assert bookings_state() == before
    assert find_drift() == []


def test_a_broken_backup_file_is_refused_and_the_data_stays(some_bookings, tmp_path):
    """Restoring a file that is no backup fails without touching the database."""
    before = bookings_state()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup" * 100)

    with pytest.raises(BackupFailed):
        restore_database(source=junk)
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.backup"), yes=True)

    assert bookings_state() == before
    assert find_drift() == []
