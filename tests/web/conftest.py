"""Fixtures for the website's view tests: a logged-in client, a person, a booking."""

import datetime as dt
import json
import re

import pytest
from django.db import transaction

from loket.accounts.services import save_applicant
from loket.booking.payments import sign_payment_notice
from loket.booking.services import (
    ApplicantData,
    book_appointment,
    record_payment,
)
from loket.core import clock
from loket.notifications.models import OutboxMessage
from tests.conftest import make_nik

BIRTH = dt.date(1990, 5, 12)
APPOINTMENT = dt.date(2026, 12, 3)  # Thursday, two days after the frozen "now"
WINDOW = dt.time(9, 0)


@pytest.fixture
def web(client, account, office):
    """A client logged in as a verified account, with the demo office loaded."""
    client.force_login(account)
    return client


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


def book(account, channel, person, *, day=APPOINTMENT, window=WINDOW):
    return book_appointment(
        account=account,
        channel=channel,
        day=day,
        window_start=window,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=ApplicantData(
            nik=person.nik,
            name=person.name,
            birth_date=person.birth_date,
            sex=person.sex,
            phone=person.phone,
            domicile_regency=person.domicile_regency,
        ),
    )


def pay(booking):
    body = json.dumps(
        {
            "billing_code": booking.billing_code,
            "amount": booking.amount,
            "paid_at": clock.now().isoformat(),
        }
    ).encode()
    return record_payment(body=body, signature=sign_payment_notice(body))


@pytest.fixture
def held(account, online, person):
    """A booking awaiting payment."""
    return book(account, online, person)


@pytest.fixture
def confirmed(held):
    return pay(held)


def last_code_for(email: str) -> str:
    message = OutboxMessage.objects.filter(recipient=email).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def client():
    """A browser that chose English: assertions read the English source strings."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counts live in the cache: no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
