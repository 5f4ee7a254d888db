"""Teams, service days, Eazy Passport requests and emergency cases."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loket.offices.models import WEEKDAYS

PARTICIPANT_TYPES = ["new", "replacement"]


class OutreachSettings(models.Model):
    """Per-office outreach configuration (an office without a row uses the defaults)."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="outreach_settings"
    )
    min_applicants = models.PositiveSmallIntegerField(
        _("minimum applicants for an Eazy Passport visit"), default=20
    )

    class Meta:
        verbose_name = _("outreach settings")
        verbose_name_plural = _("outreach settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_applicants__gte=1), name="outreach_settings_min_positive"
            )
        ]

    def __str__(self) -> str:
        return str(self.office)


class Team(models.Model):
    """A mobile team of an office. A team is in one place per day (see TeamAssignment)."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=80)
    size = models.PositiveSmallIntegerField(_("officers"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="team_name_unique_per_office"),
            models.CheckConstraint(condition=Q(size__gte=1), name="team_size_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentKind(models.TextChoices):
    OUTREACH_VISIT = "outreach_visit", _("Eazy Passport visit")
    SERVICE_DAY = "service_day", _("service day")


class TeamAssignment(models.Model):
    """Where a team is on a date. The unique (team, date) pair is the one-place-a-day rule."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assignments")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=AssignmentKind.choices)
    outreach_request = models.ForeignKey(
        "OutreachRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    occurrence = models.ForeignKey(
        "ServiceDayOccurrence",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    label = models.CharField(_("what"), max_length=200)

    class Meta:
        ordering = ["date", "team"]
        verbose_name = _("team day")
        verbose_name_plural = _("team days")
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="team_one_place_per_day"),
            models.CheckConstraint(
                condition=Q(kind__in=AssignmentKind.values), name="team_assignment_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="outreach_visit",
                        outreach_request__isnull=False,
                        occurrence__isnull=True,
                    )
                    | Q(kind="service_day", occurrence__isnull=False, outreach_request__isnull=True)
                ),
                name="team_assignment_reference_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.date}: {self.label}"


class ServiceDayKind(models.TextChoices):
    EVENT = "event", _("service day event (e.g. PATEN): booked online against a quota")
    SIMPATIK = "simpatik", _("weekend walk-in day (Paspor Simpatik): first come, first served")


class ServiceDayRule(models.Model):
    """A recurring service day: every `weekday` from `valid_from` until `valid_until`.

    A one-off day is a rule whose validity is that single day.
    """

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="service_day_rules"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ServiceDayKind.choices, default=ServiceDayKind.EVENT
    )
    channel = models.ForeignKey(
        "offices.Channel", on_delete=models.PROTECT, related_name="service_day_rules"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. PATEN"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    location = models.CharField(_("default location"), max_length=200)
    quota = models.PositiveIntegerField(_("places per day"), default=10)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="service_day_rules"
    )
    allows_new = models.BooleanField(_("new passports"), default=True)
    allows_replacement = models.BooleanField(_("replacements"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "valid_from", "name"]
        verbose_name = _("service day rule")
        verbose_name_plural = _("service day rules")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="service_rule_weekday_range"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="service_rule_validity_order",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ServiceDayKind.values), name="service_rule_kind_valid"
            ),
            models.CheckConstraint(condition=Q(quota__gte=1), name="service_rule_quota_positive"),
        ]

    def __str__(self) -> str:
        until = f" - {self.valid_until}" if self.valid_until else ""
        return f"{self.name} ({self.get_weekday_display()}, {self.valid_from}{until})"

    def clean(self):
        wanted = "event" if self.kind == ServiceDayKind.EVENT else "simpatik"
        if self.channel_id and (
            self.channel.kind != wanted or self.channel.office_id != self.office_id
        ):
            raise ValidationError(
                {
                    "channel": _("Choose a channel of kind '%(kind)s' of this office.")
                    % {"kind": wanted}
                }
            )
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The rule must end after it starts.")})

    @property
    def application_types(self) -> list[str]:
        allowed = {"new": self.allows_new, "replacement": self.allows_replacement}
        return [t for t, ok in allowed.items() if ok]


class OccurrenceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    MOVED = "moved", _("moved")
    CANCELLED = "cancelled", _("cancelled")


class ServiceDayOccurrence(models.Model):
    """One day of a rule. Its places live in the ledger: a CapacityOverride of the channel."""

    rule = models.ForeignKey(ServiceDayRule, on_delete=models.CASCADE, related_name="occurrences")
    channel = models.ForeignKey(
        "offices.Channel", on_delete=models.PROTECT, related_name="service_days"
    )
    planned_date = models.DateField(_("date by the rule"))
    date = models.DateField(_("date"))
    location = models.CharField(_("location"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OccurrenceStatus.choices,
        default=OccurrenceStatus.SCHEDULED,
    )
    quota = models.PositiveIntegerField(_("places"))
    note = models.CharField(_("reason for a change"), max_length=300, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("service day")
        verbose_name_plural = _("service days")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "planned_date"], name="occurrence_once_per_rule_date"
            ),
            # The ledger has one figure per channel and date: one live service day uses it.
            models.UniqueConstraint(
                fields=["channel", "date"],
                condition=~Q(status="cancelled"),
                name="occurrence_one_live_per_channel_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OccurrenceStatus.values), name="occurrence_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(note=""),
                name="occurrence_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} {self.date}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for review")
    DATE_PROPOSED = "date_proposed", _("another date proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class OutreachRequest(models.Model):
    """An institution's Eazy Passport request (the office comes to them)."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="outreach_requests"
    )
    code = models.CharField(_("reference"), max_length=12, unique=True)
    organisation = models.CharField(_("organisation"), max_length=200)
    contact_person = models.CharField(_("contact person"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=20)
    location = models.CharField(_("address of the visit"), max_length=300)
    regency_code = models.CharField(_("regency"), max_length=4)
    preferred_dates = models.JSONField(_("preferred dates"), default=list)
    expected_applicants = models.PositiveIntegerField(_("expected applicants"))
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    visit_date = models.DateField(_("visit date"), null=True, blank=True)
    proposed_date = models.DateField(_("proposed date"), null=True, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="outreach_requests"
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Eazy Passport request")
        verbose_name_plural = _("Eazy Passport requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="outreach_request_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(visit_date__isnull=False, team__isnull=False, decided_by__isnull=False),
                name="outreach_request_approved_has_date_team",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="outreach_request_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="date_proposed") | Q(proposed_date__isnull=False),
                name="outreach_request_proposal_has_date",
            ),
            models.CheckConstraint(
                condition=Q(regency_code__regex=r"^[0-9]{4}$"), name="outreach_request_regency"
            ),
            models.CheckConstraint(
                condition=Q(expected_applicants__gte=1), name="outreach_request_expected_positive"
            ),
            # The mobile-site queue lane is shared by the day's visit (see outreach.bridge).
            models.UniqueConstraint(
                fields=["office", "visit_date"],
                condition=Q(status="approved"),
                name="outreach_one_visit_per_office_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.organisation}"


class OutreachParticipant(models.Model):
    """A person on an Eazy Passport list; gets a code when the request is approved."""

    request = models.ForeignKey(
        OutreachRequest, on_delete=models.CASCADE, related_name="participants"
    )
    row_number = models.PositiveIntegerField(_("row in the file"))
    nik = models.CharField("NIK", max_length=16)
    name = models.CharField(_("name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    application_type = models.CharField(_("application type"), max_length=12)
    code = models.CharField(_("code"), max_length=12, unique=True, null=True, blank=True)
    # The place held in the ledger (outreach channel, visit day) once the request is approved.
    slot = models.ForeignKey(
        "capacity.CapacitySlot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The queue ticket issued when the participant is checked in at the mobile site.
    ticket = models.OneToOneField(
        "queue.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["request", "row_number"]
        verbose_name = _("Eazy Passport participant")
        verbose_name_plural = _("Eazy Passport participants")
        constraints = [
            models.UniqueConstraint(fields=["request", "nik"], name="participant_nik_once"),
            models.CheckConstraint(
                condition=Q(application_type__in=PARTICIPANT_TYPES),
                name="participant_type_new_or_replacement",
            ),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="participant_nik_digits"
            ),
            models.CheckConstraint(
                condition=Q(ticket__isnull=True) | Q(code__isnull=False, slot__isnull=False),
                name="participant_ticket_needs_code_and_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.request.code})"


class EmergencyReason(models.TextChoices):
    MEDICAL_ABROAD = "medical_abroad", _("medical treatment abroad")
    SERIOUS_ILLNESS = "serious_illness", _("serious illness")
    FAMILY_ABROAD = "family_abroad", _("death or illness of family abroad")
    NEWBORN = "newborn", _("newborn under 40 days")
    OFFICIAL_DUTY = "official_duty", _("official duty")
    OTHER = "other", _("other")


class EmergencyStatus(models.TextChoices):
    RECORDED = "recorded", _("recorded, waiting for a decision")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class EmergencyCase(models.Model):
    """A call to the emergency hotline and the supervisor's decision on it."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="emergency_cases"
    )
    caller_name = models.CharField(_("caller"), max_length=150)
    caller_phone = models.CharField(_("caller's phone"), max_length=20)
    nik = models.CharField(_("applicant's NIK"), max_length=16)
    applicant_name = models.CharField(_("applicant's name"), max_length=150)
    domicile_regency = models.CharField(_("regency of the KTP address"), max_length=4)
    reason = models.CharField(_("reason"), max_length=20, choices=EmergencyReason.choices)
    notes = models.TextField(_("notes"), blank=True)
    in_working_area = models.BooleanField(_("KTP address in the working area"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EmergencyStatus.choices,
        default=EmergencyStatus.RECORDED,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    area_override = models.BooleanField(_("working-area rule overridden"), default=False)
    area_override_reason = models.TextField(_("why the area rule is overridden"), blank=True)
    service_date = models.DateField(_("service day"), null=True, blank=True)
    # Given on approval: the desk checks the case in by it on the service day.
    code = models.CharField(_("case code"), max_length=12, unique=True, null=True, blank=True)
    ticket = models.OneToOneField(
        "queue.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("emergency case")
        verbose_name_plural = _("emergency cases")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EmergencyStatus.values), name="emergency_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=EmergencyReason.values), name="emergency_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(area_override=False) | ~Q(area_override_reason=""),
                name="emergency_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="recorded")
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision_reason="")),
                name="emergency_decision_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(service_date__isnull=False, code__isnull=False),
                name="emergency_approved_has_day",
            ),
            models.CheckConstraint(
                condition=Q(ticket__isnull=True) | Q(status="approved"),
                name="emergency_ticket_only_when_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(in_working_area=True) | Q(area_override=True),
                name="emergency_outside_area_needs_override",
            ),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="emergency_nik_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.applicant_name}"


class WalkInAdmission(models.Model):
    """A place taken at a walk-in (Simpatik) day, numbered in arrival order."""

    occurrence = models.ForeignKey(
        ServiceDayOccurrence, on_delete=models.PROTECT, related_name="admissions"
    )
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=150)
    slot = models.ForeignKey("capacity.CapacitySlot", on_delete=models.PROTECT, related_name="+")
    admitted_at = models.DateTimeField()
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The first-stage queue ticket (the place is held by the admission, not the ticket).
    ticket = models.OneToOneField(
        "queue.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurrence", "number"]
        verbose_name = _("walk-in admission")
        verbose_name_plural = _("walk-in admissions")
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "number"], name="walk_in_number_unique_per_day"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="walk_in_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.occurrence} #{self.number}"
