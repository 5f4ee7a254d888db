"""The WhatsApp/SMS gateway sender against a local fake gateway (HTTP JSON on 127.0.0.1)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loket.core import clock
from loket.notifications.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    HttpGatewaySender,
    international_number,
)
from loket.notifications.models import OutboxMessage
from loket.notifications.services import deliver_due_messages, enqueue_message

pytestmark = pytest.mark.django_db


class FakeGateway:
    """Answers each POST with the next (status, delay) in `answers`; records the requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, float]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                gateway.requests.append(
                    {"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
                )
                status, delay = gateway.answers.pop(0) if gateway.answers else (200, 0)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"status": "queued"}')
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.LOKET_SMS_SENDER = "loket.notifications.gateway.HttpGatewaySender"
    settings.LOKET_SMS_GATEWAY_URL = fake.url
    settings.LOKET_SMS_GATEWAY_TOKEN = "rahasia-gateway"
    settings.LOKET_SMS_GATEWAY_TIMEOUT = 0.5
    yield fake
    fake.close()


def sms(now, key="sms-1", channel="whatsapp"):
    enqueue_message(
        dedupe_key=key,
        recipient="0812-3456-7890",
        subject="Pengingat",
        body="Loket: jadwal besok 09:00-10:00 WIB.",
        channel=channel,
    )
    return OutboxMessage.objects.get(dedupe_key=key)


def test_a_message_is_posted_as_json_with_the_token_and_its_delivery_key(gateway, now):
    message = sms(now)
    assert deliver_due_messages() == 1
    (request,) = gateway.requests
    assert request["headers"]["Authorization"] == "Bearer rahasia-gateway"
    assert request["body"] == {
        "to": "+6281234567890",
        "channel": "whatsapp",
        "sender": "LOKET",
        "text": "Loket: jadwal besok 09:00-10:00 WIB.",
        "reference": f"loket-outbox-{message.pk}",
    }
    assert request["headers"]["Idempotency-Key"] == f"loket-outbox-{message.pk}"
    message.refresh_from_db()
    assert message.sent_at is not None


def test_a_busy_gateway_is_retried_later_with_the_same_reference(gateway, now):
    message = sms(now)
    gateway.answers = [(503, 0)]
    assert deliver_due_messages() == 0
    message.refresh_from_db()
    assert message.sent_at is None and message.failed_at is None
    assert "GatewayUnavailable: HTTP 503" in message.last_error
    with clock.frozen_at(message.next_attempt_at):
        assert deliver_due_messages() == 1
    first, second = gateway.requests
    assert first["body"]["reference"] == second["body"]["reference"]


def test_a_gateway_that_does_not_answer_in_time_is_retried(gateway, now):
    message = sms(now)
    gateway.answers = [(200, 1.5)]  # longer than the 0.5 s timeout
    started = time.monotonic()
    assert deliver_due_messages() == 0
    assert time.monotonic() - started < 1.4
    message.refresh_from_db()
    assert "no answer within" in message.last_error and message.failed_at is None


def test_a_refused_message_fails_at_once(gateway, now):
    """A 4xx (a wrong number, bad credentials) cannot succeed by retrying: no retry storm."""
    message = sms(now)
    gateway.answers = [(400, 0)]
    deliver_due_messages()
    message.refresh_from_db()
    assert message.failed_at is not None and message.attempts == 1
    assert "GatewayRefused: HTTP 400" in message.last_error


def test_an_unreachable_gateway_is_retried(settings, now):
    settings.LOKET_SMS_SENDER = "loket.notifications.gateway.HttpGatewaySender"
    settings.LOKET_SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    message = sms(now)
    assert deliver_due_messages() == 0
    message.refresh_from_db()
    assert "GatewayUnavailable" in message.last_error and message.failed_at is None


def test_without_a_url_the_sender_refuses(settings, now):
    settings.LOKET_SMS_GATEWAY_URL = ""
    with pytest.raises(GatewayRefused):
        HttpGatewaySender().send(sms(now))
    with pytest.raises(GatewayUnavailable):
        HttpGatewaySender(url="http://127.0.0.1:9/", timeout=0.2).send(sms(now, key="sms-2"))


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("081234567890", "+6281234567890"),
        ("0812 3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+65 9123 4567", "+6591234567"),
    ],
)
def test_numbers_are_sent_in_international_form(raw, number):
    assert international_number(raw) == number
