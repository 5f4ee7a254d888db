"""Writing the audit trail: call inside the transaction that makes the change."""

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
