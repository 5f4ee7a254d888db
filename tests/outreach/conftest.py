"""Outreach fixtures: staff with roles at the demo office, teams, event channels."""

import datetime as dt

import pytest

from loket.accounts.services import create_verified_account
from loket.offices.models import Channel, ChannelKind, Office
from loket.outreach import planning, service_days
from loket.outreach.models import ServiceDayKind
from loket.queue.models import StaffRole
from loket.queue.staff_roles import grant_role


def make_staff(email: str, office: Office, *roles: str):
    """A staff account holding `roles` at `office` (StaffMembership, as the product grants)."""
    user = create_verified_account(email=email, password="rahasia-staf-panjang")
    for role in roles:
        grant_role(user=user, office=office, role=role)
    return user


@pytest.fixture
def coordinator(office):
    return make_staff("koordinator@contoh.id", office, StaffRole.OUTREACH)


@pytest.fixture
def hotline(office):
    return make_staff("hotline@contoh.id", office, StaffRole.HOTLINE)


@pytest.fixture
def supervisor(office):
    return make_staff("supervisor@contoh.id", office, StaffRole.SUPERVISOR)


@pytest.fixture
def desk(office):
    return make_staff("meja@contoh.id", office, StaffRole.DESK)


@pytest.fixture
def team(office):
    return planning.create_team(office=office, name="Tim A", size=4)


@pytest.fixture
def team_b(office):
    return planning.create_team(office=office, name="Tim B", size=3)


@pytest.fixture
def paten(office) -> Channel:
    return Channel.objects.get(office=office, code="paten")


@pytest.fixture
def purwakarta(office) -> Channel:
    return Channel.objects.create(
        office=office,
        code="purwakarta",
        kind=ChannelKind.EVENT,
        name="Purwakarta",
        min_days_ahead=0,
        horizon_days=60,
    )


@pytest.fixture
def simpatik(office) -> Channel:
    return Channel.objects.create(
        office=office,
        code="simpatik",
        kind=ChannelKind.SIMPATIK,
        name="Simpatik",
        min_days_ahead=0,
        horizon_days=60,
    )


@pytest.fixture
def paten_rule(office, paten, team):
    """PATEN every Friday from 2023, served by Tim A."""
    return service_days.create_service_day_rule(
        office=office,
        channel=paten,
        name="PATEN",
        weekday=4,
        valid_from=dt.date(2023, 1, 1),
        valid_until=None,
        location="Kecamatan Telukjambe Timur",
        quota=10,
        team=team,
        kind=ServiceDayKind.EVENT,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is slow by design; the accounts made here only need to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
