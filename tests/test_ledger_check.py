import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from loket.booking.services import ApplicantData, book_appointment, cancel_booking
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from tests.conftest import make_nik


def book(account, channel, serial):
    birth = dt.date(1990, 1, 1)
    return book_appointment(
        account=account,
        channel=channel,
        day=dt.date(2026, 12, 3),
        window_start=dt.time(9),
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=ApplicantData(
            nik=make_nik(birth, serial=serial),
            name="A",
            birth_date=birth,
            sex="M",
            phone="081234567890",
            domicile_regency="3215",
        ),
    )


def test_ledger_is_clean_after_bookings_and_cancellations(online, account, capsys):
    """Places taken equal the live bookings after booking and cancelling."""
    first = book(account, online, 1)
    book(account, online, 2)
    cancel_booking(account=account, code=first.code)
    assert find_drift() == []
    call_command("check_ledger")
    assert "Ledger clean" in capsys.readouterr().out


def test_drift_is_reported_with_the_slot(online, account):
    """A ledger row changed behind the services' back is reported with its figures."""
    booking = book(account, online, 1)
    CapacitySlot.objects.filter(pk=booking.slot_id).update(used=F("used") + 1)
    drifts = find_drift()
    assert [(d.slot_id, d.used, d.held) for d in drifts] == [(booking.slot_id, 2, 1)]
    assert "KRW online 2026-12-03 09:00" in str(drifts[0])
    with pytest.raises(CommandError, match="1 of"):
        call_command("check_ledger", "--office", "krw")
