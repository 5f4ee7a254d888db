"""The supervisor's flags: what the link raised for a person to look at (a cancellation the
desk did not see, a window served beyond its places, a NIK holding places on both sides).

A flag is raised at the central site (loket.sync.apply) and comes down to the office's node.
The office's supervisor closes it on either side, saying what was done; the closing is audited.
Closed at the node, it goes up with the node's other changes (the node's trigger on the flag
table); the central site keeps the first closing it learns of and sends it back down.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loket.core import audit, clock
from loket.core.errors import DomainError, NotFound
from loket.offices.models import Office
from loket.staff.permissions import require
from loket.sync.feed import FLAG, record_change
from loket.sync.models import SyncFlag

CLOSED_SHOWN_DAYS = 30
NOTE_LENGTH = 300


class FlagNotFound(NotFound, code="sync_flag_not_found"):
    message = _("There is no such case for this office.")


class FlagAlreadyClosed(DomainError, code="sync_flag_closed", status=409):
    message = _("This case was already closed.")


def list_flags(*, office: Office) -> dict[str, list[SyncFlag]]:
    """The office's open flags (oldest first) and those closed in the last 30 days."""
    flags = SyncFlag.objects.filter(office=office).select_related("resolved_by")
    since = clock.now() - dt.timedelta(days=CLOSED_SHOWN_DAYS)
    return {
        "open": list(flags.filter(resolved_at__isnull=True).order_by("at", "id")),
        "closed": list(flags.filter(resolved_at__gte=since).order_by("-resolved_at", "-id")),
    }


def close_flag(*, office: Office, flag_id: int, officer, note: str = "") -> SyncFlag:
    """Close an open flag of `office`, with what was done; audited. Locks the flag row."""
    require(officer, office, "office.supervise")
    note = " ".join((note or "").split())[:NOTE_LENGTH]
    with transaction.atomic():
        flag = SyncFlag.objects.select_for_update().filter(pk=flag_id, office=office).first()
        if flag is None:
            raise FlagNotFound()
        if flag.resolved_at is not None:
            raise FlagAlreadyClosed()
        flag.resolved_at, flag.resolved_by, flag.note = clock.now(), officer, note
        flag.save(update_fields=["resolved_at", "resolved_by", "note"])
        audit.record(
            action="sync.flag_closed",
            obj=flag,
            actor=officer,
            office=office,
            before={"kind": flag.kind, "object": flag.object_id, "closed": False},
            after={"closed": True, "note": note},
        )
        record_change(office_id=office.pk, model=FLAG, object_pk=str(flag.pk))  # to the node
    return flag
