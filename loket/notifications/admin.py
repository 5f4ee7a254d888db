from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedAdmin):
    list_display = ["created_at", "channel", "subject", "attempts", "sent_at", "failed_at"]
    list_filter = ["channel"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
