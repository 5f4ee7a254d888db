"""Outreach fixtures: staff with this app's permissions, teams, event channels."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from loket.accounts.services import create_verified_account
from loket.offices.models import Channel, ChannelKind
from loket.outreach import services
from loket.outreach.models import ServiceDayKind

COORDINATOR_PERMS = ["review_outreachrequest", "change_servicedayoccurrence"]
HOTLINE_PERMS = ["add_emergencycase"]
SUPERVISOR_PERMS = ["add_emergencycase", "approve_emergencycase"]


def make_staff(email: str, codenames: list[str]):
    # Staff roles are issue 4's; until then a staff account holds this app's permissions.
    user = create_verified_account(email=email, password="rahasia-staf-panjang")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="outreach", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # fresh: no permission cache


@pytest.fixture
def coordinator(db):
    return make_staff("koordinator@contoh.id", COORDINATOR_PERMS)


@pytest.fixture
def hotline(db):
    return make_staff("hotline@contoh.id", HOTLINE_PERMS)


@pytest.fixture
def supervisor(db):
    return make_staff("supervisor@contoh.id", SUPERVISOR_PERMS)


@pytest.fixture
def team(office):
    return services.create_team(office=office, name="Tim A", size=4)


@pytest.fixture
def team_b(office):
    return services.create_team(office=office, name="Tim B", size=3)


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
    return services.create_service_day_rule(
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
