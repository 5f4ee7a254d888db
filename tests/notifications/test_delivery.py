"""Delivery from the outbox: pluggable SMS senders, retries with backoff, never twice."""

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connection

from loket.core import clock
from loket.notifications.models import OutboxMessage
from loket.notifications.services import MAX_ATTEMPTS, deliver_due_messages, enqueue_message
from tests.conftest import DEFAULT_NOW

SENT: list[tuple[int, str]] = []
_lock = threading.Lock()


class RecordingSender:
    """Records each message it sends."""

    def send(self, message):
        with _lock:
            SENT.append((message.pk, message.recipient))


class FailingSender:
    """Fails while `failures_left` > 0 (a gateway that is down), then sends."""

    failures_left = 0

    def send(self, message):
        if FailingSender.failures_left > 0:
            FailingSender.failures_left -= 1
            raise ConnectionError("gateway down")
        RecordingSender().send(message)


class SlowSender:
    """Takes its time, so that two workers overlap."""

    def send(self, message):
        time.sleep(0.02)
        RecordingSender().send(message)


@pytest.fixture(autouse=True)
def _reset():
    SENT.clear()
    FailingSender.failures_left = 0


def sms(key="sms:1", recipient="081234567890"):
    enqueue_message(
        dedupe_key=key, recipient=recipient, subject="Pengingat", body="Besok", channel="sms"
    )
    return OutboxMessage.objects.get(dedupe_key=key)


@pytest.mark.django_db
def test_sms_goes_through_the_configured_sender(settings, now):
    settings.LOKET_SMS_SENDER = f"{__name__}.RecordingSender"
    message = sms()
    assert deliver_due_messages() == 1
    assert SENT == [(message.pk, "081234567890")]
    message.refresh_from_db()
    assert message.sent_at == now and message.attempts == 1


@pytest.mark.django_db
def test_the_logging_sender_never_logs_the_full_phone_number(settings, now, caplog):
    settings.LOKET_SMS_SENDER = "loket.notifications.services.LoggingSender"
    sms()
    with caplog.at_level(logging.INFO, logger="loket.notifications.services"):
        assert deliver_due_messages() == 1
    assert caplog.records, "the logging sender writes a line"
    assert "081234567890" not in caplog.text
    assert "4567890" not in caplog.text


@pytest.mark.django_db
def test_a_failing_sender_is_retried_with_growing_waits(settings, now):
    """Each failure waits longer (2, 4, 8 minutes); nothing is tried before its time."""
    settings.LOKET_SMS_SENDER = f"{__name__}.FailingSender"
    FailingSender.failures_left = 3
    message = sms()
    waits = []
    moment = DEFAULT_NOW
    for _ in range(3):
        with clock.frozen_at(moment):
            assert deliver_due_messages() == 0
        message.refresh_from_db()
        waits.append(message.next_attempt_at - moment)
        assert "gateway down" in message.last_error
        with clock.frozen_at(message.next_attempt_at - dt.timedelta(seconds=1)):
            assert deliver_due_messages() == 0  # not yet due: not tried
        moment = message.next_attempt_at
    assert waits == [dt.timedelta(minutes=2), dt.timedelta(minutes=4), dt.timedelta(minutes=8)]
    assert FailingSender.failures_left == 0
    with clock.frozen_at(moment):
        assert deliver_due_messages() == 1
    message.refresh_from_db()
    assert message.sent_at == moment and message.attempts == 4
    # Once sent, never again.
    with clock.frozen_at(moment + dt.timedelta(days=1)):
        assert deliver_due_messages() == 0
    assert SENT == [(message.pk, "081234567890")]


@pytest.mark.django_db
def test_a_message_that_keeps_failing_is_given_up_and_kept(settings, now):
    settings.LOKET_SMS_SENDER = f"{__name__}.FailingSender"
    FailingSender.failures_left = 1000
    message = sms()
    moment = DEFAULT_NOW
    for _ in range(MAX_ATTEMPTS):
        with clock.frozen_at(moment):
            deliver_due_messages()
        message.refresh_from_db()
        moment = message.next_attempt_at
    assert message.failed_at is not None and message.sent_at is None
    assert message.attempts == MAX_ATTEMPTS
    with clock.frozen_at(moment + dt.timedelta(days=30)):
        assert deliver_due_messages() == 0
    assert SENT == []


@pytest.mark.django_db
def test_enqueueing_the_same_message_twice_sends_it_once(settings, now):
    settings.LOKET_SMS_SENDER = f"{__name__}.RecordingSender"
    sms(key="same")
    sms(key="same")
    deliver_due_messages()
    deliver_due_messages()
    assert len(SENT) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_never_send_a_message_twice(settings, now):
    """Two workers drain one outbox at once: every message is sent exactly once."""
    settings.LOKET_SMS_SENDER = f"{__name__}.SlowSender"
    for i in range(40):
        enqueue_message(
            dedupe_key=f"parallel:{i}",
            recipient=f"08123456{i:04d}",
            subject="",
            body="x",
            channel="sms",
        )
    barrier = threading.Barrier(2)
    errors = []
    done_by = {}

    def worker(name):
        try:
            barrier.wait()
            done_by[name] = 0
            while sent := deliver_due_messages(limit=5):
                done_by[name] += sent
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    sent_ids = [pk for pk, _recipient in SENT]
    assert len(sent_ids) == 40
    assert len(set(sent_ids)) == 40
    assert sum(done_by.values()) == 40
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
