from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.identity.nik import mask_nik
from loket.waitlist.models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(AuditedAdmin):
    """Read-only view: entries change only through the waiting-list services."""

    list_display = ["id", "office", "channel", "date", "status", "masked_nik", "offer_expires_at"]
    list_filter = ["office", "status", "date"]
    date_hierarchy = "date"
    exclude = ["nik"]

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.nik)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
