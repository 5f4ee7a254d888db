import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loket.identity import regions

TIME_ZONES = [
    ("Asia/Jakarta", "WIB (Asia/Jakarta)"),
    ("Asia/Makassar", "WITA (Asia/Makassar)"),
    ("Asia/Jayapura", "WIT (Asia/Jayapura)"),
]


class ApplicationType(models.TextChoices):
    NEW = "new", _("new passport")
    REPLACEMENT = "replacement", _("replacement (expired or full)")
    LOST = "lost", _("lost passport")
    DAMAGED = "damaged", _("damaged passport")


class Office(models.Model):
    code = models.CharField(
        _("code"), max_length=12, unique=True, help_text=_("Short code used in URLs, e.g. KRW.")
    )
    name = models.CharField(_("name"), max_length=150)
    address = models.TextField(_("address"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=32, choices=TIME_ZONES, default="Asia/Jakarta"
    )
    hotline = models.CharField(_("emergency hotline"), max_length=32, blank=True)
    opens_at = models.TimeField(_("opens at"), default=dt.time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=dt.time(16, 0))
    observe_national_holidays = models.BooleanField(
        _("closed on national holidays and cuti bersama"), default=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{2,12}$"), name="office_code_shape"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="office_hours_order"
            ),
            models.CheckConstraint(
                condition=Q(time_zone__in=[tz for tz, _label in TIME_ZONES]),
                name="office_time_zone_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.code:
            self.code = self.code.strip().upper()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The office must close after it opens.")})


class WorkingAreaRegency(models.Model):
    """A regency/city in the office's working area (wilayah kerja), e.g. 3215 Kab. Karawang."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="working_area")
    regency_code = models.CharField(_("regency code"), max_length=4, help_text="e.g. 3215 or 32.15")

    class Meta:
        verbose_name = _("working-area regency")
        verbose_name_plural = _("working area")
        constraints = [
            models.UniqueConstraint(fields=["office", "regency_code"], name="working_area_unique"),
            models.CheckConstraint(
                condition=Q(regency_code__regex=r"^[0-9]{4}$"), name="working_area_code_digits"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{regions.format_regency(self.regency_code)} {regions.regency_name(self.regency_code)}"
        )

    def clean(self):
        normalized = regions.normalize_regency(self.regency_code or "")
        if normalized is None:
            raise ValidationError(
                {
                    "regency_code": _(
                        "Unknown regency code. Use the 4 digits, e.g. 3215 for Karawang."
                    )
                }
            )
        self.regency_code = normalized


class ChannelKind(models.TextChoices):
    ONLINE = "online", _("online appointment")
    PRIORITY = "priority", _("priority walk-in")
    LOST_DAMAGED = "lost_damaged", _("lost/damaged walk-in")
    OUTREACH = "outreach", _("outreach (Eazy Passport)")
    EVENT = "event", _("service day event (PATEN)")
    EMERGENCY = "emergency", _("emergency")
    SIMPATIK = "simpatik", _("weekend walk-in (Paspor Simpatik)")
    BAP = "bap", _("examination (BAP) of lost/damaged passports")


class ReleaseRule(models.TextChoices):
    ROLLING = "rolling", _("rolling: each day opens N days ahead")
    WEEKLY = "weekly", _("weekly: at a weekday and time, for the next week")
    MONTHLY = "monthly", _("monthly: at a day and time, for the next month")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Channel(models.Model):
    """A service channel of an office, with its own daily capacity in the ledger."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="channels")
    code = models.SlugField(_("code"), max_length=32, help_text=_("e.g. online, priority, paten"))
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    allows_new = models.BooleanField(_("new passports"), default=True)
    allows_replacement = models.BooleanField(_("replacements"), default=True)
    allows_lost = models.BooleanField(_("lost passports"), default=False)
    allows_damaged = models.BooleanField(_("damaged passports"), default=False)
    hold_minutes = models.PositiveIntegerField(
        _("payment hold (minutes)"),
        default=120,
        help_text=_("How long a place is held while its billing code is unpaid."),
    )
    min_days_ahead = models.PositiveSmallIntegerField(_("earliest booking (days ahead)"), default=1)
    horizon_days = models.PositiveSmallIntegerField(_("booking horizon (days)"), default=90)
    release_rule = models.CharField(
        _("release rule"), max_length=8, choices=ReleaseRule.choices, default=ReleaseRule.ROLLING
    )
    release_days_ahead = models.PositiveSmallIntegerField(_("rolling: days ahead"), default=30)
    release_weekday = models.PositiveSmallIntegerField(
        _("weekly: release weekday"), choices=WEEKDAYS, default=4
    )
    release_day_of_month = models.PositiveSmallIntegerField(
        _("monthly: release day of month"), default=28
    )
    release_time = models.TimeField(_("release time"), default=dt.time(0, 0))
    reschedule_min_days_before = models.PositiveSmallIntegerField(
        _("reschedule no later than (days before)"), default=1
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "code"]
        verbose_name = _("service channel")
        verbose_name_plural = _("service channels")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "code"], name="channel_code_unique_per_office"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChannelKind.values), name="channel_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(release_rule__in=ReleaseRule.values), name="channel_release_rule_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="online") | (Q(allows_lost=False) & Q(allows_damaged=False)),
                name="channel_online_not_lost_damaged",
            ),
            models.CheckConstraint(
                condition=Q(release_weekday__lte=6), name="channel_release_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(release_day_of_month__gte=1) & Q(release_day_of_month__lte=28),
                name="channel_release_day_range",
            ),
            models.CheckConstraint(condition=Q(hold_minutes__gte=1), name="channel_hold_positive"),
            # The examination (BAP) dates of lost/damaged passports are booked against this one.
            models.UniqueConstraint(
                fields=["office"],
                condition=Q(kind="bap"),
                name="channel_one_bap_per_office",
                violation_error_message=_("An office has one examination (BAP) channel."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} / {self.name}"

    def clean(self):
        if self.kind == ChannelKind.ONLINE and (self.allows_lost or self.allows_damaged):
            raise ValidationError(
                _(
                    "Lost and damaged passports are served only in person: the online channel "
                    "cannot allow them."
                )
            )
        if self.release_day_of_month and not 1 <= self.release_day_of_month <= 28:
            raise ValidationError(
                {"release_day_of_month": _("Choose a day from 1 to 28 (every month has it).")}
            )
        if self.min_days_ahead > self.horizon_days:
            raise ValidationError(
                {"horizon_days": _("The horizon must reach at least the earliest booking day.")}
            )

    @property
    def application_types(self) -> list[str]:
        allowed = {
            ApplicationType.NEW: self.allows_new,
            ApplicationType.REPLACEMENT: self.allows_replacement,
            ApplicationType.LOST: self.allows_lost,
            ApplicationType.DAMAGED: self.allows_damaged,
        }
        return [t.value for t, ok in allowed.items() if ok]

    @property
    def is_bookable_online(self) -> bool:
        return self.kind in (ChannelKind.ONLINE, ChannelKind.EVENT)


class WeekdayCapacity(models.Model):
    """Daily places of a channel on a weekday. A weekday without a row has none."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="weekday_capacities"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    capacity = models.PositiveIntegerField(_("places"))

    class Meta:
        ordering = ["channel", "weekday"]
        verbose_name = _("daily capacity")
        verbose_name_plural = _("daily capacity by weekday")
        constraints = [
            models.UniqueConstraint(fields=["channel", "weekday"], name="weekday_capacity_unique"),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="weekday_capacity_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}: {self.capacity}"


class ArrivalWindow(models.Model):
    """An arrival window of a channel with its share (weight) of the day's capacity."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="windows")
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    weight = models.PositiveSmallIntegerField(
        _("share"), default=1, help_text=_("Relative share of the day's places.")
    )

    class Meta:
        ordering = ["channel", "start"]
        verbose_name = _("arrival window")
        verbose_name_plural = _("arrival windows")
        constraints = [
            models.UniqueConstraint(fields=["channel", "start"], name="window_start_unique"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="window_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weight__gte=1), name="window_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("A window must end after it starts.")})


class CapacityOverride(models.Model):
    """A channel's places on one date, replacing the weekday figure (0 closes the channel)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("places"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["channel", "date"]
        verbose_name = _("capacity on a date")
        verbose_name_plural = _("capacity on particular dates")
        constraints = [
            models.UniqueConstraint(fields=["channel", "date"], name="capacity_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.capacity}"


class Closure(models.Model):
    """A day the office is closed on top of national holidays and cuti bersama."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["office", "date"]
        verbose_name = _("closure day")
        verbose_name_plural = _("closure days")
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="closure_unique")]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"


