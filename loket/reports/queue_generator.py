"""The office days of generated bookings: a ticket per attended booking and its events.

Each day is simulated: people arrive around their booked window, then pass the stages in
order, each a first-come-first-served queue in front of the stage's counters, so waits
grow where arrivals bunch (mornings) and fall later in the day. Rows are bulk inserted
(COPY on PostgreSQL for the events), never through the queue services: a year would take
hours. About 7 events a ticket: issued, then per stage called (sometimes recalled) and
finished.
"""

import datetime as dt
import heapq
import io
import math
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Max

from loket.booking.models import Booking, BookingStatus
from loket.offices.models import ChannelKind, Office
from loket.queue import office_setup
from loket.queue.models import (
    Counter,
    Lane,
    LaneKind,
    PriorityReason,
    Stage,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from loket.reports.models import QueueMonthSummary

# Mean service minutes per stage code (other stages: 3), lognormal with this spread.
SERVICE_MINUTES = {"document_check": 3.0, "photo_interview": 5.0, "payment": 2.0}
SERVICE_CV = 0.5
RECALL_RATE = 0.03
LARGE_OFFICE_COUNTERS = {"document_check": 6, "photo_interview": 8, "payment": 4}
CHANNEL_LANES = {
    ChannelKind.ONLINE: LaneKind.APPOINTMENT,
    ChannelKind.PRIORITY: LaneKind.PRIORITY,
    ChannelKind.LOST_DAMAGED: LaneKind.LOST_DAMAGED,
}
DAYS_PER_BATCH = 5
EVENT_COLUMNS = ("ticket_id", "office_id", "kind", "at", "stage_id", "counter_id")


def ensure_queue(office: Office) -> None:
    """Stages and lanes (the queue app's defaults) and, for an office without counters,
    counters for a large office."""
    office_setup.ensure_office_queue(office=office)
    if not Counter.objects.filter(office=office).exists():
        number = 1
        for code, n in LARGE_OFFICE_COUNTERS.items():
            for _i in range(n):
                office_setup.save_counter(office=office, number=number, stage_codes=[code])
                number += 1


def _lognormal(rng: random.Random, mean: float) -> float:
    sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
    return rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)


def _simulate_day(rng, day, people, stages, counters_by_stage, tz):
    """Tickets and events of one day. `people`: dicts with window_start, lane; returns
    [(ticket fields, [(kind, at, stage, counter)])]."""
    opening = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    arrivals = []
    for p in people:
        window = p["window_start"].hour * 60 + p["window_start"].minute
        arrivals.append((max(window - 25 + rng.uniform(0, 70), 7 * 60), p))
    arrivals.sort(key=lambda a: a[0])
    plans = [
        {"events": [("issued", minute, stages[0], None)], "ready": minute}
        for minute, _p in arrivals
    ]
    for stage in stages:
        counters = counters_by_stage.get(stage.pk) or []
        if not counters:
            continue
        n = len(plans)
        # Fit the mean so the day ends in time (at most 85 % busy over 8.5 hours).
        mean = min(SERVICE_MINUTES.get(stage.code, 3.0), 0.85 * len(counters) * 510 / max(n, 1))
        free = [(0.0, c) for c in counters]
        heapq.heapify(free)
        for plan in sorted(plans, key=lambda pl: pl["ready"]):
            free_at, counter = heapq.heappop(free)
            called = max(plan["ready"], free_at) + rng.uniform(0.05, 0.5)
            plan["events"].append(("called", called, stage, counter))
            begin = called
            if rng.random() < RECALL_RATE:
                begin = called + rng.uniform(1, 3)
                plan["events"].append(("recalled", begin, stage, counter))
            finished = begin + _lognormal(rng, mean)
            plan["events"].append(("finished", finished, stage, counter))
            plan["ready"] = finished
            heapq.heappush(free, (finished, counter))
    out = []
    for (minute, person), plan in zip(arrivals, plans, strict=True):
        events = [
            (kind, opening + dt.timedelta(minutes=at), stage, counter)
            for kind, at, stage, counter in plan["events"]
        ]
        out.append((minute, person, events))
    return out


