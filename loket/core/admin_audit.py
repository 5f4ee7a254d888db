"""Configuration changed in the Django admin goes into the audit trail, with before and after.

Every ModelAdmin of the project derives from AuditedAdmin (or mixes in AuditedAdminMixin):
adding, changing or deleting a row, in its form or in an inline, records one event per row in
the admin's transaction. Only the fields that changed are kept, personal values masked.
"""

import json

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder

from loket.core import audit

_PERSONAL = ("nik", "phone", "password", "email", "caller", "collector", "contact", "notes")


def _personal(field: str) -> bool:
    # "key": a two-factor device's secret.
    return (
        field.endswith("_name")
        or field in ("full_name", "key")
        or any(p in field for p in _PERSONAL)
    )


def snapshot(obj) -> dict:
    """The row's concrete fields as JSON values."""
    if obj is None:
        return {}
    values = {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _masked(values: dict) -> dict:
    return {k: ("***" if _personal(k) and v not in (None, "") else v) for k, v in values.items()}


def _office_of(obj):
    Office = audit.office_model()
    if isinstance(obj, Office):
        return obj
    for name in ("office", "channel", "team", "stage", "lane", "rule"):
        related = getattr(obj, name, None) if _has_field(obj, name) else None
        if related is not None:
            return related if isinstance(related, Office) else _office_of(related)
    return None


def _has_field(obj, name: str) -> bool:
    try:
        obj._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _record(request, obj, verb: str, before: dict, after: dict) -> None:
    if verb == "changed":
        keys = [k for k in after if before.get(k) != after.get(k)]
        if not keys:
            return
        before = {k: before.get(k) for k in keys}
        after = {k: after[k] for k in keys}
    before, after = _masked(before), _masked(after)
    code = getattr(obj, "code", None) if _has_field(obj, "code") else None
    pk = before.get("id") if verb == "deleted" else obj.pk
    audit.record(
        action=f"admin.{obj._meta.model_name}.{verb}",
        obj=obj,
        object_id=str(code or pk),
        actor=request.user,
        office=_office_of(obj),
        before=before or None,
        after=after or None,
    )


class AuditedAdminMixin:
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj)._default_manager.filter(pk=obj.pk).first()) if change else {}
        super().save_model(request, obj, form, change)
        _record(request, obj, "changed" if change else "added", before, snapshot(obj))

    def delete_model(self, request, obj):
        before = snapshot(obj)
        super().delete_model(request, obj)
        _record(request, obj, "deleted", before, {})

    def delete_queryset(self, request, queryset):
        rows = [(obj, snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, before in rows:
            _record(request, obj, "deleted", before, {})

    def save_formset(self, request, form, formset, change):
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {o.pk: snapshot(o) for o in model._default_manager.filter(pk__in=pks)}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _record(request, obj, "added", {}, snapshot(obj))
        for obj, _fields in formset.changed_objects:
            _record(request, obj, "changed", before.get(obj.pk, {}), snapshot(obj))
        for obj in formset.deleted_objects:
            _record(request, obj, "deleted", before.get(obj.pk, snapshot(obj)), {})


class AuditedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass
