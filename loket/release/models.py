"""Fair release: a channel's waiting room for the first hours after its places are released."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Tickets below LATE_BASE are lottery draws (arrivals in the lottery period); from LATE_BASE
# on, the ticket is LATE_BASE + microseconds after the release: first come, first served.
LATE_BASE = 2**62


class FairRelease(models.Model):
    """The waiting-room setting of one service channel."""

    channel = models.OneToOneField(
        "offices.Channel", on_delete=models.CASCADE, related_name="fair_release"
    )
    enabled = models.BooleanField(_("waiting room on"), default=True)
    opens_minutes_before = models.PositiveIntegerField(
        _("room opens (minutes before the release)"), default=15
    )
    lottery_seconds = models.PositiveIntegerField(
        _("lottery period (seconds after the release)"),
        default=600,
        help_text=_("Everyone who arrives before the end of this period gets a random place."),
    )
    admit_per_minute = models.PositiveIntegerField(_("people let in per minute"), default=120)
    turn_seconds = models.PositiveIntegerField(_("time to book once let in (seconds)"), default=600)
    period_hours = models.PositiveIntegerField(
        _("waiting room period (hours after the release)"), default=24
    )

    class Meta:
        verbose_name = _("fair release")
        verbose_name_plural = _("fair releases")
        constraints = [
            models.CheckConstraint(
                condition=Q(admit_per_minute__gte=1), name="release_admit_rate_positive"
            ),
            models.CheckConstraint(condition=Q(turn_seconds__gte=30), name="release_turn_min"),
            models.CheckConstraint(condition=Q(period_hours__gte=1), name="release_period_min"),
        ]

    def __str__(self) -> str:
        return f"fair release of {self.channel}"


class WaitingEntry(models.Model):
    """One person's place in the waiting room of one release (channel and release moment)."""

    channel = models.ForeignKey("offices.Channel", on_delete=models.CASCADE, related_name="+")
    release_at = models.DateTimeField(_("release"))
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    nik = models.CharField("NIK", max_length=16)
    arrived_at = models.DateTimeField(_("arrived"))
    ticket = models.BigIntegerField(_("ticket"))
    used_at = models.DateTimeField(_("booked"), null=True, blank=True)
    # The NIK already had a place through another account when this one joined. The place is
    # kept and answered like any other (so joining does not tell whether someone else put
    # this NIK in line), but it never admits a booking: one NIK, one usable place.
    nik_held_elsewhere = models.BooleanField(
        _("NIK in line through another account"), default=False
    )

    class Meta:
        verbose_name = _("waiting-room place")
        verbose_name_plural = _("waiting-room places")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "release_at", "account"], name="release_one_place_per_account"
            ),
            models.UniqueConstraint(
                fields=["channel", "release_at", "nik"],
                condition=Q(nik_held_elsewhere=False),
                name="release_one_place_per_nik",
            ),
            models.CheckConstraint(condition=Q(ticket__gte=0), name="release_ticket_positive"),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="release_nik_digits"
            ),
        ]
        indexes = [models.Index(fields=["channel", "release_at", "ticket"], name="release_line")]

    def __str__(self) -> str:
        return f"{self.channel} {self.release_at:%Y-%m-%d %H:%M} #{self.pk}"

    @property
    def drawn_by_lottery(self) -> bool:
        return self.ticket < LATE_BASE
