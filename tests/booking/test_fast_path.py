"""The booking fast path: cached configuration, the "full" flag, overload answers."""

import datetime as dt
import importlib.util
import json
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from loket.booking import config_cache, services
from loket.capacity import services as ledger
from loket.capacity.services import QuotaExhausted
from loket.offices.models import CapacityOverride
from tests.helpers import THURSDAY, WEDNESDAY, book, slot_of


@pytest.fixture
def one_place(online):
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    return dt.time(8, 0)


@pytest.fixture(autouse=True)
def _shared_cache_flag(settings):
    """The flag is on with a shared cache (Redis); the tests' in-process cache stands in."""
    settings.LOKET_FULL_FLAG = True


def test_a_full_window_is_flagged_and_then_refused_without_a_query(
    online, account, other_account, one_place
):
    book(account, online, day=THURSDAY, window=one_place)
    with pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    slot = slot_of(online, THURSDAY, one_place)
    assert ledger.is_marked_full(slot.pk)
    with CaptureQueriesContext(connection) as queries, pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    assert len(queries) == 0


def test_freeing_a_place_clears_the_flag_when_it_commits(
    online, account, other_account, one_place, django_capture_on_commit_callbacks
):
    first = book(account, online, day=THURSDAY, window=one_place)
    with pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.cancel_booking(account=account, code=first.code)
    assert ledger.is_marked_full(first.slot_id)  # not before the commit
    for callback in pending:
        callback()
    assert not ledger.is_marked_full(first.slot_id)
    second = book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    assert second.slot_id == first.slot_id


def test_a_flag_set_by_a_refusal_that_raced_a_release_is_ignored(online, account, one_place):
    """The refusal read version 0; a release committed since (version 1): no longer full."""
    slot = ledger.get_slot(channel=online, day=THURSDAY, window_start=one_place)
    full, version = ledger.full_state(slot.pk)
    assert (full, version) == (False, 0)
    ledger._bump(slot.pk)  # the release's commit
    ledger.mark_full(slot.pk, version)  # the refusal, late
    assert not ledger.is_marked_full(slot.pk)
    assert book(account, online, day=THURSDAY, window=one_place).slot_id == slot.pk


def test_a_stale_flag_lasts_at_most_its_bound(settings, online, account, one_place):
    """A flag no release voided (e.g. the ledger row edited by hand) stops refusing after
    LOKET_FULL_FLAG_SECONDS."""
    settings.LOKET_FULL_FLAG_SECONDS = 1
    slot = ledger.get_slot(channel=online, day=THURSDAY, window_start=one_place)
    ledger.mark_full(slot.pk, 0)
    with pytest.raises(QuotaExhausted):
        book(account, online, day=THURSDAY, window=one_place)
    time.sleep(1.1)
    assert book(account, online, day=THURSDAY, window=one_place).slot_id == slot.pk


def test_a_booking_takes_few_statements(online, account):
    book(account, online, serial=1)  # warms the configuration cache
    with CaptureQueriesContext(connection) as queries:
        book(account, online, serial=2)
    # 15 with the person's live-place claim (one INSERT; on PostgreSQL in the booking's batch).
    assert len(queries) <= 15, [q["sql"][:60] for q in queries.captured_queries]


def test_a_configuration_change_is_seen_at_once(online, account):
    book(account, online, serial=1)
    CapacityOverride.objects.create(channel=online, date=WEDNESDAY, capacity=0)
    with pytest.raises(services.OfficeClosed):
        book(account, online, serial=2)


def test_the_cached_configuration_follows_the_shared_version(online):
    plan = config_cache.day_plan(online, WEDNESDAY)
    assert config_cache.day_plan(online, WEDNESDAY) is plan
    config_cache.invalidate()
    assert config_cache.day_plan(online, WEDNESDAY) is not plan


def _booking_body():
    return json.dumps(
        {
            "office": "KRW",
            "channel": "online",
            "date": WEDNESDAY.isoformat(),
            "window": "09:00",
            "application_type": "new",
            "purpose": "tourism",
            "passport_type": "ordinary",
            "applicant": {
                "nik": "3215011205900001",
                "name": "Budi",
                "birth_date": "1990-05-12",
                "sex": "M",
                "phone": "081234567890",
                "domicile_regency": "32.15",
            },
        }
    )


def test_a_database_failure_is_a_503_with_retry_after_on_the_api(client, online, auth, monkeypatch):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "book_appointment", down)
    r = client.post("/api/v1/bookings", _booking_body(), "application/json", **auth)
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert r.json()["code"] == "service_unavailable"


def test_a_database_failure_is_a_calm_page_on_the_website(client, online, monkeypatch):
    from loket.web.views import booking as web_booking

    def down(*args, **kwargs):
        raise OperationalError("too many clients")

    monkeypatch.setattr(web_booking, "office_and_channel", down)
    r = client.get(f"/book/KRW/online/{WEDNESDAY.isoformat()}/")
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert b"Many people are using Loket right now" in r.content
    assert b"<script" not in r.content and b"style=" not in r.content


def test_a_booking_is_limited_per_nik(settings, client, online, auth):
    settings.LOKET_RATE_LIMITS_ENABLED = True
    settings.LOKET_RATE_LIMITS = {**settings.LOKET_RATE_LIMITS, "api_booking_nik": "2/m"}
    # Spaces around or inside the NIK do not make it another NIK for the count.
    spelled = ["3215011205900001", " 3215011205900001", "3215 0112 0590 0001"]
    answers = [
        client.post(
            "/api/v1/bookings",
            _booking_body().replace('"3215011205900001"', json.dumps(nik)),
            "application/json",
            **auth,
        )
        for nik in spelled
    ]
    assert answers[2].status_code == 429
    assert "Retry-After" in answers[2]


