from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loket.offices.models import ChannelKind


class CapacitySlot(models.Model):
    """The ledger: places of one channel, date and arrival window, and how many are taken.

    `used` counts live bookings and holds. It only changes by a single conditional UPDATE
    (see capacity.services), and the database refuses `used > capacity`.
    """

    channel = models.ForeignKey("offices.Channel", on_delete=models.PROTECT, related_name="slots")
    date = models.DateField(_("date"))
    window_start = models.TimeField(_("window from"))
    window_end = models.TimeField(_("window until"))
    capacity = models.PositiveIntegerField(_("places"))
    used = models.PositiveIntegerField(_("taken"), default=0)

    class Meta:
        ordering = ["channel", "date", "window_start"]
        verbose_name = _("ledger slot")
        verbose_name_plural = _("ledger slots")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "date", "window_start"], name="slot_unique_channel_date_window"
            ),
            models.CheckConstraint(
                condition=Q(used__lte=F("capacity")), name="slot_used_within_capacity"
            ),
            models.CheckConstraint(condition=Q(used__gte=0), name="slot_used_not_negative"),
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="slot_window_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.date} {self.window_start:%H:%M} {self.used}/{self.capacity}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.used, 0)


class LivePlace(models.Model):
    """A person's one live place, across every channel (see README, "One person, one live
    place"): the row exists while the booking, ticket, case or participant place that holds it
    is live, and the unique NIK refuses a second one. Written only by loket.capacity.live, in
    the same transaction as the place; a row whose day has passed has lapsed.
    """

    nik = models.CharField("NIK", max_length=16)
    channel_kind = models.CharField(_("channel"), max_length=16, choices=ChannelKind.choices)
    holder = models.CharField(_("held by"), max_length=40)
    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("live place")
        verbose_name_plural = _("live places")
        constraints = [
            models.UniqueConstraint(fields=["nik"], name="live_place_one_per_nik"),
            models.UniqueConstraint(fields=["holder"], name="live_place_unique_holder"),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="live_place_nik_digits"
            ),
            models.CheckConstraint(
                condition=Q(channel_kind__in=ChannelKind.values),
                name="live_place_channel_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.holder


class ChannelMove(models.Model):
    """Append-only typed fact: `count` places of `from_channel`'s day `date` moved to
    `to_channel`'s same day (today: unclaimed priority places released at the set time).
    Written only by capacity.services.move_unclaimed_places, in the move's transaction; the
    reports count these rows, not audit action strings (the audit trail stays the human
    record). `officer`: who asked for the move, when known."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    from_channel = models.ForeignKey(
        "offices.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from channel"),
    )
    to_channel = models.ForeignKey(
        "offices.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("to channel")
    )
    count = models.PositiveIntegerField(_("places moved"))
    at = models.DateTimeField(_("moved at"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("move of places between channels")
        verbose_name_plural = _("moves of places between channels")
        indexes = [models.Index(fields=["office", "date"], name="channel_move_office_date")]
        constraints = [
            models.CheckConstraint(condition=Q(count__gt=0), name="channel_move_count_positive"),
            models.CheckConstraint(
                condition=~Q(from_channel=F("to_channel")), name="channel_move_two_channels"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.count} {self.from_channel_id}->{self.to_channel_id}"