class PassportType(models.TextChoices):
    ORDINARY = "ordinary", _("ordinary passport")
    ELECTRONIC = "electronic", _("electronic passport")


class TariffItem(models.TextChoices):
    ORDINARY_5 = "ordinary_5", _("ordinary passport, 5 years")
    ORDINARY_10 = "ordinary_10", _("ordinary passport, 10 years")
    ELECTRONIC_5 = "electronic_5", _("electronic passport, 5 years")
    ELECTRONIC_10 = "electronic_10", _("electronic passport, 10 years")
    SAME_DAY = "same_day", _("same-day service")
    LOST_CHARGE = "lost_charge", _("charge for a lost passport")
    DAMAGED_CHARGE = "damaged_charge", _("charge for a damaged passport")


class Tariff(models.Model):
    """A fee (PNBP) in whole rupiah, valid from a date until a later row replaces it."""

    item = models.CharField(_("item"), max_length=16, choices=TariffItem.choices)
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    valid_from = models.DateField(_("valid from"))
    legal_basis = models.CharField(_("legal basis"), max_length=100, blank=True)

    class Meta:
        ordering = ["item", "-valid_from"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.UniqueConstraint(fields=["item", "valid_from"], name="tariff_unique_from"),
            models.CheckConstraint(
                condition=Q(item__in=TariffItem.values), name="tariff_item_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: Rp{self.amount:,}".replace(",", ".")
