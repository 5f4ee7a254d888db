import datetime as dt

import pytest
from django.db import transaction
from django.utils import translation

from loket.accounts.services import create_verified_account, save_applicant
from loket.offices.models import CapacityOverride
from loket.waitlist.services import join_waitlist
from tests.conftest import make_nik

THURSDAY = dt.date(2026, 12, 3)
EIGHT = dt.time(8, 0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _ledger_clean_after_each_test(request):
    """Whatever a test did, every ledger place is held by a booking, ticket or open offer."""
    uses_db = "db" in request.fixturenames or "transactional_db" in request.fixturenames
    if uses_db:
        request.getfixturevalue("db")
    yield
    if uses_db:
        from loket.capacity.integrity import find_drift

        assert find_drift() == []


@pytest.fixture
def one_place(online):
    """Thursday has one online place, in the 08:00 window; the other windows have none."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    return EIGHT


def new_account(n: int):
    return create_verified_account(email=f"w{n}@contoh.id", password="rahasia-panjang-1")


def add_person(account, serial: int, birth: dt.date = dt.date(1990, 1, 1)):
    with transaction.atomic():
        return save_applicant(
            account=account,
            nik=make_nik(birth, serial=serial),
            name=f"Pemohon {serial}",
            birth_date=birth,
            sex="M",
            phone="081234567890",
            domicile_regency="3215",
            today=dt.date(2026, 12, 1),
        )


def join(account, channel, applicant, day: dt.date = THURSDAY):
    return join_waitlist(
        account=account,
        channel=channel,
        day=day,
        applicant_id=applicant.pk,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
    )
