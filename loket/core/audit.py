"""Writing the audit trail: call inside the transaction that makes the change. And who may
read it: the app that owns staff roles registers an audit scope (user -> the ids of the
offices whose trail they may search) in its AppConfig.ready()."""

from collections.abc import Callable
from typing import Any

from loket.core import clock
from loket.core.models import AuditEvent


def build(
    *,
    action: str,
    obj: Any,
    actor=None,
    actor_label: str | None = None,
    office=None,
    before: dict | None = None,
    after: dict | None = None,
    object_id: str | None = None,
    at=None,
) -> AuditEvent:
    """The audit row of a change, unsaved: the one builder, whichever path writes it."""
    if actor_label is None:
        actor_label = actor.email if actor is not None else "system"
    return AuditEvent(
        at=at or clock.now(),
        actor=actor,
        actor_label=actor_label[:100],
        office=office,
        action=action,
        object_type=type(obj).__name__,
        object_id=object_id or str(getattr(obj, "code", None) or obj.pk),
        before=before,
        after=after,
    )


def record(
    *,
    action: str,
    obj: Any,
    actor=None,
    actor_label: str | None = None,
    office=None,
    before: dict | None = None,
    after: dict | None = None,
    object_id: str | None = None,
) -> AuditEvent:
    """Write the audit row of a change, in the caller's transaction."""
    event = build(
        action=action,
        obj=obj,
        actor=actor,
        actor_label=actor_label,
        office=office,
        before=before,
        after=after,
        object_id=object_id,
    )
    event.save(force_insert=True)
    return event


AuditScope = Callable[[Any], Any]  # user -> office ids (a list or a values() queryset)
_scopes: list[AuditScope] = []


def register_audit_scope(scope: AuditScope) -> None:
    if scope not in _scopes:
        _scopes.append(scope)


def audit_scopes() -> list[AuditScope]:
    return list(_scopes)


def office_model():
    """The model behind an audit event's office (core names it only in its foreign key)."""
    return AuditEvent._meta.get_field("office").related_model
