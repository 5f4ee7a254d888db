"""API tokens end: after idle days, on a new password, on log-out, and when revoked from the
account's "devices and tokens" page or the API."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loket.accounts import services
from loket.accounts.models import ApiToken
from loket.core import clock
from tests.conftest import DEFAULT_NOW

EMAIL, PASSWORD = "budi@contoh.id", "rahasia-panjang-1"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def issued(account, now):
    return services.issue_token(email=EMAIL, password=PASSWORD)


def test_a_token_unused_for_the_idle_days_ends(issued, settings):
    """Unused for LOKET_TOKEN_IDLE_DAYS (30) it no longer authenticates; a day earlier it did."""
    assert settings.LOKET_TOKEN_IDLE_DAYS == 30
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=29, hours=23)):
        assert services.user_for_token(issued) is not None
    other = services.issue_token(email=EMAIL, password=PASSWORD)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=30, minutes=1)):
        assert services.user_for_token(other) is None


def test_use_keeps_a_token_alive(issued):
    """Each use (recorded at most hourly) moves the idle expiry forward."""
    for day in (20, 40, 60):
        with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=day)):
            assert services.user_for_token(issued) is not None
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=91)):
        assert services.user_for_token(issued) is None


def test_the_idle_days_are_configurable(issued, settings):
    settings.LOKET_TOKEN_IDLE_DAYS = 2
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=3)):
        assert services.user_for_token(issued) is None


def test_token_auth_is_one_query_and_writes_last_use_at_most_hourly(issued):
    """On the booking hot path: one SELECT per request; the last use is written only when
    the one on record is more than an hour old."""
    with CaptureQueriesContext(connection) as q:
        assert services.user_for_token(issued) is not None
    assert len(q.captured_queries) == 1
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=59)):
        with CaptureQueriesContext(connection) as q:
            services.user_for_token(issued)
        assert len(q.captured_queries) == 1
    later = DEFAULT_NOW + dt.timedelta(hours=2)
    with clock.frozen_at(later):
        with CaptureQueriesContext(connection) as q:
            services.user_for_token(issued)
        assert len(q.captured_queries) == 2
        assert ApiToken.objects.get().last_used_at == later
        with CaptureQueriesContext(connection) as q:
            services.user_for_token(issued)
        assert len(q.captured_queries) == 1


def test_a_new_password_ends_every_token(account, issued):
    """A password changed or reset (any path: website, admin, command) ends the tokens issued
    before; a token issued after works."""
    account.set_password("kata-sandi-baru-9")
    account.save()
    assert services.user_for_token(issued) is None
    fresh = services.issue_token(email=EMAIL, password="kata-sandi-baru-9")
    assert services.user_for_token(fresh) == account


def test_a_password_reset_on_the_website_ends_the_tokens(client, account, issued, mailoutbox):
    """The reset link's new password ends the API tokens too."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    response = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    new = "kata-sandi-baru-9"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302, response.content[:500]
    assert services.user_for_token(issued) is None


def test_logout_revokes_only_the_current_token(client, account, issued):
    other = services.issue_token(email=EMAIL, password=PASSWORD)
    response = client.post("/api/v1/auth/logout", **bearer(issued))
    assert response.status_code == 204
    assert client.get("/api/v1/bookings", **bearer(issued)).status_code == 401
    assert client.get("/api/v1/bookings", **bearer(other)).status_code == 200


def test_tokens_are_listed_and_revoked_through_the_api(client, account, other_account, issued):
    second = services.issue_token(email=EMAIL, password=PASSWORD, label="Aplikasi kios")
    theirs = services.issue_token(email="siti@contoh.id", password="rahasia-panjang-2")
    listed = client.get("/api/v1/auth/tokens", **bearer(issued)).json()
    assert len(listed) == 2
    assert [t["current"] for t in listed if t["device"] == "Aplikasi kios"] == [False]
    assert all(t["expires_at"] for t in listed)
    second_id = next(t["id"] for t in listed if t["device"] == "Aplikasi kios")
    their_id = ApiToken.objects.get(user=other_account).pk
    refused = client.delete(f"/api/v1/auth/tokens/{their_id}", **bearer(issued))
    assert refused.status_code == 404
    assert refused.json()["code"] == "token_not_found"
    assert services.user_for_token(theirs) == other_account
    assert client.delete(f"/api/v1/auth/tokens/{second_id}", **bearer(issued)).status_code == 204
    assert services.user_for_token(second) is None
    assert len(client.get("/api/v1/auth/tokens", **bearer(issued)).json()) == 1


def test_the_devices_page_lists_and_revokes(client, account, issued):
    """ "Perangkat dan token": the account's tokens, each revocable; Indonesian first."""
    from django.conf import settings

    client.force_login(account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = client.get("/accounts/devices/")
    assert page.status_code == 200
    assert "Perangkat dan token" in page.content.decode()
    token_id = ApiToken.objects.get().pk
    response = client.post(f"/accounts/devices/{token_id}/revoke/")
    assert response.status_code == 302
    assert services.user_for_token(issued) is None
    assert "Perangkat dan token" in client.get("/accounts/family/").content.decode()


def test_the_devices_page_revokes_only_the_accounts_own(client, account, other_account, now):
    theirs = services.issue_token(email="siti@contoh.id", password="rahasia-panjang-2")
    client.force_login(account)
    client.post(f"/accounts/devices/{ApiToken.objects.get().pk}/revoke/")
    assert services.user_for_token(theirs) == other_account


def test_the_personal_data_export_lists_the_tokens_devices(client, account, now):
    services.issue_token(email=EMAIL, password=PASSWORD, label="Aplikasi kios")
    token = services.issue_token(email=EMAIL, password=PASSWORD)
    data = client.get("/api/v1/me/data", **bearer(token)).json()
    devices = [t["device"] for t in data["account"]["api_tokens"]]
    assert "Aplikasi kios" in devices and token not in str(data)
