from django.contrib import admin

from loket.reports.models import ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    list_display = ["office", "target_wait_minutes"]
