"""Queue reads: the board, the supervisor's floor, uncollected passports."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Min, Sum
from django.utils import timezone

from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.offices.models import Channel, Office
from loket.offices.selectors import get_bap_channel, load_channel_plan
from loket.queue import domain
from loket.queue.models import (
    AT_COUNTER,
    BapCase,
    BapStatus,
    Counter,
    Issuance,
    Lane,
    Stage,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

PICKUP_DEADLINE_DAYS = 30


def list_uncollected(*, office: Office, on: dt.date | None = None):
    """Passports ready for more than a month and not picked up: to be cancelled."""
    on = on or clock.local_today(office.time_zone)
    return (
        Issuance.objects.select_related("ticket", "ticket__lane")
        .filter(
            office=office,
            picked_up_at__isnull=True,
            ready_date__lt=on - dt.timedelta(days=PICKUP_DEADLINE_DAYS),
        )
        .order_by("ready_date")
    )


def _today(office: Office) -> dt.date:
    return clock.local_today(office.time_zone)


def board_state(*, office: Office, recent: int = 6) -> dict:
    """What the hall's TV shows: recent calls and their counters, people waiting per lane.

    No personal data: ticket numbers, counter numbers and counts only. `id` of each call is the
    event id, so the board can tell a new call (or a recall) from one it has announced.
    """
    today = _today(office)
    calls = list(
        TicketEvent.objects.filter(
            office=office,
            ticket__date=today,
            kind__in=[TicketEventKind.CALLED, TicketEventKind.RECALLED],
        )
        .select_related("ticket__lane", "counter")
        .order_by("-id")[:recent]
    )
    waiting = dict(
        Ticket.objects.filter(office=office, date=today, status=TicketStatus.WAITING)
        .values_list("lane_id")
        .annotate(n=Count("id"))
        .values_list("lane_id", "n")
    )
    lanes = list(Lane.objects.filter(office=office).order_by("prefix"))
    return {
        "office": office.code,
        "now": clock.local_now(office.time_zone).strftime("%H:%M"),
        "calls": [
            {
                "id": e.pk,
                "ticket": e.ticket.display,
                "spoken": domain.spoken_number(e.ticket.lane.prefix, e.ticket.number),
                "counter": e.counter.number if e.counter_id else None,
                "recall": e.kind == TicketEventKind.RECALLED,
                "at": timezone.localtime(e.at, zoneinfo.ZoneInfo(office.time_zone)).strftime(
                    "%H:%M"
                ),
            }
            for e in calls
        ],
        "waiting": [
            {"lane": lane.prefix, "name": lane.name, "count": waiting.get(lane.pk, 0)}
            for lane in lanes
        ],
    }


@dataclass(frozen=True)
class StageLoad:
    stage: Stage
    waiting: int
    longest_wait_minutes: int | None


@dataclass(frozen=True)
class CounterState:
    counter: Counter
    ticket: Ticket | None
    minutes: int | None


@dataclass(frozen=True)
class QuotaUse:
    name: str
    used: int
    capacity: int


def _minutes_since(moment: dt.datetime | None, now: dt.datetime) -> int | None:
    if moment is None:
        return None
    return max(int((now - moment).total_seconds() // 60), 0)


def floor_state(*, office: Office) -> dict:
    """The supervisor's view: waiting per stage, the longest wait, counters, today's quotas."""
    today = _today(office)
    now = clock.now()
    per_stage = {
        row["stage_id"]: row
        for row in Ticket.objects.filter(office=office, date=today, status=TicketStatus.WAITING)
        .values("stage_id")
        .annotate(n=Count("id"), oldest=Min("waiting_since"))
    }
    stages = [
        StageLoad(
            stage=s,
            waiting=per_stage.get(s.pk, {}).get("n", 0),
            longest_wait_minutes=_minutes_since(per_stage.get(s.pk, {}).get("oldest"), now),
        )
        for s in Stage.objects.filter(office=office, is_final=False).order_by("order")
    ]
    at_counter = {
        t.counter_id: t
        for t in Ticket.objects.filter(office=office, status__in=AT_COUNTER).select_related(
            "lane", "stage"
        )
    }
    counters = [
        CounterState(
            counter=c,
            ticket=at_counter.get(c.pk),
            minutes=_minutes_since(at_counter[c.pk].called_at if c.pk in at_counter else None, now),
        )
        for c in Counter.objects.filter(office=office, is_active=True).order_by("number")
    ]
    quotas = list_quota_use(office=office, day=today)
    status_counts = dict(
        Ticket.objects.filter(office=office, date=today)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "stages": stages,
        "counters": counters,
        "quotas": quotas,
        "status_counts": status_counts,
        "longest_wait": max(
            (s.longest_wait_minutes for s in stages if s.longest_wait_minutes is not None),
            default=None,
        ),
    }


def list_quota_use(*, office: Office, day: dt.date) -> list[QuotaUse]:
    """Each active channel's places today and how many are taken; channels with no ledger rows
    yet show their configured places (nothing taken)."""
    taken = {
        row["channel_id"]: row
        for row in CapacitySlot.objects.filter(channel__office=office, date=day)
        .values("channel_id")
        .annotate(u=Sum("used"), c=Sum("capacity"))
    }
    out = []
    for channel in Channel.objects.filter(office=office, is_active=True).order_by("name"):
        if channel.pk in taken:
            row = taken[channel.pk]
            out.append(QuotaUse(name=channel.name, used=row["u"] or 0, capacity=row["c"] or 0))
            continue
        capacity = load_channel_plan(channel, day, day).day_capacity(day)
        if capacity:
            out.append(QuotaUse(name=channel.name, used=0, capacity=capacity))
    return out


def list_waiting_for_counter(*, counter: Counter) -> int:
    return Ticket.objects.filter(
        office_id=counter.office_id,
        date=_today(counter.office),
        status=TicketStatus.WAITING,
        stage__in=counter.stages.all(),
        lane__in=counter.lanes.all(),
    ).count()


def list_parked(*, office: Office, counter: Counter | None = None):
    query = Ticket.objects.filter(
        office=office, date=_today(office), status=TicketStatus.PARKED
    ).select_related("lane", "stage")
    if counter is not None:
        query = query.filter(stage__in=counter.stages.all())
    return query.order_by("waiting_since")


def list_ready_passports(*, office: Office):
    return (
        Issuance.objects.filter(office=office, picked_up_at__isnull=True)
        .select_related("ticket__lane")
        .order_by("ready_date", "id")
    )


def list_today_tickets(*, office: Office, limit: int = 20):
    return (
        Ticket.objects.filter(office=office, date=_today(office))
        .select_related("lane", "stage")
        .order_by("-issued_at", "-id")[:limit]
    )


def list_bap_cases(*, office: Office) -> dict:
    """Examinations due (today or overdue, not yet approved), upcoming, and recently approved."""
    today = _today(office)
    cases = BapCase.objects.filter(office=office).select_related("ticket__lane")
    return {
        "due": cases.filter(status=BapStatus.SCHEDULED, bap_date__lte=today).order_by("bap_date"),
        "upcoming": cases.filter(status=BapStatus.SCHEDULED, bap_date__gt=today).order_by(
            "bap_date"
        )[:50],
        "approved": cases.filter(status=BapStatus.APPROVED).order_by("-approved_at")[:20],
    }


@dataclass(frozen=True)
class BapDay:
    date: dt.date
    remaining: int


def list_bap_days(*, office: Office, days: int = 14) -> list[BapDay]:
    """The next open days of the office's examination (BAP) channel with places left (within
    `days` calendar days); empty when the office has no BAP channel."""
    channel = get_bap_channel(office)
    if channel is None:
        return []
    today = _today(office)
    start = today + dt.timedelta(days=1)
    end = today + dt.timedelta(days=min(days, channel.horizon_days))
    plan = load_channel_plan(channel, start, end)
    ledger = {
        row["date"]: row
        for row in CapacitySlot.objects.filter(channel=channel, date__range=(start, end))
        .values("date")
        .annotate(taken=Sum("used"), places=Sum("capacity"))
    }
    out = []
    day = start
    while day <= end:
        row = ledger.get(day)
        remaining = row["places"] - row["taken"] if row else plan.day_capacity(day)
        if plan.closure_reason(day) is None and remaining > 0:
            out.append(BapDay(date=day, remaining=remaining))
        day += dt.timedelta(days=1)
    return out


def count_places_held(slots) -> dict[int, int]:
    """Ledger places held by walk-in tickets and scheduled examinations (BAP), per slot."""
    held: dict[int, int] = {}
    for model in (Ticket, BapCase):
        rows = model.objects.filter(slot__in=slots).values("slot_id").annotate(n=Count("id"))
        for row in rows:
            held[row["slot_id"]] = held.get(row["slot_id"], 0) + row["n"]
    return held
