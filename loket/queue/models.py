"""The office day: stages, counters, lanes, tickets and their timestamped events."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OffWindowRule(models.TextChoices):
    REFUSE = "refuse", _("refuse: come back within the window")
    SERVE_AFTER = "serve_after", _("accept, served after on-time arrivals")


class QueueSettings(models.Model):
    """An office's queue rules. Missing rows mean the defaults below."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="queue_settings"
    )
    others_per_priority = models.PositiveSmallIntegerField(
        _("other tickets called between two priority tickets"),
        default=0,
        help_text=_("0: priority tickets always go first."),
    )
    starvation_minutes = models.PositiveSmallIntegerField(
        _("a ticket waiting longer than this goes first (minutes)"), default=60
    )
    recalls_before_no_show = models.PositiveSmallIntegerField(
        _("recalls before a no-show may be recorded"), default=2
    )
    early_tolerance_minutes = models.PositiveSmallIntegerField(
        _("check-in allowed before the arrival window (minutes)"), default=60
    )
    late_tolerance_minutes = models.PositiveSmallIntegerField(
        _("check-in allowed after the arrival window (minutes)"), default=60
    )
    off_window_rule = models.CharField(
        _("arrivals outside the tolerance"),
        max_length=12,
        choices=OffWindowRule.choices,
        default=OffWindowRule.SERVE_AFTER,
    )
    elderly_age = models.PositiveSmallIntegerField(_("priority: elderly from age"), default=60)
    child_under_age = models.PositiveSmallIntegerField(_("priority: children under age"), default=5)
    priority_release_at = models.TimeField(
        _("unclaimed priority places are released at"), null=True, blank=True
    )
    priority_release_to = models.ForeignKey(
        "offices.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("released to the channel"),
    )

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(off_window_rule__in=OffWindowRule.values),
                name="queue_settings_off_window_rule_valid",
            ),
            models.CheckConstraint(
                condition=Q(starvation_minutes__gte=1), name="queue_settings_starvation_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} queue settings"


class Stage(models.Model):
    """A step of the passport process with its own counters, e.g. document check."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"))
    is_final = models.BooleanField(_("final (no service)"), default=False)
    records_interview = models.BooleanField(
        _("completing it is the interview (issuance date counts from it)"), default=False
    )

    class Meta:
        ordering = ["office", "order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="stage_code_unique"),
            models.UniqueConstraint(fields=["office", "order"], name="stage_order_unique"),
            models.UniqueConstraint(
                fields=["office"], condition=Q(is_final=True), name="stage_one_final_per_office"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LaneKind(models.TextChoices):
    PRIORITY = "priority", _("priority")
    APPOINTMENT = "appointment", _("appointment")
    WALK_IN = "walk_in", _("walk-in")
    LOST_DAMAGED = "lost_damaged", _("lost/damaged")
    EMERGENCY = "emergency", _("emergency")


class Lane(models.Model):
    """A kind of ticket with its own numbering and letter, e.g. P for priority."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="lanes")
    kind = models.CharField(_("kind"), max_length=16, choices=LaneKind.choices)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("letter"), max_length=1)
    channel = models.ForeignKey(
        "offices.Channel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The capacity channel a walk-in ticket of this lane takes a place from."),
    )

    class Meta:
        ordering = ["office", "prefix"]
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        constraints = [
            models.UniqueConstraint(fields=["office", "kind"], name="lane_kind_unique"),
            models.UniqueConstraint(fields=["office", "prefix"], name="lane_prefix_unique"),
            models.CheckConstraint(condition=Q(kind__in=LaneKind.values), name="lane_kind_valid"),
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^[A-Z]$"), name="lane_prefix_letter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Counter(models.Model):
    """A service point (loket) serving some stages and lanes."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    stages = models.ManyToManyField(Stage, related_name="counters", verbose_name=_("stages"))
    lanes = models.ManyToManyField(Lane, related_name="counters", verbose_name=_("lanes"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "number"]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="counter_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Loket {self.number}"


class TicketSequence(models.Model):
    """The last ticket number of a lane on a day; incremented by one UPDATE that locks it."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date", "lane"], name="ticket_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.date} {self.lane_id}: {self.last_number}"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    PARKED = "parked", _("parked (fetching a document)")
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("no-show")


