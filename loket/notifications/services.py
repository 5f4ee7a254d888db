"""The outbox: enqueue inside the caller's transaction; deliver from the worker, with retries."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

from loket.core import clock
from loket.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def enqueue_message(
    *, dedupe_key: str, recipient: str, subject: str, body: str, channel: str = "email"
) -> None:
    now = clock.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=channel,
                recipient=recipient,
                subject=subject[:200],
                body=body,
                dedupe_key=dedupe_key[:120],
                created_at=now,
                next_attempt_at=now,
            )
        ],
        ignore_conflicts=True,
    )


class LoggingSender:
    """Default SMS/WhatsApp sender: writes a line to the log and nothing else."""

    def send(self, message: OutboxMessage) -> None:
        log.info("%s to %s: %s", message.channel, message.recipient[:3] + "***", message.subject)


def _send(message: OutboxMessage) -> None:
    if message.channel == OutboxMessage.Channel.EMAIL:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
        return
    sender_path = getattr(
        settings, "LOKET_SMS_SENDER", "loket.notifications.services.LoggingSender"
    )
    import_string(sender_path)().send(message)


def deliver_due_messages(*, limit: int = 50) -> int:
    """Send due messages. Each is claimed under a row lock: two workers never send one twice."""
    delivered = 0
    for _ in range(limit):
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(
                    sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=clock.now()
                )
                .order_by("next_attempt_at", "id")
                .first()
            )
            if message is None:
                break
            try:
                _send(message)
            except Exception as exc:  # any sender failure is retried later
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.failed_at = clock.now()
                else:
                    message.next_attempt_at = clock.now() + dt.timedelta(
                        minutes=2**message.attempts
                    )
                message.save(
                    update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"]
                )
                log.warning("outbox message %s failed: %s", message.pk, message.last_error)
                continue
            message.attempts += 1
            message.sent_at = clock.now()
            message.save(update_fields=["attempts", "sent_at"])
            delivered += 1
    return delivered