def generate_queue(
    *,
    office: Office,
    start: dt.date,
    end: dt.date,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Tickets and events for the completed bookings in [start, end] without a ticket yet;
    returns (tickets, events) written."""
    rng = random.Random(seed)
    tz = zoneinfo.ZoneInfo(office.time_zone)
    QueueMonthSummary.objects.filter(office=office).delete()  # past months change now
    ensure_queue(office)
    stages = list(Stage.objects.filter(office=office, is_final=False).order_by("order"))
    final = Stage.objects.filter(office=office, is_final=True).first() or stages[-1]
    lanes = {lane.kind: lane for lane in Lane.objects.filter(office=office)}
    counters_by_stage: dict[int, list[int]] = defaultdict(list)
    for counter_id, stage_id in Counter.objects.filter(office=office, is_active=True).values_list(
        "id", "stages"
    ):
        if stage_id is not None:
            counters_by_stage[stage_id].append(counter_id)
    people_by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for row in (
        Booking.objects.filter(
            office=office,
            date__range=(start, end),
            status=BookingStatus.COMPLETED,
            ticket__isnull=True,
        )
        .values(
            "id",
            "date",
            "window_start",
            "channel__kind",
            "nik",
            "applicant__name",
            "applicant__birth_date",
        )
        .order_by("date", "id")
    ):
        lane = lanes.get(CHANNEL_LANES.get(row["channel__kind"], LaneKind.APPOINTMENT))
        row["lane"] = lane or lanes[LaneKind.APPOINTMENT]
        people_by_day[row["date"]].append(row)
    numbers: dict[tuple[dt.date, int], int] = defaultdict(int)
    for day, lane_id, last in (
        Ticket.objects.filter(office=office, date__range=(start, end))
        .values_list("date", "lane_id")
        .annotate(last=Max("number"))
    ):
        numbers[(day, lane_id)] = last
    days = sorted(people_by_day)
    written = [0, 0]
    for i in range(0, len(days), DAYS_PER_BATCH):
        batch = days[i : i + DAYS_PER_BATCH]
        tickets, plans = [], []
        for day in batch:
            for _minute, person, events in _simulate_day(
                rng, day, people_by_day[day], stages, counters_by_stage, tz
            ):
                lane = person["lane"]
                numbers[(day, lane.pk)] += 1
                issued = events[0][1]
                last_call = max(e[1] for e in events if e[0] == "called")
                priority = ""
                if lane.kind == LaneKind.PRIORITY:
                    priority = rng.choice([c for c in PriorityReason.values if c])
                tickets.append(
                    Ticket(
                        office=office,
                        date=day,
                        lane=lane,
                        number=numbers[(day, lane.pk)],
                        booking_id=person["id"],
                        applicant_name=person["applicant__name"],
                        applicant_nik=person["nik"],
                        birth_date=person["applicant__birth_date"],
                        priority_reason=priority,
                        stage=final,
                        status=TicketStatus.DONE,
                        order_at=dt.datetime.combine(day, person["window_start"], tzinfo=tz),
                        issued_at=issued,
                        waiting_since=events[-1][1],
                        called_at=last_call,
                    )
                )
                plans.append(events)
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=2000)
            rows = [
                (t.pk, office.pk, kind, at, stage.pk, counter)
                for t, events in zip(tickets, plans, strict=True)
                for kind, at, stage, counter in events
            ]
            _write_events(rows)
        written[0] += len(tickets)
        written[1] += len(rows)
        if progress is not None:
            progress(len(tickets))
    return written[0], written[1]


def _write_events(rows: list[tuple]) -> None:
    """Events by COPY on PostgreSQL (several times faster), bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for ticket_id, office_id, kind, at, stage_id, counter in rows:
            buffer.write(
                f"{ticket_id}\t{office_id}\t{kind}\t{at.isoformat()}\t{stage_id}\t"
                f"{counter if counter is not None else chr(92) + 'N'}\n"
            )
        with connection.cursor() as cursor:
            with cursor.cursor.copy(
                f"COPY {TicketEvent._meta.db_table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
        return
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket_id=t, office_id=o, kind=k, at=at, stage_id=s, counter_id=c)
            for t, o, k, at, s, c in rows
        ],
        batch_size=5000,
    )