AT_COUNTER = [TicketStatus.CALLED, TicketStatus.SERVING]


class PriorityReason(models.TextChoices):
    NONE = "", _("none")
    ELDERLY = "elderly", _("elderly")
    CHILD = "child", _("young child")
    DISABILITY = "disability", _("disability")
    PREGNANCY = "pregnancy", _("pregnancy")


class Ticket(models.Model):
    """One person's place in the day's queue, moving through the stages."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="tickets")
    date = models.DateField(_("date"))
    lane = models.ForeignKey(Lane, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("number"))
    slot = models.ForeignKey(
        "capacity.CapacitySlot",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The ledger place a walk-in ticket took (none for booked appointments).",
    )
    booking = models.OneToOneField(
        "booking.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    applicant_name = models.CharField(_("name"), max_length=150)
    applicant_nik = models.CharField("NIK", max_length=16, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    priority_reason = models.CharField(
        _("priority reason"), max_length=12, choices=PriorityReason.choices, blank=True
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(
        _("status"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    recall_count = models.PositiveSmallIntegerField(_("recalls"), default=0)
    # Appointments: the arrival window's start; walk-ins: the issue time.
    order_at = models.DateTimeField(_("queue order"))
    off_window = models.BooleanField(_("arrived outside the tolerance"), default=False)
    issued_at = models.DateTimeField(_("issued at"))
    waiting_since = models.DateTimeField(_("waiting since"))
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)

    class Meta:
        ordering = ["office", "date", "lane", "number"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["office", "date", "status", "stage"], name="ticket_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date", "lane", "number"], name="ticket_number_unique"
            ),
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=AT_COUNTER),
                name="ticket_one_per_counter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority_reason__in=PriorityReason.values),
                name="ticket_priority_reason_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=AT_COUNTER) | Q(counter__isnull=False),
                name="ticket_at_counter_has_counter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AT_COUNTER) | Q(counter__isnull=True),
                name="ticket_counter_only_when_at_counter",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="ticket_number_positive"),
            models.CheckConstraint(
                condition=Q(applicant_nik="") | Q(applicant_nik__regex=r"^[0-9]{16}$"),
                name="ticket_nik_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """The number shown and spoken: the lane letter and three digits, e.g. A001."""
        return f"{self.lane.prefix}{self.number:03d}"


class TicketEventKind(models.TextChoices):
    ISSUED = "issued", _("issued")
    CALLED = "called", _("called")
    RECALLED = "recalled", _("called again")
    STARTED = "started", _("service started")
    FINISHED = "finished", _("service finished")
    PARKED = "parked", _("parked")
    RETURNED = "returned", _("returned")
    TRANSFERRED = "transferred", _("transferred")
    NO_SHOW = "no_show", _("no-show")


class TicketEvent(models.Model):
    """Append-only: what happened to a ticket, when, at which stage and counter, by whom."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=TicketEventKind.choices)
    at = models.DateTimeField(db_index=True)
    stage = models.ForeignKey(Stage, null=True, on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Transfers: the stage the ticket was moved to.
    to_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["office", "kind", "at"], name="ticket_event_office_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TicketEventKind.values), name="ticket_event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind} {self.ticket_id}"


class PickupBy(models.TextChoices):
    APPLICANT = "applicant", _("the applicant")
    FAMILY = "family", _("a family member (with KK)")
    PROXY = "proxy", _("a proxy (with a letter of authority)")


