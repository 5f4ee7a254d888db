from django.contrib import admin

from loket.core.admin_audit import AuditedAdmin
from loket.identity.models import ResidentRecord
from loket.identity.nik import mask_nik


@admin.register(ResidentRecord)
class ResidentRecordAdmin(AuditedAdmin):
    """The local registry's people (only with LocalRegistry): search by the full NIK."""

    list_display = ["masked_nik", "source", "updated_at"]
    list_filter = ["source"]
    search_fields = ["=nik"]
    fields = ["nik", "name", "birth_date", "source", "updated_at"]
    readonly_fields = ["source", "updated_at"]

    @admin.display(description="NIK")
    def masked_nik(self, obj) -> str:
        return mask_nik(obj.nik)

    def save_model(self, request, obj, form, change):
        from loket.core import clock

        obj.source = "admin"
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
