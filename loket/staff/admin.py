from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.core.admin_audit import AuditedAdmin
from loket.staff.models import StaffMembership


@admin.register(StaffMembership)
class StaffMembershipAdmin(AuditedAdmin):
    list_display = ["user", "office", "role", "created_at"]
    list_filter = ["office", "role"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]


# Two-factor devices: an administrator removes a lost one (the officer then sets up again).
# The secret is never shown here; the change is audited like the rest of the admin.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedAdmin):
    list_display = ["user", "name", "confirmed", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed", "last_used_at"]
    readonly_fields = ["user", "name", "confirmed", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
