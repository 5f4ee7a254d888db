"""The Karawang demo, loaded by `load_demo`."""

from django.core.management import call_command

from loket.accounts.models import User
from loket.booking.models import Booking, BookingStatus
from loket.capacity.models import CapacitySlot
from loket.demo import office as demo
from loket.offices.models import (
    ArrivalWindow,
    Channel,
    Closure,
    Office,
    Tariff,
    WeekdayCapacity,
)
from tests.helpers import assert_ledger_matches_bookings

MODELS = [
    Office,
    Channel,
    WeekdayCapacity,
    ArrivalWindow,
    Closure,
    Tariff,
    User,
    Booking,
    CapacitySlot,
]


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_loading_the_demo_twice_changes_nothing(now, db, capsys):
    """The second load finds everything in place and adds nothing."""
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert "0 sample booking(s) added" in capsys.readouterr().out
    assert_ledger_matches_bookings()


def test_the_demo_office_is_karawang(now, db):
    """Karawang serves Karawang and Purwakarta, about 200 a day, with sample bookings."""
    call_command("load_demo")
    office = Office.objects.get(code="KRW")
    assert sorted(office.working_area.values_list("regency_code", flat=True)) == ["3214", "3215"]
    assert office.hotline
    monday = dict(
        WeekdayCapacity.objects.filter(channel__office=office, weekday=0).values_list(
            "channel__code", "capacity"
        )
    )
    assert monday["online"] + monday["priority"] + monday["lost-damaged"] == 200
    assert office.channels.get(code="paten").weekday_capacities.get(weekday=4).capacity == 10
    statuses = sorted(
        Booking.objects.filter(nik__in=[p[0] for p in demo.SAMPLE_PEOPLE]).values_list(
            "status", flat=True
        )
    )
    assert statuses == [BookingStatus.AWAITING_PAYMENT] * 2 + [BookingStatus.CONFIRMED] * 2
    assert User.objects.get(email="admin@contoh.id").is_superuser
