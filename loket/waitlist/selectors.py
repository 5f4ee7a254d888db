"""Waiting-list reads."""

import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from loket.waitlist.models import OPEN_STATUSES, EntryStatus, WaitlistEntry


def count_places_held(slots: QuerySet) -> dict[int, int]:
    """Open offers hold one ledger place each."""
    rows = (
        WaitlistEntry.objects.filter(slot__in=slots, status=EntryStatus.OFFERED)
        .values("slot_id")
        .annotate(n=Count("id"))
    )
    return {row["slot_id"]: row["n"] for row in rows}


def _position():
    ahead = (
        WaitlistEntry.objects.filter(
            channel=OuterRef("channel"),
            date=OuterRef("date"),
            status=EntryStatus.WAITING,
            pk__lte=OuterRef("pk"),
        )
        .order_by()
        .values("channel")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0))


def list_account_entries(*, account, include_closed: bool = False, limit: int = 50) -> list:
    """The account's entries, newest first; `position` is the place in line (1 = next)."""
    entries = WaitlistEntry.objects.filter(account=account)
    if not include_closed:
        entries = entries.filter(status__in=OPEN_STATUSES)
    return list(
        entries.select_related("office", "channel", "applicant", "slot", "booking")
        .annotate(position=_position())
        .order_by("-pk")[:limit]
    )


def count_waiting(*, channel, day: dt.date) -> int:
    return WaitlistEntry.objects.filter(
        channel=channel, date=day, status=EntryStatus.WAITING
    ).count()
