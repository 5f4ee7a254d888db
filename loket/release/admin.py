from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.release.models import FairRelease, WaitingEntry


@admin.register(FairRelease)
class FairReleaseAdmin(AuditedAdmin):
    list_display = ["channel", "enabled", "lottery_seconds", "admit_per_minute", "turn_seconds"]
    list_filter = ["enabled"]


@admin.register(WaitingEntry)
class WaitingEntryAdmin(AuditedAdmin):
    list_display = ["channel", "release_at", "arrived_at", "used_at"]
    list_filter = ["channel"]
    readonly_fields = [f.name for f in WaitingEntry._meta.fields]

    def has_add_permission(self, request):
        return False
