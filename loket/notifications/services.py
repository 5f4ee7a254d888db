"""The outbox: enqueue inside the caller's transaction; deliver from the worker, with retries.

What delivery guarantees: the worker sends a message, then marks it sent in the same transaction
that holds the message's row lock. Two workers never send one message at the same time, but a
worker killed after the send and before its commit sends that message again on the next round:
sending is *at least once*. Every attempt carries the same delivery key (`delivery_key`): the
e-mail's Message-ID, and the reference an SMS/WhatsApp sender hands its gateway. A receiver that
drops a key it has already seen (some mail stores collapse copies of one Message-ID; gateways
that take a client reference drop a repeated one) gets each message exactly once: at-least-once
sending plus an idempotency key is effectively once. A receiver that ignores the key may show a
message twice after such a crash; nothing on this side can prevent that.
"""

import datetime as dt
import io
import logging
from email.mime.image import MIMEImage
from email.utils import parseaddr

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from loket.core import clock
from loket.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def enqueue_message(
    *,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    channel: str = "email",
    qr_payload: str = "",
) -> None:
    """Queue a message in the caller's transaction; a second one with the same key is dropped."""
    OutboxMessage.objects.bulk_create(
        [
            build_message(
                dedupe_key=dedupe_key,
                recipient=recipient,
                subject=subject,
                body=body,
                channel=channel,
                qr_payload=qr_payload,
            )
        ],
        ignore_conflicts=True,
    )


def build_message(
    *,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    channel: str = "email",
    qr_payload: str = "",
) -> OutboxMessage:
    """The outbox row of a message, unsaved: the one builder (insert it ignoring conflicts on
    its dedupe key, as enqueue_message does)."""
    now = clock.now()
    return OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        qr_payload=qr_payload,
        dedupe_key=dedupe_key[:120],
        created_at=now,
        next_attempt_at=now,
    )


def delivery_key(message: OutboxMessage) -> str:
    """The key every delivery attempt of `message` carries: the same on each retry, from any
    worker, so a receiver can drop a repeat. SMS/WhatsApp senders pass it to their gateway as
    the client reference (its deduplication id)."""
    return f"loket-outbox-{message.pk}"


def email_message_id(message: OutboxMessage) -> str:
    """The Message-ID header of the e-mail for `message`: stable across retries (not the random
    one Django would make per attempt), in the sender's own domain."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loket.local"
    return f"<{delivery_key(message)}@{domain}>"


class LoggingSender:
    """Default SMS/WhatsApp sender: writes a line to the log and nothing else."""

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "%s %s to %s: %s",
            message.channel,
            delivery_key(message),
            message.recipient[:3] + "***",
            message.subject,
        )


class PermanentSendError(Exception):
    """A sender's refusal that a retry cannot change: the message is marked failed at once."""


QR_CONTENT_ID = "qr-code"


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for `message`: its text as the plain part, the same text as HTML (links
    clickable), and a booking's QR code inline in the HTML and as an attachment."""
    paragraphs = [p.strip() for p in message.body.split("\n\n") if p.strip()]
    html = render_to_string(
        "notifications/email.html",
        {
            "subject": message.subject,
            "paragraphs": paragraphs,
            "qr_cid": QR_CONTENT_ID if message.qr_payload else "",
            "language": settings.LANGUAGE_CODE,
        },
    )
    email = EmailMultiAlternatives(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        headers={"Message-ID": email_message_id(message)},
    )
    email.attach_alternative(html, "text/html")
    if message.qr_payload:
        image = MIMEImage(qr_png(message.qr_payload), "png")
        image.add_header("Content-ID", f"<{QR_CONTENT_ID}>")
        image.add_header("Content-Disposition", "inline", filename="qr-bukti-pendaftaran.png")
        email.mixed_subtype = "related"
        email.attach(image)
    return email


def _send(message: OutboxMessage) -> None:
    if message.channel == OutboxMessage.Channel.EMAIL:
        build_email(message).send()
        return
    sender_path = getattr(
        settings, "LOKET_SMS_SENDER", "loket.notifications.services.LoggingSender"
    )
    import_string(sender_path)().send(message)


def deliver_due_messages(*, limit: int = 50) -> int:
    """Send due messages. Each is claimed under a row lock: two workers never send one at once.

    A worker killed between a send and its commit leaves the message unsent in the database, so
    it is sent again, with the same delivery key (see the module docstring): at least once.
    """
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
            except Exception as exc:  # any sender failure is retried later, unless final
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= MAX_ATTEMPTS or isinstance(exc, PermanentSendError):
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
