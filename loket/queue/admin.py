from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.identity.nik import mask_nik
from loket.queue.models import (
    Counter,
    Issuance,
    Lane,
    QueueSettings,
    Stage,
    Ticket,
    TicketEvent,
)


@admin.register(QueueSettings)
class QueueSettingsAdmin(AuditedAdmin):
    list_display = [
        "office",
        "others_per_priority",
        "starvation_minutes",
        "recalls_before_no_show",
        "off_window_rule",
    ]


@admin.register(Stage)
class StageAdmin(AuditedAdmin):
    list_display = ["office", "order", "code", "name", "is_final", "records_interview"]
    list_filter = ["office"]


@admin.register(Lane)
class LaneAdmin(AuditedAdmin):
    list_display = ["office", "prefix", "kind", "name", "channel"]
    list_filter = ["office"]


@admin.register(Counter)
class CounterAdmin(AuditedAdmin):
    list_display = ["office", "number", "name", "is_active"]
    list_filter = ["office"]
    filter_horizontal = ["stages", "lanes"]


class ReadOnlyAdmin(AuditedAdmin):
    """Tickets and their events change only through the queue services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "office", "date", "stage", "status", "counter", "issued_at"]
    list_filter = ["office", "date", "status", "lane"]
    list_select_related = ["lane", "office", "stage", "counter"]
    exclude = ["applicant_nik"]
    readonly_fields = ["masked_nik"]

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.applicant_nik) if obj.applicant_nik else ""


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "kind", "stage", "counter", "officer"]
    list_filter = ["office", "kind"]
    list_select_related = ["ticket__lane", "stage", "counter", "officer"]


@admin.register(Issuance)
class IssuanceAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "interview_date", "ready_date", "picked_up_at", "picked_up_by"]
    list_filter = ["office", "picked_up_by"]
    exclude = ["collector_document"]
