"""Shared fixtures. State is built through the product's own services, never by poking rows."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from loket.accounts.services import create_verified_account, issue_token
from loket.core import clock
from loket.demo import office as demo
from loket.offices.models import Channel

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
# Tuesday 1 December 2026, 09:00 WIB: a working day, no holiday near.
DEFAULT_NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


def make_nik(birth: dt.date, sex: str = "M", *, district: str = "321501", serial: int = 1) -> str:
    """A valid NIK for a birth date and sex (women: day + 40)."""
    day = birth.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@pytest.fixture(autouse=True)
def _english_by_default():
    """Tests read the English source strings; Indonesian is checked where a test asks for it."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A browser that chose English (pages otherwise open in Bahasa Indonesia)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def now():
    """The clock, frozen at DEFAULT_NOW; tests may move it with clock.frozen_at."""
    with clock.frozen_at(DEFAULT_NOW):
        yield DEFAULT_NOW


@pytest.fixture
def office(db, now):
    return demo.load_office()


@pytest.fixture
def online(office) -> Channel:
    return Channel.objects.get(office=office, code="online")


@pytest.fixture
def account(db):
    return create_verified_account(email="budi@contoh.id", password="rahasia-panjang-1")


@pytest.fixture
def other_account(db):
    return create_verified_account(email="siti@contoh.id", password="rahasia-panjang-2")


@pytest.fixture
def token(account):
    return issue_token(email="budi@contoh.id", password="rahasia-panjang-1")


@pytest.fixture
def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate counts, full flags, cached configuration)."""
    from django.core.cache import cache

    from loket.booking import config_cache

    cache.clear()
    config_cache.invalidate()
    yield
