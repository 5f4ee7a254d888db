"""Abuse resistance: lockout after failed logins, rate limits on the website and the API."""

import datetime as dt
import json

import axes.handlers.proxy as axes_proxy
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loket.accounts.services import create_verified_account

PASSWORD = "rahasia-panjang-1"  # the `account` fixture's
TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture(autouse=True)
def _abuse_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def limits(settings):
    """Rate limits switched on (they are off under the test runner), all generous."""
    settings.LOKET_RATE_LIMITS_ENABLED = True
    settings.LOKET_RATE_LIMITS = {scope: "1000/m" for scope in settings.LOKET_RATE_LIMITS}

    def set_rate(scope, rate):
        settings.LOKET_RATE_LIMITS = {**settings.LOKET_RATE_LIMITS, scope: rate}

    return set_rate


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def ask_token(password, *, ip="10.0.0.1", email="budi@contoh.id"):
    return post_json(Client(REMOTE_ADDR=ip), TOKEN_URL, {"email": email, "password": password})


def web_login(client, password, email="budi@contoh.id"):
    return client.post(reverse("web:login"), {"username": email, "password": password})


# --- Lockout --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_token_locks_after_five_failures_for_that_address_only(account):
    """The fifth wrong password locks the (e-mail, IP) pair: even the right one gets 429."""
    for _ in range(4):
        assert ask_token("salah-salah").status_code == 401
    assert ask_token("salah-salah").status_code == 429
    locked = ask_token(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert locked.json()["detail"]
    assert locked["Retry-After"] == "900"
    # Another address is not locked out of the account.
    assert ask_token(PASSWORD, ip="10.0.0.2").status_code == 200


@pytest.mark.django_db
def test_api_lockout_counts_the_address_whatever_its_case(account):
    """`BUDI@contoh.id` and `budi@contoh.id ` are one account for the count."""
    for email in ["BUDI@contoh.id", "budi@contoh.id ", "Budi@Contoh.id", "budi@contoh.id"] * 2:
        ask_token("salah-salah", email=email)
    assert ask_token(PASSWORD).status_code == 429


@pytest.mark.django_db
def test_api_lockout_ends_after_the_cool_off(account, monkeypatch):
    """After 15 minutes the pair may try again."""
    for _ in range(5):
        ask_token("salah-salah")
    assert ask_token(PASSWORD).status_code == 429
    later = timezone.now() + dt.timedelta(minutes=16)
    # Axes stamps each request with django.utils.timezone.now (not the project clock).
    monkeypatch.setattr(axes_proxy, "now", lambda: later)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert ask_token(PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_successful_website_login_resets_the_count(client, account):
    """Four mistakes, a log-in, four more mistakes: still not locked."""
    for _ in range(4):
        web_login(client, "salah-salah")
    assert web_login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        web_login(client, "salah-salah")
    assert web_login(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_website_login_locks_with_a_calm_page(client, account):
    """At the fifth wrong password the website shows a page that explains, with status 429."""
    for _ in range(4):
        response = web_login(client, "salah-salah")
        assert response.status_code == 200  # the form again, with its error
    assert web_login(client, "salah-salah").status_code == 429
    response = web_login(client, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert "Log-in paused for a while" in html
    assert "15 minutes" in html
    assert reverse("web:password_reset") in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_website_and_api_share_the_count(client, account):
    """Failures on the website and on the API add up for the same address."""
    for _ in range(3):
        web_login(client, "salah-salah")
    for _ in range(2):
        post_json(client, TOKEN_URL, {"email": "budi@contoh.id", "password": "salah-salah"})
    assert post_json(client, TOKEN_URL, {"email": "budi@contoh.id", "password": PASSWORD}).json()[
        "code"
    ] == ("account_locked")


@pytest.mark.django_db
def test_lockout_page_is_in_indonesian_by_default(account):
    client = Client()
    for _ in range(6):
        response = web_login(client, "salah-salah")
    assert response.status_code == 429
    assert response["Content-Language"] == "id"


# --- API rate limits ------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_endpoint_is_rate_limited_per_ip(account, limits):
    limits("api_token", "3/m")
    for _ in range(3):
        assert ask_token(PASSWORD).status_code == 200
    refused = ask_token(PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert ask_token(PASSWORD, ip="10.0.0.9").status_code == 200


@pytest.mark.django_db
def test_a_throttled_call_answers_with_the_rate_limited_code(account, limits):
    limits("api_token", "1/m")
    ask_token(PASSWORD)
    refused = ask_token(PASSWORD)
    assert refused.json()["code"] == "rate_limited"
    assert refused["Retry-After"]


@pytest.mark.parametrize(
    "scope,url,body",
    [
        ("api_register", "/api/v1/auth/register", {"email": "x@contoh.id", "password": "kuda-7x"}),
        ("api_verify", "/api/v1/auth/verify", {"email": "x@contoh.id", "code": "123456"}),
        ("api_resend", "/api/v1/auth/resend-code", {"email": "x@contoh.id"}),
    ],
)
@pytest.mark.django_db
def test_other_auth_endpoints_are_rate_limited_per_ip(limits, now, scope, url, body):
    limits(scope, "2/h")
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(2):
        assert post_json(client, url, body).status_code != 429
    refused = post_json(client, url, body)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


@pytest.mark.django_db
def test_booking_is_rate_limited_per_account_not_per_ip(account, other_account, office, limits):
    """Many accounts behind one address each keep their own allowance."""
    from loket.accounts.services import issue_token

    limits("api_booking", "2/m")
    first = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(email=account.email, password=PASSWORD)}"}
    second_token = issue_token(email=other_account.email, password="rahasia-panjang-2")
    second = {"HTTP_AUTHORIZATION": f"Bearer {second_token}"}
    client = Client()  # one IP for both
    for _ in range(2):
        assert post_json(client, "/api/v1/bookings", {}, **first).status_code != 429
    refused = post_json(client, "/api/v1/bookings", {}, **first)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert post_json(client, "/api/v1/bookings", {}, **second).status_code != 429


@pytest.mark.django_db
def test_rate_limits_are_off_unless_switched_on(account, settings):
    """The test runner's default: the rest of the suite is never throttled."""
    assert settings.LOKET_RATE_LIMITS_ENABLED is False
    for _ in range(25):
        assert ask_token(PASSWORD).status_code == 200


# --- Website rate limits --------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_is_rate_limited_with_a_calm_page(client, limits, now):
    limits("web_register", "2/h")
    for i in range(2):
        response = client.post(
            reverse("web:register"), {"email": f"a{i}@contoh.id", "password": "kopi-tubruk-1990"}
        )
        assert response.status_code == 302
    response = client.post(
        reverse("web:register"), {"email": "a9@contoh.id", "password": "kopi-tubruk-1990"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Please wait a moment" in response.content.decode()
    # Reading the page is not counted.
    assert client.get(reverse("web:register")).status_code == 200


@pytest.mark.django_db
def test_login_is_rate_limited_per_ip(client, account, limits):
    limits("web_login", "3/m")
    for _ in range(3):
        assert web_login(client, PASSWORD).status_code == 302
        client.logout()
    assert web_login(client, PASSWORD).status_code == 429
    assert web_login(Client(REMOTE_ADDR="10.2.2.2"), PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_website_counts_with_the_api_s_rate_limiter(client, account, limits, monkeypatch):
    """One mechanism: the website's forms are counted by loket.core.ratelimit, like the API,
    under their own scope and the client's address."""
    from loket.core import ratelimit

    counted = []
    real = ratelimit.hit
    monkeypatch.setattr(ratelimit, "hit", lambda limits: counted.append(limits) or real(limits))
    limits("web_login", "3/m")
    assert web_login(client, PASSWORD).status_code == 302
    assert counted == [[("web_login:ip:127.0.0.1", "3/m")]]


@pytest.mark.django_db
def test_a_cache_that_is_down_does_not_stop_the_website(client, account, limits, monkeypatch):
    """The counters only shape load: with the cache unreachable, log-in still works (as the
    API does), never a 500."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "incr", down)
    assert web_login(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "scope,name,data",
    [
        ("web_verify", "web:verify", {"email": "x@contoh.id", "code": "123456"}),
        ("web_resend", "web:resend_code", {"email": "x@contoh.id"}),
    ],
)
@pytest.mark.django_db
def test_verification_is_rate_limited(client, limits, scope, name, data):
    limits(scope, "2/h")
    for _ in range(2):
        assert client.post(reverse(name), data).status_code != 429
    assert client.post(reverse(name), data).status_code == 429


@pytest.mark.django_db
def test_booking_confirmation_is_rate_limited_per_account(web, other_account, limits):
    limits("web_booking", "2/m")
    for _ in range(2):
        assert web.post(reverse("web:check")).status_code == 302
    assert web.post(reverse("web:check")).status_code == 429
    other = Client()
    other.force_login(other_account)
    assert other.post(reverse("web:check")).status_code == 302


@pytest.mark.django_db
def test_a_new_account_can_register_after_a_lockout_elsewhere(client, account):
    """The lockout of one account does not stop another from logging in from that address."""
    create_verified_account(email="ani@contoh.id", password="kopi-tubruk-1990")
    for _ in range(6):
        web_login(client, "salah-salah")
    assert web_login(client, "kopi-tubruk-1990", email="ani@contoh.id").status_code == 302


# --- The client's address behind proxies ------------------------------------------------------


def ask_token_via(password, *, ip="10.0.0.1", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return post_json(
        Client(REMOTE_ADDR=ip),
        TOKEN_URL,
        {"email": "budi@contoh.id", "password": password},
        **headers,
    )


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_rate_limit(account, limits):
    """With no trusted proxy, X-Forwarded-For is ignored: a client writing its own address in
    it is still counted by its real one."""
    limits("api_token", "2/m")
    answers = [ask_token_via(PASSWORD, forwarded=f"198.51.100.{i}").status_code for i in range(3)]
    assert answers == [200, 200, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_address_counts(account, limits, settings):
    """Behind one proxy, every client arrives from the proxy's address: each is counted by the
    address the proxy wrote, not the proxy's, and entries the client wrote are ignored."""
    settings.LOKET_TRUSTED_PROXIES = 1
    limits("api_token", "2/m")
    proxy = "10.9.9.9"
    for _ in range(2):
        assert ask_token_via(PASSWORD, ip=proxy, forwarded="203.0.113.7").status_code == 200
    refused = ask_token_via(PASSWORD, ip=proxy, forwarded="1.2.3.4, 203.0.113.7")
    assert refused.status_code == 429
    assert ask_token_via(PASSWORD, ip=proxy, forwarded="203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_the_lockout_counts_the_client_behind_a_trusted_proxy(account, settings):
    """Five wrong passwords lock that client's address, not every client of the proxy."""
    settings.LOKET_TRUSTED_PROXIES = 1
    for _ in range(5):
        ask_token_via("salah-salah", ip="10.9.9.9", forwarded="203.0.113.7")
    assert ask_token_via(PASSWORD, ip="10.9.9.9", forwarded="203.0.113.7").status_code == 429
    assert ask_token_via(PASSWORD, ip="10.9.9.9", forwarded="203.0.113.8").status_code == 200


def test_the_client_address_is_a_valid_address_or_none(settings):
    """Garbage in the header or no address at all never reaches the lockout's address column."""
    from django.test import RequestFactory

    from loket.core.client_ip import client_ip

    settings.LOKET_TRUSTED_PROXIES = 1
    factory = RequestFactory()
    assert client_ip(factory.get("/", HTTP_X_FORWARDED_FOR="unknown, <script>")) == "127.0.0.1"
    assert client_ip(factory.get("/", HTTP_X_FORWARDED_FOR=" 203.0.113.7 ")) == "203.0.113.7"
    request = factory.get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) is None
