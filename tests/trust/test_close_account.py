"""Closing an account at the applicant's request (UU 27/2022)."""

import json

import pytest

from loket.accounts.models import ApiToken, Applicant, User
from loket.booking.services import cancel_booking
from loket.core.models import AuditEvent
from loket.core.personal_data import ANONYMISED_NAME
from tests.helpers import book, person

PASSWORD = "rahasia-panjang-1"  # the `account` fixture's


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def token_for(client, email=None):
    answer = post_json(
        client, "/api/v1/auth/token", {"email": email or "budi@contoh.id", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.content
    return {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['token']}"}


def test_an_active_booking_keeps_the_account_open(client, account, online):
    booking = book(account, online)
    auth = token_for(client, account.email)
    refused = post_json(client, "/api/v1/me/close", {"password": PASSWORD}, **auth)
    assert refused.status_code == 409 and refused.json()["code"] == "account_has_open_cases"
    assert User.objects.get(pk=account.pk).is_active

    cancel_booking(account=account, code=booking.code)
    wrong = post_json(client, "/api/v1/me/close", {"password": "bukan-ini-1"}, **auth)
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"

    closed = post_json(client, "/api/v1/me/close", {"password": PASSWORD}, **auth)
    assert closed.status_code == 204
    user = User.objects.get(pk=account.pk)
    assert not user.is_active and not user.has_usable_password()
    assert "budi" not in user.email and user.full_name == ""
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    [applicant] = Applicant.objects.filter(account=user)
    assert applicant.name == ANONYMISED_NAME and applicant.phone == ""
    assert applicant.nik.startswith("0") and applicant.birth_date.month == 1
    booking.refresh_from_db()
    assert booking.status == "cancelled"  # the office's record stays
    assert AuditEvent.objects.filter(action="account.closed", object_id=str(user.pk)).exists()
    # The old token and the old password no longer open anything.
    assert client.get("/api/v1/me/data", **auth).status_code == 401
    again = post_json(client, "/api/v1/auth/token", {"email": account.email, "password": PASSWORD})
    assert again.status_code == 401


def test_the_page_closes_the_account_and_logs_out(client, account):
    client.force_login(account)
    page = client.get("/accounts/close/")
    assert page.status_code == 200 and b'name="password"' in page.content
    wrong = client.post("/accounts/close/", {"password": "bukan-ini-1"})
    assert wrong.status_code == 409
    done = client.post("/accounts/close/", {"password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/"
    assert not User.objects.get(pk=account.pk).is_active
    assert client.get("/bookings/").status_code == 302  # logged out


def test_the_page_is_in_indonesian_by_default(client, account, online):
    book(account, online, applicant=person())
    client.force_login(account)
    client.cookies["django_language"] = "id"
    refused = client.post("/accounts/close/", {"password": PASSWORD})
    assert refused.status_code == 409
    assert "Batalkan" in refused.content.decode()
