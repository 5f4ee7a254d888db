from django.contrib import admin

from loket.capacity.models import CapacitySlot
from loket.core.admin_audit import AuditedAdmin


@admin.register(CapacitySlot)
class CapacitySlotAdmin(AuditedAdmin):
    """The ledger, read-only: capacity comes from channel configuration."""

    list_display = ["channel", "date", "window_start", "window_end", "capacity", "used"]
    list_filter = ["channel__office", "channel"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
