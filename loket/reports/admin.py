from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.reports.models import ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(AuditedAdmin):
    list_display = ["office", "target_wait_minutes"]
