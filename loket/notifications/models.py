from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message written in the transaction that caused it, delivered later by the worker.

    `dedupe_key` makes enqueueing the same message twice a no-op; `sent_at` is set once.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", "WhatsApp"

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # A booking's signed QR payload: the e-mail carries the QR code (inline and attached).
    qr_payload = models.TextField(blank=True, default="")
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms", "whatsapp"]), name="outbox_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.subject or self.body[:40]}"