class Issuance(models.Model):
    """A passport being made: ready a number of working days after the interview."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="issuance")
    interview_date = models.DateField(_("interview date"))
    ready_date = models.DateField(_("ready from"))
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    picked_up_by = models.CharField(
        _("picked up by"), max_length=10, choices=PickupBy.choices, blank=True
    )
    collector_name = models.CharField(_("collector's name"), max_length=150, blank=True)
    collector_document = models.CharField(
        _("KK number or letter reference"), max_length=64, blank=True
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["office", "ready_date"]
        verbose_name = _("passport issuance")
        verbose_name_plural = _("passport issuances")
        constraints = [
            models.CheckConstraint(
                condition=Q(picked_up_by__in=[*PickupBy.values, ""]),
                name="issuance_picked_up_by_valid",
            ),
            models.CheckConstraint(
                condition=Q(picked_up_at__isnull=True, picked_up_by="")
                | (Q(picked_up_at__isnull=False) & ~Q(picked_up_by="")),
                name="issuance_pickup_complete",
            ),
            models.CheckConstraint(
                condition=Q(picked_up_by__in=["", "applicant"]) | ~Q(collector_document=""),
                name="issuance_collector_has_document",
            ),
            models.CheckConstraint(
                condition=Q(ready_date__gte=models.F("interview_date")),
                name="issuance_ready_after_interview",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ready {self.ready_date}"


class BapStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("examination scheduled")
    APPROVED = "approved", _("approved")


class BapCase(models.Model):
    """A lost or damaged passport's examination (BAP): its date, booked against the office's
    examination (BAP) channel in the ledger, and after approval the day to come back for photos."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="bap")
    bap_date = models.DateField(_("examination (BAP) date"))
    slot = models.ForeignKey(
        "capacity.CapacitySlot", on_delete=models.PROTECT, related_name="+", null=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BapStatus.choices, default=BapStatus.SCHEDULED
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    photo_date = models.DateField(_("come back for photos on"), null=True, blank=True)

    class Meta:
        ordering = ["office", "bap_date", "id"]
        verbose_name = _("examination (BAP)")
        verbose_name_plural = _("examinations (BAP)")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BapStatus.values), name="bap_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled")
                | Q(approved_at__isnull=False, photo_date__isnull=False),
                name="bap_approved_has_photo_date",
            ),
            models.CheckConstraint(
                condition=Q(photo_date__isnull=True) | Q(photo_date__gt=models.F("bap_date")),
                name="bap_photo_after_examination",
            ),
        ]

    def __str__(self) -> str:
        return f"BAP {self.ticket_id} {self.bap_date}"


class CounterSignInEnd(models.TextChoices):
    SIGNED_OUT = "signed_out", _("signed out")
    LOGGED_OUT = "logged_out", _("logged out or timed out")
    TAKEN_OVER = "taken_over", _("taken over")
    MOVED = "moved", _("signed in to another counter")


class CounterSignIn(models.Model):
    """An officer signed in to a counter: only they operate it until they sign out, their staff
    session ends, or a supervisor takes over. One open row per counter and one per officer,
    held by the database."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="sign_ins")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counter_sign_ins"
    )
    started_at = models.DateTimeField(_("signed in at"))
    # Written at most once a minute by the officer's actions at the counter; a sign-in idle
    # longer than LOKET_STAFF_IDLE_MINUTES no longer holds the counter.
    last_active_at = models.DateTimeField(_("last active at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(
        _("ended by"), max_length=12, choices=CounterSignInEnd.choices, blank=True
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("counter sign-in")
        verbose_name_plural = _("counter sign-ins")
        constraints = [
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(ended_at__isnull=True),
                name="counter_one_officer_at_a_time",
            ),
            models.UniqueConstraint(
                fields=["officer"],
                condition=Q(ended_at__isnull=True),
                name="counter_officer_one_counter_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | Q(ended_at__isnull=False, end_reason__in=CounterSignInEnd.values),
                name="counter_sign_in_end_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer} @ {self.counter}"
