from django.contrib import admin
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.accounts.sessions import keep_this_session
from loket.core.admin_audit import AuditedAdmin
from loket.staff import two_factor
from loket.staff.models import StaffMembership


@admin.register(StaffMembership)
class StaffMembershipAdmin(AuditedAdmin):
    list_display = ["user", "office", "role", "created_at"]
    list_filter = ["office", "role"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]


# Two-factor devices: an administrator removes a lost one (the officer then sets up again),
# which ends the officer's sessions. The secret is never shown here; the change is audited
# like the rest of the admin.
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

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            self._end_owners_sessions(request, [obj])

    def delete_queryset(self, request, queryset):
        devices = list(queryset)
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            self._end_owners_sessions(request, devices)

    def _end_owners_sessions(self, request, devices):
        if request.user.pk in two_factor.devices_removed(devices=devices):
            keep_this_session(request)
