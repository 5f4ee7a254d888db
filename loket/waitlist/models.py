from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loket.booking.models import Purpose
from loket.offices.models import ApplicationType, PassportType


class EntryStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("place offered")
    ACCEPTED = "accepted", _("booked")
    DECLINED = "declined", _("offer declined")
    EXPIRED = "expired", _("offer expired")
    LEFT = "left", _("left the waiting list")
    CLOSED = "closed", _("closed")


# An entry in one of these is the NIK's place in the day's queue; one per NIK per day.
OPEN_STATUSES = [EntryStatus.WAITING, EntryStatus.OFFERED]


class WaitlistEntry(models.Model):
    """One person waiting for a place on a full day of a channel.

    FIFO by `id` (join order). While OFFERED, the entry holds one place of `slot` in the ledger
    until `offer_expires_at`; the place passes on to the next entry, or back to the ledger.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    # Null once the person was removed from the account (closed entries only).
    applicant = models.ForeignKey(
        "accounts.Applicant",
        on_delete=models.PROTECT,
        null=True,
        related_name="waitlist_entries",
    )
    nik = models.CharField("NIK", max_length=16)
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(
        "offices.Channel", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    date = models.DateField(_("date"))
    application_type = models.CharField(
        _("application type"), max_length=12, choices=ApplicationType.choices
    )
    purpose = models.CharField(_("purpose of travel"), max_length=16, choices=Purpose.choices)
    passport_type = models.CharField(
        _("passport type"), max_length=12, choices=PassportType.choices
    )
    status = models.CharField(
        _("status"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    joined_at = models.DateTimeField(_("joined at"))
    slot = models.ForeignKey(
        "capacity.CapacitySlot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_offers",
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    answered_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    booking = models.OneToOneField(
        "booking.Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entry",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        indexes = [
            models.Index(fields=["channel", "date", "status", "id"], name="waitlist_day_queue"),
            models.Index(fields=["status", "offer_expires_at"], name="waitlist_offer_expiry"),
            models.Index(fields=["account", "status"], name="waitlist_account_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "date", "nik"],
                condition=Q(status__in=OPEN_STATUSES),
                name="waitlist_one_open_entry_per_nik_day",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="waitlist_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(application_type__in=ApplicationType.values),
                name="waitlist_application_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="waitlist_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(passport_type__in=PassportType.values),
                name="waitlist_passport_type_valid",
            ),
            # An open offer always names the slot it holds and when it lapses.
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(slot__isnull=False, offered_at__isnull=False, offer_expires_at__isnull=False),
                name="waitlist_offer_holds_slot",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=OPEN_STATUSES) | Q(applicant__isnull=False),
                name="waitlist_open_entry_has_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(booking__isnull=False),
                name="waitlist_accepted_has_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nik} {self.channel} {self.date} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
