"""Fixtures for the notification tests: a confirmed booking for Thursday 3 December 2026."""

import pytest
from django.core.cache import cache
from django.db import transaction

from loket.accounts.services import save_applicant
from tests.conftest import make_nik
from tests.web.conftest import BIRTH, book, pay


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def person(account, now):
    with transaction.atomic():
        return save_applicant(
            account=account,
            nik=make_nik(BIRTH),
            name="Budi Santoso",
            birth_date=BIRTH,
            sex="M",
            phone="081234567890",
            domicile_regency="3215",
            today=now.date(),
        )


@pytest.fixture
def held(account, online, person):
    return book(account, online, person)


@pytest.fixture
def confirmed(held):
    return pay(held)
