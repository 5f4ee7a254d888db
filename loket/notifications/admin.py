from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from loket.core.admin_audit import AuditedAdmin
from loket.core.masking import mask_log_text
from loket.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedAdmin):
    """For delivery troubleshooting: states, attempts and errors; the recipient and the text
    are shown masked (the messages carry names, codes and addresses)."""

    list_display = ["created_at", "channel", "masked_recipient", "attempts", "sent_at", "failed_at"]
    list_filter = ["channel"]
    fields = [
        "channel",
        "masked_recipient",
        "masked_body",
        "dedupe_key",
        "created_at",
        "next_attempt_at",
        "attempts",
        "last_error",
        "sent_at",
        "failed_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj):
        return mask_log_text(obj.recipient)

    @admin.display(description=_("message"))
    def masked_body(self, obj):
        return mask_log_text(f"{obj.subject}\n\n{obj.body}")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
