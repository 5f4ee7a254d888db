"""Outreach reads: upcoming service days with places left, the team calendar, review lists."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.offices.models import Office
from loket.outreach.models import (
    EmergencyCase,
    EmergencyStatus,
    OccurrenceStatus,
    OutreachParticipant,
    OutreachRequest,
    ServiceDayKind,
    ServiceDayOccurrence,
    Team,
    TeamAssignment,
    WalkInAdmission,
)

UPCOMING_DAYS = 60


@dataclass(frozen=True)
class ServiceDayAvailability:
    occurrence: ServiceDayOccurrence
    capacity: int
    remaining: int

    @property
    def is_full(self) -> bool:
        return self.remaining <= 0


def list_upcoming_service_days(
    *, office: Office, kind: str = ServiceDayKind.EVENT, days: int = UPCOMING_DAYS
) -> list[ServiceDayAvailability]:
    """Live service days from today on, with the places left in the ledger. Two queries."""
    today = clock.local_today(office.time_zone)
    end = today + dt.timedelta(days=days)
    occurrences = list(
        ServiceDayOccurrence.objects.select_related("rule", "channel")
        .filter(rule__office=office, rule__kind=kind, date__range=(today, end))
        .exclude(status=OccurrenceStatus.CANCELLED)
        .order_by("date", "id")
    )
    slots: dict[tuple[int, dt.date], list[CapacitySlot]] = defaultdict(list)
    if occurrences:
        for slot in CapacitySlot.objects.filter(
            channel_id__in={o.channel_id for o in occurrences}, date__range=(today, end)
        ):
            slots[(slot.channel_id, slot.date)].append(slot)
    result = []
    for o in occurrences:
        day_slots = slots.get((o.channel_id, o.date))
        if day_slots:
            capacity = sum(s.capacity for s in day_slots)
            remaining = sum(s.remaining for s in day_slots)
        else:  # nothing booked yet: the ledger rows are made on the first booking
            capacity = remaining = o.quota
        result.append(ServiceDayAvailability(o, capacity, remaining))
    return result


@dataclass(frozen=True)
class TeamCalendar:
    days: list[dt.date]
    rows: list[tuple[Team, list[TeamAssignment | None]]]


def team_calendar(*, office: Office, start: dt.date, days: int = 28) -> TeamCalendar:
    """Each active team's days from `start`: where it is, or None when free. Two queries."""
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    teams = list(Team.objects.filter(office=office, is_active=True).order_by("name"))
    by_team: dict[int, dict[dt.date, TeamAssignment]] = defaultdict(dict)
    for a in TeamAssignment.objects.filter(
        team__office=office, date__range=(dates[0], dates[-1])
    ).select_related("occurrence", "outreach_request"):
        by_team[a.team_id][a.date] = a
    rows = [(t, [by_team[t.pk].get(d) for d in dates]) for t in teams]
    return TeamCalendar(days=dates, rows=rows)


def list_requests(*, office: Office, status: str | None = None):
    qs = (
        OutreachRequest.objects.filter(office=office)
        .annotate(participant_count=Count("participants"))
        .select_related("team")
        .order_by("-created_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def list_emergency_cases(*, office: Office, open_only: bool = False):
    qs = EmergencyCase.objects.filter(office=office).select_related("recorded_by", "decided_by")
    if open_only:
        qs = qs.filter(status=EmergencyStatus.RECORDED)
    return qs.order_by("-recorded_at", "-id")


def count_walk_in_places(slots) -> dict[int, int]:
    """Walk-in admissions per ledger slot (the ledger integrity check adds these up)."""
    rows = WalkInAdmission.objects.filter(slot__in=slots).values("slot_id").annotate(n=Count("id"))
    return {row["slot_id"]: row["n"] for row in rows}


def count_participant_places(slots) -> dict[int, int]:
    """Ledger places held by approved Eazy Passport participants, per slot."""
    rows = (
        OutreachParticipant.objects.filter(slot__in=slots).values("slot_id").annotate(n=Count("id"))
    )
    return {row["slot_id"]: row["n"] for row in rows}
