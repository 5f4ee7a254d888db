"""A WhatsApp/SMS sender for a real gateway: one HTTP JSON POST per message.

Configured by settings: LOKET_SMS_GATEWAY_URL, LOKET_SMS_GATEWAY_TOKEN (sent as a bearer
token), LOKET_SMS_GATEWAY_SENDER_ID and LOKET_SMS_GATEWAY_TIMEOUT (seconds). The body is

    {"to": "+6281234567890", "channel": "sms" | "whatsapp", "sender": "LOKET",
     "text": "...", "reference": "loket-outbox-42"}

`reference` is the outbox's delivery key, the same on every retry, for a gateway that drops
repeats. A 2xx answer is sent; a timeout, a refused connection, 429 or 5xx raise
`GatewayUnavailable` (the outbox retries later); another 4xx raises `GatewayRefused` (the outbox
gives up at once: retrying the same request cannot succeed).
"""

import json
import urllib.error
import urllib.request

from django.conf import settings

from loket.notifications.models import OutboxMessage
from loket.notifications.services import PermanentSendError, delivery_key


class GatewayUnavailable(Exception):
    """The gateway did not take the message now; try again later."""


class GatewayRefused(PermanentSendError):
    """The gateway refused the message itself (bad number, bad request, bad credentials)."""


def international_number(phone: str) -> str:
    """'0812 3456-7890' -> '+6281234567890' (Indonesian numbers; others kept with their +)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("62"):
        return "+" + digits
    return "+" + digits


class HttpGatewaySender:
    def __init__(self, *, url=None, token=None, sender_id=None, timeout=None, opener=None):
        self.url = url if url is not None else settings.LOKET_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.LOKET_SMS_GATEWAY_TOKEN
        self.sender_id = sender_id or getattr(settings, "LOKET_SMS_GATEWAY_SENDER_ID", "LOKET")
        self.timeout = timeout or getattr(settings, "LOKET_SMS_GATEWAY_TIMEOUT", 10.0)
        self.opener = opener or urllib.request.build_opener()

    def payload(self, message: OutboxMessage) -> dict:
        return {
            "to": international_number(message.recipient),
            "channel": message.channel,
            "sender": self.sender_id,
            "text": message.body,
            "reference": delivery_key(message),
        }

    def send(self, message: OutboxMessage) -> None:
        if not self.url:
            raise GatewayRefused("LOKET_SMS_GATEWAY_URL is not set")
        request = urllib.request.Request(
            self.url,
            data=json.dumps(self.payload(message)).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
                "Idempotency-Key": delivery_key(message),
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace")
            if exc.code in (408, 425, 429) or exc.code >= 500:
                raise GatewayUnavailable(f"HTTP {exc.code}: {detail}") from None
            raise GatewayRefused(f"HTTP {exc.code}: {detail}") from None
        except TimeoutError as exc:
            raise GatewayUnavailable(f"no answer within {self.timeout}s") from exc
        except urllib.error.URLError as exc:
            raise GatewayUnavailable(f"cannot reach the gateway: {exc.reason}") from None
