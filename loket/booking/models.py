from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loket.offices.models import ApplicationType, PassportType


class Purpose(models.TextChoices):
    TOURISM = "tourism", _("tourism")
    UMRAH = "umrah", _("umrah")
    HAJJ = "hajj", _("hajj")
    WORK = "work", _("formal work")
    MIGRANT_WORKER = "migrant_worker", _("migrant worker (PMI)")
    STUDY = "study", _("study")
    MEDICAL = "medical", _("medical treatment")
    APPRENTICESHIP = "apprenticeship", _("apprenticeship")
    FAMILY_VISIT = "family_visit", _("family visit")
    BUSINESS = "business", _("business")
    OTHER = "other", _("other")


class BookingStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
    CONFIRMED = "confirmed", _("confirmed")
    CHECKED_IN = "checked_in", _("checked in")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired (unpaid)")
    NO_SHOW = "no_show", _("no-show")


# A booking in one of these holds a place in the ledger, and is the NIK's one active booking.
ACTIVE_STATUSES = [
    BookingStatus.AWAITING_PAYMENT,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
]


# These keep the place they took: the day's capacity was spent even once served or missed.
PLACE_HOLDING_STATUSES = [
    *ACTIVE_STATUSES,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
]


class Booking(models.Model):
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    applicant = models.ForeignKey(
        "accounts.Applicant", on_delete=models.PROTECT, related_name="bookings"
    )
    nik = models.CharField("NIK", max_length=16)
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="bookings")
    channel = models.ForeignKey(
        "offices.Channel", on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey(
        "capacity.CapacitySlot", on_delete=models.PROTECT, related_name="bookings"
    )
    date = models.DateField(_("date"))
    window_start = models.TimeField(_("arrival from"))
    window_end = models.TimeField(_("arrival until"))
    application_type = models.CharField(
        _("application type"), max_length=12, choices=ApplicationType.choices
    )
    purpose = models.CharField(_("purpose of travel"), max_length=16, choices=Purpose.choices)
    passport_type = models.CharField(
        _("passport type"), max_length=12, choices=PassportType.choices
    )
    validity_years = models.PositiveSmallIntegerField(_("validity (years)"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BookingStatus.choices,
        default=BookingStatus.AWAITING_PAYMENT,
        db_index=True,
    )
    billing_code = models.CharField(_("billing code"), max_length=15, unique=True)
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    pay_before = models.DateTimeField(_("pay before"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    application_number = models.CharField(
        _("application number"), max_length=32, unique=True, null=True, blank=True
    )
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["status", "pay_before"], name="booking_hold_expiry"),
            models.Index(fields=["office", "date"], name="booking_office_date"),
            models.Index(fields=["account", "-created_at"], name="booking_account_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["nik"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_nik",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="booking_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(application_type__in=ApplicationType.values),
                name="booking_application_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="booking_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(passport_type__in=PassportType.values),
                name="booking_passport_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(validity_years__in=[5, 10]), name="booking_validity_valid"
            ),
            models.CheckConstraint(
                condition=Q(reschedule_count__lte=1), name="booking_reschedule_at_most_once"
            ),
            models.CheckConstraint(
                condition=Q(billing_code__regex=r"^[0-9]{15}$"), name="booking_billing_code_digits"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["awaiting_payment", "expired"])
                | Q(paid_at__isnull=False, application_number__isnull=False)
                | Q(status="cancelled"),
                name="booking_paid_has_application_number",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ApplicationNumberSequence(models.Model):
    """The last sequence number given out for (office, day): application numbers are
    OFFICE-YYYYMMDD-NNNN, numbered from 1 each day at each office (loket.booking.numbers)."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("application number sequence")
        verbose_name_plural = _("application number sequences")
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="application_sequence_per_day"),
            models.CheckConstraint(condition=Q(last__gte=1), name="application_sequence_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class PaymentOutcome(models.TextChoices):
    APPLIED = "applied", _("applied: booking confirmed")
    LATE_CONFIRMED = "late_confirmed", _("late: booking confirmed, its place was still free")
    REFUND_DUE = "refund_due", _("not applied: refund due")
    DUPLICATE = "duplicate", _("paid twice: refund due")


# A payment with one of these outcomes paid for the booking's place.
APPLIED_OUTCOMES = [PaymentOutcome.APPLIED, PaymentOutcome.LATE_CONFIRMED]


class Payment(models.Model):
    """An authentic payment notice from the gateway, recorded whatever became of it: money
    never vanishes. One row per gateway reference (a repeated notice is the same row); at most
    one applied payment per booking. See loket.booking.payments."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("gateway reference"), max_length=64, unique=True)
    billing_code = models.CharField(_("billing code"), max_length=15, db_index=True)
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    paid_at = models.DateTimeField(_("paid at"))
    received_at = models.DateTimeField(_("received at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=PaymentOutcome.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_note = models.CharField(_("refund note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=PaymentOutcome.values), name="payment_outcome_valid"
            ),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(outcome__in=APPLIED_OUTCOMES),
                name="payment_one_applied_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(refunded_at__isnull=True) | Q(refunded_by__isnull=False),
                name="payment_refund_has_officer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billing_code} Rp{self.amount} ({self.outcome})"


class IdempotencyRecord(models.Model):
    """The stored answer to a request made with an `Idempotency-Key`, replayed on retries."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=100)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="idempotency_unique_key_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.key


class BookingEventKind(models.TextChoices):
    """What happened to a booking (the status it moved to, or a move of its place)."""

    CONFIRMED = "confirmed", _("paid and confirmed")
    CHECKED_IN = "checked_in", _("checked in")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired (unpaid)")
    NO_SHOW = "no_show", _("no-show")
    RESCHEDULED = "rescheduled", _("rescheduled by the applicant")
    MOVED = "moved", _("moved with its service day")


# The kinds that move a booking's place: they carry the day it left (`from_date`).
MOVE_KINDS = (BookingEventKind.RESCHEDULED, BookingEventKind.MOVED)


class BookingEvent(models.Model):
    """Append-only typed facts of each booking, written by the lifecycle in the transaction of
    the change (booking.lifecycle): what reports count, instead of audit action strings (the
    audit trail stays the human record). A booking's creation is its own row
    (Booking.created_at, channel, date).
    `date` is the appointment day after the change (for a move: the new day; `from_date` the
    old one). A move is a reschedule when the applicant asked for it, else the office moved
    the service day the booking was on."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("offices.Channel", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=BookingEventKind.choices)
    from_status = models.CharField(max_length=16, choices=BookingStatus.choices)
    at = models.DateTimeField(db_index=True)
    date = models.DateField()
    from_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["office", "kind", "at"], name="booking_event_office_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BookingEventKind.values), name="booking_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_status__in=BookingStatus.values),
                name="booking_event_from_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MOVE_KINDS, from_date__isnull=False)
                | (~Q(kind__in=MOVE_KINDS) & Q(from_date__isnull=True)),
                name="booking_event_moved_has_from_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.booking_id}"
