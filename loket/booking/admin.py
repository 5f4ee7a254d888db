from django.contrib import admin

from loket.booking.models import Booking
from loket.core.admin_audit import AuditedAdmin
from loket.identity.nik import mask_nik


@admin.register(Booking)
class BookingAdmin(AuditedAdmin):
    """Read-only view: bookings change only through the booking services."""

    list_display = ["code", "office", "date", "window_start", "status", "masked_nik", "amount"]
    list_filter = ["office", "status", "date"]
    search_fields = ["code", "application_number", "billing_code"]
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