def test_the_production_gunicorn_configuration_loads(monkeypatch):
    monkeypatch.setenv("LOKET_GUNICORN_WORKERS", "3")
    monkeypatch.delenv("LOKET_GUNICORN_THREADS", raising=False)
    path = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.workers == 3 and module.threads == 4 and module.worker_class == "gthread"
    assert module.preload_app is True
    from gunicorn.config import Config

    config = Config()
    for name in ("workers", "bind", "timeout", "max_requests", "preload_app", "backlog"):
        config.set(name, getattr(module, name))
    assert config.workers == 3
    assert callable(module.post_fork)


def test_an_unreachable_cache_only_costs_speed(
    monkeypatch, online, account, other_account, one_place, django_capture_on_commit_callbacks
):
    """Redis down: bookings, refusals and cancellations still work, decided by the ledger."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "get_many", "set", "add", "incr", "delete"):
        monkeypatch.setattr(cache, name, down)
    first = book(account, online, day=THURSDAY, window=one_place)
    with pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(account=account, code=first.code)
    assert book(other_account, online, day=THURSDAY, window=one_place, serial=2)


def _full_window_body(window: dt.time, **changes) -> str:
    body = json.loads(_booking_body())
    body.update({"date": THURSDAY.isoformat(), "window": f"{window:%H:%M}", **changes})
    return json.dumps(body)


def _flag_full(online, account, other_account, window):
    config_cache.channel_by_codes("KRW", "online")  # as any booking through the API does
    book(account, online, day=THURSDAY, window=window)
    with pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=window, serial=2)


def test_a_flagged_full_window_is_refused_before_authentication(
    client, online, account, other_account, one_place
):
    """Release day's commonest answer costs no query: not even the token's."""
    _flag_full(online, account, other_account, one_place)
    with CaptureQueriesContext(connection) as queries:
        r = client.post("/api/v1/bookings", _full_window_body(one_place), "application/json")
    assert r.status_code == 409 and r.json()["code"] == "quota_exhausted"
    assert r["Content-Type"] == "application/json; charset=utf-8"
    assert len(queries) == 0


def test_the_early_refusal_leaves_other_answers_alone(
    client, online, account, other_account, one_place
):
    _flag_full(online, account, other_account, one_place)
    post = client.post
    # A window that is not flagged, a walk-in-only application, a retry with an
    # Idempotency-Key (which must replay its first answer): the full path, here a 401.
    for body, headers in (
        (_full_window_body(dt.time(9, 0)), {}),
        (_full_window_body(one_place, application_type="lost"), {}),
        (_full_window_body(one_place), {"HTTP_IDEMPOTENCY_KEY": "k-1"}),
        ("{not json", {}),
    ):
        r = post("/api/v1/bookings", body, "application/json", **headers)
        assert r.status_code in (400, 401), (body, r.content)


def test_a_freed_place_is_booked_past_the_early_refusal(
    client, online, account, other_account, one_place, auth, django_capture_on_commit_callbacks
):
    first = book(account, online, day=THURSDAY, window=one_place)
    with pytest.raises(QuotaExhausted):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
    config_cache.channel_by_codes("KRW", "online")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(account=account, code=first.code)
    body = json.loads(_full_window_body(one_place))
    body["applicant"].update(nik=first.nik, name=first.applicant.name)
    r = client.post("/api/v1/bookings", json.dumps(body), "application/json", **auth)
    assert r.status_code == 201, r.content


def test_the_booking_limits_are_counted_in_one_cache_round_trip(settings, monkeypatch):
    """Fixed windows: every limit of the request in one pipeline (here counted by call)."""
    from loket.core import ratelimit

    calls = []
    real = ratelimit._incr
    monkeypatch.setattr(ratelimit, "_incr", lambda *a: calls.append(a) or real(*a))
    limits = [("a:1", "2/m"), ("b:1", "5/h")]
    assert ratelimit.hit(limits) is None
    assert ratelimit.hit(limits) is None
    wait = ratelimit.hit(limits)
    assert wait is not None and 0 < wait <= 60
    assert len(calls) == 6
    assert ratelimit.parse_rate("5/10m") == (5, 600)


def _redis_url():
    import os

    import redis

    url = os.environ.get("LOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


def test_the_limits_are_one_redis_pipeline_when_redis_is_the_cache(settings, monkeypatch):
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis at LOKET_TEST_REDIS_URL")
    import uuid

    import redis

    from loket.core import ratelimit

    settings.CACHES = {"default": {"BACKEND": "loket.core.redis_cache.RedisCache", "LOCATION": url}}
    executed = []
    real = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline, "execute", lambda self, *a, **k: executed.append(1) or real(self)
    )
    monkeypatch.setattr(ratelimit, "_incr", lambda *a: pytest.fail("not the Redis path"))
    key = f"test:{uuid.uuid4().hex}"
    limits = [(f"{key}:a", "2/m"), (f"{key}:b", "9/m")]
    assert ratelimit.hit(limits) is None
    assert ratelimit.hit(limits) is None
    assert 0 < ratelimit.hit(limits) <= 60
    assert executed == [1, 1, 1]
