"""Every delivery attempt of an outbox message carries the same key, so a resend can be dropped."""

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from loket.core import clock
from loket.notifications.models import OutboxMessage
from loket.notifications.services import (
    deliver_due_messages,
    delivery_key,
    email_message_id,
    enqueue_message,
)


class DeliversThenTimesOut(EmailBackend):
    """An SMTP server that accepts the message, then the connection times out before the
    answer reaches the worker: the worker cannot know it was delivered."""

    timeouts_left = 1

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if DeliversThenTimesOut.timeouts_left:
            DeliversThenTimesOut.timeouts_left -= 1
            raise TimeoutError("no answer after DATA")
        return sent


@pytest.mark.django_db
def test_an_email_carries_a_message_id_derived_from_its_outbox_row(settings, now):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Loket <no-reply@kanim-karawang.go.id>"
    enqueue_message(dedupe_key="k:1", recipient="budi@contoh.id", subject="Halo", body="Isi")
    message = OutboxMessage.objects.get(dedupe_key="k:1")
    assert deliver_due_messages() == 1
    assert (
        mail.outbox[0].message()["Message-ID"]
        == f"<loket-outbox-{message.pk}@kanim-karawang.go.id>"
    )
    assert email_message_id(message) == mail.outbox[0].message()["Message-ID"]
    assert delivery_key(message) == f"loket-outbox-{message.pk}"


@pytest.mark.django_db
def test_a_resent_email_carries_the_same_message_id(settings, now):
    """Sending is at least once: a delivery the worker could not confirm is sent again later,
    with the same Message-ID, so the receiver can tell it is the same message."""
    settings.EMAIL_BACKEND = f"{__name__}.DeliversThenTimesOut"
    DeliversThenTimesOut.timeouts_left = 1
    enqueue_message(dedupe_key="k:2", recipient="budi@contoh.id", subject="Halo", body="Isi")
    message = OutboxMessage.objects.get(dedupe_key="k:2")
    assert deliver_due_messages() == 0
    message.refresh_from_db()
    with clock.frozen_at(message.next_attempt_at):
        assert deliver_due_messages() == 1
    assert len(mail.outbox) == 2
    assert {m.message()["Message-ID"] for m in mail.outbox} == {email_message_id(message)}
