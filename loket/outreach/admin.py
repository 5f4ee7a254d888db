import datetime as dt

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.admin_audit import AuditedAdmin
from loket.core.errors import DomainError
from loket.identity.nik import mask_nik, mask_phone
from loket.outreach import service_days
from loket.outreach.models import (
    EmergencyCase,
    OutreachParticipant,
    OutreachRequest,
    OutreachSettings,
    ServiceDayOccurrence,
    ServiceDayRule,
    Team,
    TeamAssignment,
    WalkInAdmission,
)


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(AuditedAdmin):
    list_display = ["office", "min_applicants"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "office", "size", "is_active"]
    list_filter = ["office", "is_active"]


@admin.register(TeamAssignment)
class TeamAssignmentAdmin(AuditedAdmin):
    """Read-only: team days are written by planning a visit or a service day."""

    list_display = ["date", "team", "kind", "label"]
    list_filter = ["team", "kind"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceDayRule)
class ServiceDayRuleAdmin(AuditedAdmin):
    list_display = ["name", "kind", "office", "channel", "weekday", "valid_from", "valid_until"]
    list_display += ["quota", "team", "is_active"]
    list_filter = ["office", "kind", "is_active"]
    actions = ["generate_days"]

    @admin.action(description=_("Plan the service days of the next 90 days"))
    def generate_days(self, request, queryset):
        for rule in queryset.select_related("office", "channel", "team"):
            today = clock.local_today(rule.office.time_zone)
            try:
                made = service_days.generate_occurrences(
                    rule=rule,
                    start=today,
                    end=today + dt.timedelta(days=90),
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, f"{rule}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{rule}: {len(made)}", messages.SUCCESS)


@admin.register(ServiceDayOccurrence)
class ServiceDayOccurrenceAdmin(AuditedAdmin):
    """Read-only: move and cancel through the staff pages, so people booked are told."""

    list_display = ["date", "rule", "location", "status", "quota"]
    list_filter = ["status", "rule"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ParticipantInline(admin.TabularInline):
    model = OutreachParticipant
    extra = 0
    can_delete = False
    fields = ["row_number", "masked_nik", "name", "birth_date", "application_type", "code"]
    readonly_fields = fields

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.nik)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutreachRequest)
class OutreachRequestAdmin(AuditedAdmin):
    list_display = ["code", "organisation", "office", "status", "visit_date", "team", "created_at"]
    list_filter = ["office", "status"]
    search_fields = ["code", "organisation", "email"]
    inlines = [ParticipantInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmergencyCase)
class EmergencyCaseAdmin(AuditedAdmin):
    """Read-only: cases are recorded and decided on the hotline pages (audited)."""

    list_display = ["pk", "applicant_name", "reason", "status", "in_working_area", "recorded_at"]
    list_filter = ["office", "status", "reason", "area_override"]
    exclude = ["nik", "caller_phone"]
    readonly_fields = ["masked_nik", "masked_caller_phone"]

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.nik)

    @admin.display(description=_("caller's phone"))
    def masked_caller_phone(self, obj):
        return mask_phone(obj.caller_phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WalkInAdmission)
class WalkInAdmissionAdmin(AuditedAdmin):
    list_display = ["occurrence", "number", "name", "admitted_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
