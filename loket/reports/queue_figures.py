"""Figures read from the office day (queue tickets and their events) and from outreach.

Waits and service times are intervals between a ticket's consecutive events (ordered by time,
then id), in whole seconds between the events' moments truncated to the second. Percentiles
are continuous (linear interpolation, like PostgreSQL's `percentile_cont`): on PostgreSQL they
are computed in the database, elsewhere in Python from the same intervals; both give the same
numbers. Hours and days are the office's local ones.
"""

import datetime as dt
import json
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from loket.booking.models import Booking
from loket.capacity.models import ChannelMove
from loket.core import clock
from loket.offices.models import ChannelKind, Office
from loket.outreach.models import (
    EmergencyCase,
    EmergencyReason,
    EmergencyStatus,
    OccurrenceStatus,
    OutreachParticipant,
    OutreachRequest,
    RequestStatus,
    ServiceDayKind,
    ServiceDayOccurrence,
    WalkInAdmission,
)
from loket.queue.models import (
    Counter,
    LaneKind,
    Stage,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from loket.reports.models import QueueMonthSummary, target_wait_minutes
from loket.reports.selectors import (
    ATTENDED_STATUSES,
    TAKEN_STATUSES,
    Column,
    Figure,
    Period,
    _capacities,
    _channels,
    _memo,
    _plans,
    _share,
    _weekly_if_long,
    explain,
)

# A wait at a stage starts with one of these and ends with the call.
WAIT_STARTS = ["issued", "finished", "transferred", "returned"]
# A service starts with the (last) call or the start button and ends with the finish.
SERVICE_STARTS = ["called", "recalled", "started"]


def percentile_cont(values: list[float], q: float) -> float | None:
    """The q-quantile of sorted `values` by linear interpolation (PostgreSQL percentile_cont)."""
    if not values:
        return None
    position = q * (len(values) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass
class Stats:
    count: int
    p50: float | None  # seconds
    p90: float | None
    mean: float | None


@dataclass
class QueueFacts:
    # (measure "wait"/"service", stage id, local hour or None for the whole day) -> Stats
    durations: dict[tuple[str, int, int | None], Stats]
    # local date -> [tickets issued, tickets called, first called within the target]
    within: dict[dt.date, list[int]]
    # (counter id, local date, local hour) -> stages finished
    finished: dict[tuple[int, dt.date, int], int]
    # local issue date -> [tickets issued, visits done, done with all waits within the target]
    visits: dict[dt.date, list[int]] = field(default_factory=dict)
    # stage id -> [waits ended by a call, of which within the target]
    stage_within: dict[int, list[int]] = field(default_factory=dict)


def _epoch(at: dt.datetime) -> int:
    return math.floor(at.timestamp())


Histograms = dict[tuple[str, int, int], dict[int, int]]


@dataclass
class MonthPart:
    """One local month's raw material: waits and services as histograms of whole seconds per
    (measure, stage, hour), and per issue day [issued, called, first call on target]."""

    hist: Histograms
    within: dict[dt.date, list[int]]
    # (counter id, local date, local hour) -> stages finished there
    finished: dict[tuple[int, dt.date, int], int] = field(default_factory=dict)
    # local issue date -> [tickets issued, visits done, done with all waits on target]
    visits: dict[dt.date, list[int]] = field(default_factory=dict)


def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _parts_python(
    office: Office, first: dt.date, last: dt.date, target_seconds: int
) -> dict[dt.date, MonthPart]:
    """The intervals computed in Python from the events of local days [first, last]."""
    tz = zoneinfo.ZoneInfo(office.time_zone)
    start, end = Period("custom", first, last).moments(office.time_zone)
    parts: dict[dt.date, MonthPart] = defaultdict(lambda: MonthPart(defaultdict(dict), {}))
    firsts: dict[int, list] = {}  # ticket -> [issued at, first call at]
    waited: dict[int, int] = defaultdict(int)  # ticket -> seconds waited at all its stages
    previous: dict[int, tuple[str, dt.datetime]] = {}
    at_counter: dict[int, tuple[str, dt.datetime]] = {}  # counter -> its last event
    for ticket_id, kind, at, stage_id, counter_id in (
        TicketEvent.objects.filter(office=office, at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values_list("ticket_id", "kind", "at", "stage_id", "counter_id")
        .iterator(chunk_size=20000)
    ):
        before = previous.get(ticket_id)
        previous[ticket_id] = (kind, at)
        counter_before = None
        if counter_id is not None:
            counter_before = at_counter.get(counter_id)
            at_counter[counter_id] = (kind, at)
        if (
            kind == TicketEventKind.CALLED
            and stage_id is not None
            and counter_before is not None
            and counter_before[0] == TicketEventKind.FINISHED
            and before is not None
            and before[0] in WAIT_STARTS
            and before[1] <= counter_before[1]
        ):
            # The counter's pause between finishing one person and calling the next, who
            # was already waiting: counter time that no service records.
            seconds = _epoch(at) - _epoch(counter_before[1])
            month = _month_of(at.astimezone(tz).date())
            counts = parts[month].hist[("gap", stage_id, counter_before[1].astimezone(tz).hour)]
            counts[seconds] = counts.get(seconds, 0) + 1
        if kind == TicketEventKind.ISSUED:
            firsts.setdefault(ticket_id, [at, None])
        elif (
            kind == TicketEventKind.CALLED and ticket_id in firsts and firsts[ticket_id][1] is None
        ):
            firsts[ticket_id][1] = at
        if kind == TicketEventKind.FINISHED and counter_id is not None:
            local = at.astimezone(tz)
            key = (counter_id, local.date(), local.hour)
            finished = parts[_month_of(local.date())].finished
            finished[key] = finished.get(key, 0) + 1
        if before is None or stage_id is None:
            continue
        measure = None
        if kind == TicketEventKind.CALLED and before[0] in WAIT_STARTS:
            measure = "wait"
        elif kind == TicketEventKind.FINISHED and before[0] in SERVICE_STARTS:
            measure = "service"
        if measure:
            seconds = _epoch(at) - _epoch(before[1])
            if measure == "wait":
                waited[ticket_id] += seconds
            month = _month_of(at.astimezone(tz).date())
            counts = parts[month].hist[(measure, stage_id, before[1].astimezone(tz).hour)]
            counts[seconds] = counts.get(seconds, 0) + 1
    for issued, called in firsts.values():
        day = issued.astimezone(tz).date()
        row = parts[_month_of(day)].within.setdefault(day, [0, 0, 0])
        row[0] += 1
        if called is not None:
            row[1] += 1
            if _epoch(called) - _epoch(issued) <= target_seconds:
                row[2] += 1
    done = set(
        Ticket.objects.filter(
            office=office, date__range=(first, last), status=TicketStatus.DONE
        ).values_list("pk", flat=True)
    )
    for ticket_id, (issued, _called) in firsts.items():
        day = issued.astimezone(tz).date()
        row = parts[_month_of(day)].visits.setdefault(day, [0, 0, 0])
        row[0] += 1
        if ticket_id in done:
            row[1] += 1
            if waited[ticket_id] <= target_seconds:
                row[2] += 1
    return dict(parts)


_PG_DURATIONS = """
WITH ev AS (
    SELECT e.kind, e.at, e.stage_id, e.counter_id,
           LAG(e.kind) OVER w AS pkind, LAG(e.at) OVER w AS pat,
           LAG(e.kind) OVER c AS ckind, LAG(e.at) OVER c AS cat
    FROM queue_ticketevent e
    WHERE e.office_id = %(office)s AND e.at >= %(start)s AND e.at < %(end)s
    WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.at, e.id),
           c AS (PARTITION BY e.counter_id ORDER BY e.at, e.id)
), d AS (
    SELECT CASE WHEN kind = 'called' AND pkind IN ('issued', 'finished', 'transferred',
                                                   'returned') THEN 'wait'
                WHEN kind = 'finished' AND pkind IN ('called', 'recalled', 'started')
                THEN 'service' END AS measure,
           stage_id,
           date_trunc('month', at AT TIME ZONE %(tz)s)::date AS month,
           EXTRACT(HOUR FROM pat AT TIME ZONE %(tz)s)::int AS hour,
           (FLOOR(EXTRACT(EPOCH FROM at)) - FLOOR(EXTRACT(EPOCH FROM pat)))::int AS secs
    FROM ev WHERE kind IN ('called', 'finished') AND stage_id IS NOT NULL AND pat IS NOT NULL
    UNION ALL
    SELECT 'gap', stage_id,
           date_trunc('month', at AT TIME ZONE %(tz)s)::date,
           EXTRACT(HOUR FROM cat AT TIME ZONE %(tz)s)::int,
           (FLOOR(EXTRACT(EPOCH FROM at)) - FLOOR(EXTRACT(EPOCH FROM cat)))::int
    FROM ev
    WHERE kind = 'called' AND stage_id IS NOT NULL AND counter_id IS NOT NULL
      AND ckind = 'finished' AND pat IS NOT NULL AND pat <= cat
      AND pkind IN ('issued', 'finished', 'transferred', 'returned')
)
SELECT month, measure, stage_id, hour, secs, COUNT(*)
FROM d WHERE measure IS NOT NULL
GROUP BY month, measure, stage_id, hour, secs
"""

_PG_WITHIN = """
SELECT (MIN(at) FILTER (WHERE kind = 'issued') AT TIME ZONE %(tz)s)::date AS day,
       COUNT(*) FILTER (WHERE kind = 'called') > 0 AS called,
       FLOOR(EXTRACT(EPOCH FROM MIN(at) FILTER (WHERE kind = 'called')))
         - FLOOR(EXTRACT(EPOCH FROM MIN(at) FILTER (WHERE kind = 'issued'))) AS secs
FROM queue_ticketevent
WHERE office_id = %(office)s AND at >= %(start)s AND at < %(end)s
  AND kind IN ('issued', 'called')
GROUP BY ticket_id
HAVING COUNT(*) FILTER (WHERE kind = 'issued') > 0
"""


_PG_FINISHED = """
SELECT counter_id, (at AT TIME ZONE %(tz)s)::date AS day,
       EXTRACT(HOUR FROM at AT TIME ZONE %(tz)s)::int AS hour, COUNT(*)
FROM queue_ticketevent
WHERE office_id = %(office)s AND kind = 'finished' AND at >= %(start)s AND at < %(end)s
  AND counter_id IS NOT NULL
GROUP BY 1, 2, 3
"""


_PG_VISITS = """
WITH ev AS (
    SELECT e.ticket_id, e.kind, e.at, e.stage_id,
           LAG(e.kind) OVER w AS pkind, LAG(e.at) OVER w AS pat
    FROM queue_ticketevent e
    WHERE e.office_id = %(office)s AND e.at >= %(start)s AND e.at < %(end)s
    WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.at, e.id)
), v AS (
    SELECT ticket_id, MIN(at) FILTER (WHERE kind = 'issued') AS issued,
           COALESCE(SUM(FLOOR(EXTRACT(EPOCH FROM at)) - FLOOR(EXTRACT(EPOCH FROM pat)))
             FILTER (WHERE kind = 'called' AND stage_id IS NOT NULL
                     AND pkind IN ('issued', 'finished', 'transferred', 'returned')), 0) AS waited
    FROM ev GROUP BY ticket_id
    HAVING COUNT(*) FILTER (WHERE kind = 'issued') > 0
)
SELECT (v.issued AT TIME ZONE %(tz)s)::date, COUNT(*),
       COUNT(*) FILTER (WHERE t.status = 'done'),
       COUNT(*) FILTER (WHERE t.status = 'done' AND v.waited <= %(target)s)
FROM v JOIN queue_ticket t ON t.id = v.ticket_id
GROUP BY 1
"""


def _parts_postgresql(
    office: Office, first: dt.date, last: dt.date, target_seconds: int
) -> dict[dt.date, MonthPart]:
    """The same, with the intervals found and counted in the database (window functions)."""
    start, end = Period("custom", first, last).moments(office.time_zone)
    params = {"office": office.pk, "start": start, "end": end, "tz": office.time_zone}
    parts: dict[dt.date, MonthPart] = defaultdict(lambda: MonthPart(defaultdict(dict), {}))
    with transaction.atomic(), connection.cursor() as cursor:
        # The events are sorted in memory rather than on disk.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(_PG_DURATIONS, params)
        for month, measure, stage_id, hour, secs, n in cursor.fetchall():
            parts[month].hist[(measure, stage_id, hour)][secs] = n
        cursor.execute(
            f"SELECT day, COUNT(*), COUNT(*) FILTER (WHERE called), "
            f"COUNT(*) FILTER (WHERE called AND secs <= %(target)s) "
            f"FROM ({_PG_WITHIN}) t GROUP BY day",
            {**params, "target": target_seconds},
        )
        for day, issued, called, on_target in cursor.fetchall():
            parts[_month_of(day)].within[day] = [issued, called, on_target]
        cursor.execute(_PG_FINISHED, params)
        for counter_id, day, hour, n in cursor.fetchall():
            parts[_month_of(day)].finished[(counter_id, day, hour)] = n
        cursor.execute(_PG_VISITS, {**params, "target": target_seconds})
        for day, issued, done, on_target in cursor.fetchall():
            parts[_month_of(day)].visits[day] = [issued, done, on_target]
    return dict(parts)


def _parts(office, first, last, target_seconds) -> dict[dt.date, MonthPart]:
    if connection.vendor == "postgresql":
        return _parts_postgresql(office, first, last, target_seconds)
    return _parts_python(office, first, last, target_seconds)


def _percentile_from_histogram(items: list[tuple[int, int]], total: int, q: float) -> float:
    """percentile_cont over the multiset given as sorted (value, count) pairs."""
    position = q * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    found: dict[int, int] = {}
    seen = 0
    for value, n in items:
        for rank in (low, high):
            if rank not in found and rank < seen + n:
                found[rank] = value
        if high in found:
            break
        seen += n
    return found[low] + (found[high] - found[low]) * (position - low)


def _stats(counts: dict[int, int]) -> Stats:
    items = sorted(counts.items())
    total = sum(n for _v, n in items)
    return Stats(
        total,
        _percentile_from_histogram(items, total, 0.5),
        _percentile_from_histogram(items, total, 0.9),
        sum(v * n for v, n in items) / total,
    )


def _encode(part: MonthPart) -> str:
    return json.dumps(
        {
            "hist": [[m, s, h, sorted(c.items())] for (m, s, h), c in part.hist.items()],
            "within": [[d.isoformat(), *v] for d, v in sorted(part.within.items())],
            "finished": [[c, d.isoformat(), h, n] for (c, d, h), n in part.finished.items()],
            "visits": [[d.isoformat(), *v] for d, v in sorted(part.visits.items())],
            "v": SUMMARY_VERSION,
        },
        separators=(",", ":"),
    )


def _decode(text: str) -> MonthPart:
    data = json.loads(text)
    return MonthPart(
        {(m, s, h): dict(c) for m, s, h, c in data["hist"]},
        {dt.date.fromisoformat(d): list(v) for d, *v in data["within"]},
        {(c, dt.date.fromisoformat(d), h): n for c, d, h, n in data["finished"]},
        {dt.date.fromisoformat(d): list(v) for d, *v in data["visits"]},
    )


SUMMARY_VERSION = 2  # 2: whole visits and counters' pauses ("gap")


def _current(text: str) -> bool:
    """A kept month in the current layout (older rows are recomputed)."""
    return f'"v":{SUMMARY_VERSION}' in text


def _month_end(month: dt.date) -> dt.date:
    return _month_of(month + dt.timedelta(days=32)) - dt.timedelta(days=1)


def _month_parts(office: Office, period: Period, target_seconds: int) -> list[MonthPart]:
    """The period's parts. For whole months, the days up to yesterday are computed once per
    month and kept (QueueMonthSummary, with the last day it holds: a closed day's events
    no longer change); today and any other period are read live."""
    whole = period.start.day == 1 and (period.end + dt.timedelta(days=1)).day == 1
    if not whole:
        return list(_parts(office, period.start, period.end, target_seconds).values())
    today = clock.local_today(office.time_zone)
    yesterday = today - dt.timedelta(days=1)
    months = [
        m
        for m in sorted({_month_of(d) for d in period.dates()})
        if m <= yesterday  # months starting today or later have nothing closed
    ]
    wanted = {m: min(_month_end(m), yesterday) for m in months}
    rows = {
        row.month: row
        for row in QueueMonthSummary.objects.filter(
            office=office, target_wait_seconds=target_seconds, month__in=months
        )
    }
    parts = {
        m: _decode(rows[m].data)
        for m in months
        if m in rows and rows[m].through == wanted[m] and _current(rows[m].data)
    }
    missing = [m for m in months if m not in parts]
    if missing:
        last = min(period.end, yesterday)
        fresh = _parts(office, missing[0], last, target_seconds)
        for month in missing:
            parts[month] = fresh.get(month, MonthPart({}, {}))
        QueueMonthSummary.objects.filter(
            office=office, target_wait_seconds=target_seconds, month__in=missing
        ).delete()
        QueueMonthSummary.objects.bulk_create(
            [
                QueueMonthSummary(
                    office=office,
                    month=m,
                    through=wanted[m],
                    target_wait_seconds=target_seconds,
                    data=_encode(parts[m]),
                )
                for m in missing
            ],
            ignore_conflicts=True,
        )
    result = [parts[m] for m in months]
    if period.start <= today <= period.end:
        result += list(_parts(office, today, period.end, target_seconds).values())
    return result


def _facts(parts: list[MonthPart], target_seconds: int) -> QueueFacts:
    merged: dict[tuple[str, int, int | None], dict[int, int]] = defaultdict(dict)
    within: dict[dt.date, list[int]] = {}
    finished: dict[tuple[int, dt.date, int], int] = {}
    visits: dict[dt.date, list[int]] = {}
    for part in parts:
        finished.update(part.finished)
        visits.update(part.visits)
        for (measure, stage_id, hour), counts in part.hist.items():
            for key in ((measure, stage_id, hour), (measure, stage_id, None)):
                target = merged[key]
                for value, n in counts.items():
                    target[value] = target.get(value, 0) + n
        within.update(part.within)
    stage_within = {
        stage_id: [
            sum(counts.values()),
            sum(n for seconds, n in counts.items() if seconds <= target_seconds),
        ]
        for (measure, stage_id, hour), counts in merged.items()
        if measure == "wait" and hour is None
    }
    return QueueFacts(
        {k: _stats(c) for k, c in merged.items()}, within, finished, visits, stage_within
    )


def _target(office: Office, memo: dict | None) -> int:
    return _memo(memo, ("target", office.pk), lambda: target_wait_minutes(office))


def _counter_names(office: Office, memo: dict | None) -> dict[int, str]:
    return _memo(
        memo,
        ("counters", office.pk),
        lambda: dict(Counter.objects.filter(office=office).values_list("id", "name")),
    )


def queue_facts(office: Office, period: Period, memo: dict | None = None) -> QueueFacts:
    target = _target(office, memo) * 60

    def compute():
        return _facts(_month_parts(office, period, target), target)

    return _memo(memo, ("queue", office.pk, period), compute)


def _stages(office: Office, memo: dict | None) -> list[Stage]:
    return _memo(
        memo,
        ("stages", office.pk),
        lambda: list(Stage.objects.filter(office=office, is_final=False).order_by("order")),
    )


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _stage_figure(office, period, memo, measure: str, key: str, title, definition) -> Figure:
    facts = queue_facts(office, period, memo)
    stages = _stages(office, memo)
    hours = sorted({h for (m, _s, h) in facts.durations if m == measure and h is not None})
    rows = []
    summary: list[tuple[str, Any]] = []
    datasets = []
    for stage in stages:
        whole = facts.durations.get((measure, stage.pk, None))
        if whole is None:
            continue
        summary.append((f"{stage.name}: p50 / p90 (min)", _pair(whole)))
        series = []
        for hour in hours:
            stats = facts.durations.get((measure, stage.pk, hour))
            series.append(_minutes(stats.p90) if stats else None)
            if stats:
                rows.append(
                    [
                        stage.name,
                        f"{hour:02d}:00",
                        stats.count,
                        _minutes(stats.p50),
                        _minutes(stats.p90),
                        _minutes(stats.mean),
                    ]
                )
        rows.append(
            [
                stage.name,
                str(_("whole day")),
                whole.count,
                _minutes(whole.p50),
                _minutes(whole.p90),
                _minutes(whole.mean),
            ]
        )
        datasets.append({"label": f"{stage.name}: p90", "data": series})
    return Figure(
        key=key,
        title=title,
        definition=definition,
        columns=[
            Column("stage", _("stage")),
            Column("hour", _("hour")),
            Column("count", _("count"), "int"),
            Column("p50", _("p50 (min)"), "number"),
            Column("p90", _("p90 (min)"), "number"),
            Column("mean", _("mean (min)"), "number"),
        ],
        rows=rows,
        summary=summary,
        chart={"type": "line", "labels": [f"{h:02d}:00" for h in hours], "datasets": datasets}
        if datasets
        else None,
    )


def _pair(stats: Stats) -> str:
    return f"{_minutes(stats.p50)} / {_minutes(stats.p90)}"


def stage_waits(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Waits per stage and hour of day, in minutes: from the moment a ticket starts waiting
    at a stage (issued, finished the previous stage, transferred to it, or back from being
    parked) to its call there, by the local hour the wait started. p50 and p90 are continuous
    percentiles (interpolated); "whole day" rows cover every hour. Only calls on the period's
    days count; waits of tickets never called are not in it."""
    return _stage_figure(
        office,
        period,
        memo,
        "wait",
        "stage_waits",
        _("Waits per stage and hour of day"),
        explain(stage_waits),
    )


def stage_service_times(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Service times per stage and hour of day, in minutes: from the call (or the last
    recall, or the start button if pressed) to the finish of the stage at the counter, by the
    local hour the service started. p50 and p90 are continuous percentiles (interpolated);
    parked, transferred and no-show visits are not services."""
    return _stage_figure(
        office,
        period,
        memo,
        "service",
        "stage_service_times",
        _("Service times per stage and hour of day"),
        explain(stage_service_times),
    )


def served_within_target(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Tickets within the office's target wait (report settings of the office, 60 minutes
    by default), per local day of issue. First call: a ticket is on target when its first
    call came at most the target after its issue; tickets never called are not. Whole
    visit: a ticket is on target when its visit was finished (every stage done) and its
    waits at all its stages added up (from arrival to the call at its last stage, leaving
    out the time at the counters) are at most the target; a visit not finished is not.
    Share % = on target / tickets issued."""
    target = _target(office, memo)
    facts = queue_facts(office, period, memo)
    rows = []
    totals = [0, 0, 0, 0, 0]
    for day in period.dates():
        issued, called, on_target = facts.within.get(day, [0, 0, 0])
        _issued, done, visit_on_target = facts.visits.get(day, [0, 0, 0])
        totals = [
            totals[0] + issued,
            totals[1] + called,
            totals[2] + on_target,
            totals[3] + done,
            totals[4] + visit_on_target,
        ]
        if issued:
            rows.append(
                [
                    day,
                    issued,
                    called,
                    on_target,
                    _share(on_target, issued),
                    done,
                    visit_on_target,
                    _share(visit_on_target, issued),
                ]
            )
    return Figure(
        key="served_within_target",
        title=_("Tickets within the target wait: first call and whole visit"),
        definition=explain(served_within_target),
        columns=[
            Column("date", _("date"), "date"),
            Column("issued", _("tickets issued"), "int"),
            Column("called", _("called"), "int"),
            Column("on_target", _("first call within the target"), "int"),
            Column("share", _("first call: share %"), "percent"),
            Column("done", _("visits finished"), "int"),
            Column("visit_on_target", _("whole visit within the target"), "int"),
            Column("visit_share", _("whole visit: share %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("target wait (min)"), target),
            (_("tickets issued"), totals[0]),
            (_("first call within the target"), totals[2]),
            (_("first call: share %"), _share(totals[2], totals[0])),
            (_("whole visit within the target"), totals[4]),
            (_("whole visit: share %"), _share(totals[4], totals[0])),
        ],
        chart={
            "type": "line",
            "labels": [r[0].isoformat() for r in rows],
            "datasets": [
                {"label": str(_("first call: share %")), "data": [r[4] for r in rows]},
                {"label": str(_("whole visit: share %")), "data": [r[7] for r in rows]},
            ],
        },
    )


def stage_within_target(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Waits within the office's target wait, per stage: of the waits at a stage that ended
    with a call on the period's days (from the moment the ticket started waiting there to
    its call), those at most the target wait; share % = within / waits. The last row is the
    whole visit: tickets issued in the period whose visit was finished with all its waits
    added up at most the target, of all tickets issued."""
    target = _target(office, memo)
    facts = queue_facts(office, period, memo)
    rows = []
    for stage in _stages(office, memo):
        waits, within = facts.stage_within.get(stage.pk, [0, 0])
        if waits:
            rows.append([stage.name, waits, within, _share(within, waits)])
    issued = sum(v[0] for d, v in facts.visits.items() if period.start <= d <= period.end)
    on_target = sum(v[2] for d, v in facts.visits.items() if period.start <= d <= period.end)
    if issued:
        rows.append([str(_("whole visit")), issued, on_target, _share(on_target, issued)])
    return Figure(
        key="stage_within_target",
        title=_("Share within the target wait, per stage and for the whole visit"),
        definition=explain(stage_within_target),
        columns=[
            Column("stage", _("stage")),
            Column("waits", _("waits (tickets)"), "int"),
            Column("within", _("within the target"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[(_("target wait (min)"), target)]
        + [(f"{r[0]}: {_('share %')}", r[3]) for r in rows],
        chart={
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [{"label": str(_("share %")), "data": [r[3] for r in rows]}],
        }
        if rows
        else None,
    )


def _throughput(office: Office, period: Period, memo: dict | None) -> list[dict]:
    """Stages finished per counter, local day and hour (read with the waits)."""
    facts = queue_facts(office, period, memo)
    return [
        {"counter_id": c, "day": d, "hour": h, "n": n}
        for (c, d, h), n in facts.finished.items()
        if period.start <= d <= period.end
    ]


def counter_throughput(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Counters' throughput: stages finished at each counter (a ticket finishing a stage
    there), by the local moment of the finish. Days worked: days with at least one finish at
    the counter; per day = finished / days worked; per hour = finished / hours worked (local
    clock hours with at least one finish). The chart shows, per hour of day, the mean finished
    per day worked."""
    rows_db = _throughput(office, period, memo)
    names = _counter_names(office, memo)
    by_counter: dict[int, dict] = defaultdict(lambda: {"n": 0, "days": set(), "hours": 0})
    by_hour: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows_db:
        c = by_counter[r["counter_id"]]
        c["n"] += r["n"]
        c["days"].add(r["day"])
        c["hours"] += 1
        by_hour[(r["counter_id"], r["hour"])] += r["n"]
    ids = sorted(by_counter, key=lambda i: names.get(i, ""))
    rows = []
    for cid in ids:
        c = by_counter[cid]
        busiest = max((h for (i, h) in by_hour if i == cid), key=lambda h: by_hour[(cid, h)])
        rows.append(
            [
                names.get(cid, str(cid)),
                len(c["days"]),
                c["n"],
                round(c["n"] / len(c["days"]), 1),
                round(c["n"] / c["hours"], 1),
                f"{busiest:02d}:00",
            ]
        )
    hours = sorted({h for (_i, h) in by_hour})
    return Figure(
        key="counter_throughput",
        title=_("Counters' throughput"),
        definition=explain(counter_throughput),
        columns=[
            Column("counter", _("counter")),
            Column("days", _("days worked"), "int"),
            Column("finished", _("stages finished"), "int"),
            Column("per_day", _("per day"), "number"),
            Column("per_hour", _("per hour worked"), "number"),
            Column("busiest_hour", _("busiest hour")),
        ],
        rows=rows,
        summary=[(_("stages finished"), sum(c["n"] for c in by_counter.values()))],
        chart={
            "type": "bar",
            "stacked": True,
            "labels": [f"{h:02d}:00" for h in hours],
            "datasets": [
                {
                    "label": names.get(cid, str(cid)),
                    "data": [
                        round(by_hour.get((cid, h), 0) / len(by_counter[cid]["days"]), 1)
                        for h in hours
                    ],
                }
                for cid in ids
            ],
        },
    )


def counter_days(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Stages finished per counter and local day (see counters' throughput); days without
    any finish are left out."""
    names = _counter_names(office, memo)
    per_day: dict[tuple[dt.date, int], int] = defaultdict(int)
    for r in _throughput(office, period, memo):
        per_day[(r["day"], r["counter_id"])] += r["n"]
    rows = [
        [day, names.get(cid, str(cid)), n]
        for (day, cid), n in sorted(
            per_day.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], ""))
        )
    ]
    totals = defaultdict(int)
    for (day, _cid), n in per_day.items():
        totals[day] += n
    return Figure(
        key="counter_days",
        title=_("Stages finished per counter and day"),
        definition=explain(counter_days),
        columns=[
            Column("date", _("date"), "date"),
            Column("counter", _("counter")),
            Column("finished", _("stages finished"), "int"),
        ],
        rows=rows,
        summary=[(_("stages finished"), sum(totals.values()))],
        chart=_weekly_if_long(
            {
                "type": "bar",
                "labels": [d.isoformat() for d in period.dates()],
                "datasets": [
                    {
                        "label": str(_("stages finished")),
                        "data": [totals.get(d, 0) for d in period.dates()],
                    }
                ],
            },
            period,
        ),
    )


def priority_quota(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Priority quota use per day: places of the office's priority channels (the ledger's,
    or the configuration's on days without ledger rows), priority bookings with the
    appointment that day not cancelled or expired, priority-lane tickets issued that day
    (elderly, young children, disability, pregnancy), and places released to another channel
    when unclaimed (as recorded on the day). Use % = (bookings + priority tickets taking a
    place) / places."""
    channels = [
        c
        for c in _memo(memo, ("channels", office.pk), lambda: _channels(office))
        if c.kind == ChannelKind.PRIORITY
    ]
    ids = [c.pk for c in channels]
    capacity = (
        _capacities(
            office,
            channels,
            _plans(office, channels, period.start, period.end),
            period.start,
            period.end,
        )
        if channels
        else {}
    )
    places: dict[dt.date, int] = defaultdict(int)
    for (_cid, day), n in capacity.items():
        places[day] += n
    booked = dict(
        Booking.objects.filter(
            office=office,
            channel_id__in=ids,
            date__range=(period.start, period.end),
            status__in=TAKEN_STATUSES,
        )
        .values_list("date")
        .annotate(n=Count("id"))
        .order_by()
    )
    tickets: dict[dt.date, list[int]] = {}
    for row in (
        Ticket.objects.filter(
            office=office, date__range=(period.start, period.end), lane__kind=LaneKind.PRIORITY
        )
        .values("date")
        .annotate(n=Count("id"), walk_in=Count("id", filter=Q(slot__isnull=False)))
        .order_by()
    ):
        tickets[row["date"]] = [row["n"], row["walk_in"]]
    # The ledger's typed facts of places moved away from a priority channel on the day.
    released = dict(
        ChannelMove.objects.filter(
            office=office, from_channel_id__in=ids, date__range=(period.start, period.end)
        )
        .values_list("date")
        .annotate(n=Sum("count"))
        .order_by()
    )
    rows = []
    sums = [0, 0, 0, 0]
    for day in period.dates():
        n_places = places.get(day, 0)
        n_booked = booked.get(day, 0)
        n_tickets, walk_ins = tickets.get(day, [0, 0])
        n_released = released.get(day, 0)
        if not (n_places or n_booked or n_tickets or n_released):
            continue
        used = n_booked + walk_ins
        sums = [sums[0] + n_places, sums[1] + n_booked, sums[2] + n_tickets, sums[3] + used]
        rows.append(
            [day, n_places, n_booked, n_tickets, walk_ins, n_released, _share(used, n_places)]
        )
    return Figure(
        key="priority_quota",
        title=_("Priority quota use"),
        definition=explain(priority_quota),
        columns=[
            Column("date", _("date"), "date"),
            Column("places", _("priority places"), "int"),
            Column("booked", _("priority bookings"), "int"),
            Column("tickets", _("priority tickets"), "int"),
            Column("walk_in", _("tickets taking a place"), "int"),
            Column("released", _("places released"), "int"),
            Column("use", _("use %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("priority places"), sums[0]),
            (_("priority tickets"), sums[2]),
            (_("use %"), _share(sums[3], sums[0])),
        ],
        chart=_weekly_if_long(
            {
                "type": "bar",
                "labels": [d.isoformat() for d in period.dates()],
                "datasets": [
                    {
                        "label": str(_("priority tickets")),
                        "data": [tickets.get(d, [0, 0])[0] for d in period.dates()],
                    },
                    {
                        "label": str(_("priority places")),
                        "data": [places.get(d, 0) for d in period.dates()],
                        "type": "line",
                    },
                ],
            },
            period,
        ),
    )


def service_days(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Service days (events such as PATEN, booked against a quota, and Paspor Simpatik
    walk-in days) on the period's dates, with their status. Taken: for events, bookings on
    the day's channel not cancelled or expired; for walk-in days, the people admitted.
    Attended: event bookings checked in or completed (walk-in admissions count as attended).
    Use % = taken / places, for days not cancelled."""
    occurrences = list(
        ServiceDayOccurrence.objects.filter(
            rule__office=office, date__range=(period.start, period.end)
        )
        .select_related("rule")
        .order_by("date", "id")
    )
    pairs = [(o.channel_id, o.date) for o in occurrences]
    booked: dict[tuple[int, dt.date], dict] = {}
    if pairs:
        for row in (
            Booking.objects.filter(
                office=office,
                channel_id__in={p[0] for p in pairs},
                date__range=(period.start, period.end),
            )
            .values("channel_id", "date")
            .annotate(
                taken=Count("id", filter=Q(status__in=TAKEN_STATUSES)),
                attended=Count("id", filter=Q(status__in=ATTENDED_STATUSES)),
            )
            .order_by()
        ):
            booked[(row["channel_id"], row["date"])] = row
    admitted = dict(
        WalkInAdmission.objects.filter(occurrence__in=occurrences)
        .values_list("occurrence_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    kinds = dict(ServiceDayKind.choices)
    statuses = dict(OccurrenceStatus.choices)
    rows = []
    sums = [0, 0, 0]
    for o in occurrences:
        if o.rule.kind == ServiceDayKind.SIMPATIK:
            taken = attended = admitted.get(o.pk, 0)
        else:
            row = booked.get((o.channel_id, o.date), {})
            taken, attended = row.get("taken", 0), row.get("attended", 0)
        live = o.status != OccurrenceStatus.CANCELLED
        if live:
            sums = [sums[0] + o.quota, sums[1] + taken, sums[2] + attended]
        rows.append(
            [
                o.date,
                o.rule.name,
                str(kinds.get(o.rule.kind, o.rule.kind)).split(" (")[0].split(":")[0],
                o.location,
                str(statuses.get(o.status, o.status)),
                o.quota,
                taken,
                attended,
                _share(taken, o.quota) if live else None,
            ]
        )
    return Figure(
        key="service_days",
        title=_("Service days: places and output"),
        definition=explain(service_days),
        columns=[
            Column("date", _("date"), "date"),
            Column("name", _("name")),
            Column("kind", _("kind")),
            Column("location", _("location")),
            Column("status", _("status")),
            Column("places", _("places"), "int"),
            Column("taken", _("taken"), "int"),
            Column("attended", _("attended"), "int"),
            Column("use", _("use %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("service days"), sum(1 for o in occurrences if o.status != "cancelled")),
            (_("cancelled"), sum(1 for o in occurrences if o.status == "cancelled")),
            (_("places"), sums[0]),
            (_("attended"), sums[2]),
            (_("use %"), _share(sums[1], sums[0])),
        ],
        chart={
            "type": "bar",
            "labels": [f"{r[0]:%d-%m} {r[1]}" for r in rows],
            "datasets": [
                {"label": str(_("places")), "data": [r[5] for r in rows]},
                {"label": str(_("attended")), "data": [r[7] for r in rows]},
            ],
        }
        if rows
        else None,
    )


def outreach_requests(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Eazy Passport requests: received in the period (by their creation moment, local
    day), decided in the period (approved or rejected, by the decision moment), and the
    approved visits with their visit date in the period, with the applicants expected,
    listed (participants) and checked in at the mobile site. Show-up % = checked in /
    participants. Rows are the visits."""
    start, end = period.moments(office.time_zone)
    requests = OutreachRequest.objects.filter(office=office)
    received = requests.filter(created_at__gte=start, created_at__lt=end).count()
    decided = dict(
        requests.filter(decided_at__gte=start, decided_at__lt=end)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    visits = list(
        requests.filter(status=RequestStatus.APPROVED, visit_date__range=(period.start, period.end))
        .select_related("team")
        .order_by("visit_date", "id")
    )
    listed: dict[int, int] = {}
    came: dict[int, int] = {}
    for request_id, n, n_came in (
        OutreachParticipant.objects.filter(request__in=visits)
        .values_list("request_id")
        .annotate(n=Count("id"), came=Count("id", filter=Q(ticket__isnull=False)))
        .order_by()
    ):
        listed[request_id], came[request_id] = n, n_came
    rows = [
        [
            v.visit_date,
            v.code,
            v.organisation,
            v.team.name if v.team else "",
            v.expected_applicants,
            listed.get(v.pk, 0),
            came.get(v.pk, 0),
            _share(came.get(v.pk, 0), listed.get(v.pk, 0)),
        ]
        for v in visits
    ]
    return Figure(
        key="outreach_requests",
        title=_("Eazy Passport requests and visits"),
        definition=explain(outreach_requests),
        columns=[
            Column("date", _("visit date"), "date"),
            Column("code", _("reference")),
            Column("organisation", _("organisation")),
            Column("team", _("team")),
            Column("expected", _("expected applicants"), "int"),
            Column("listed", _("participants"), "int"),
            Column("came", _("checked in"), "int"),
            Column("show_up", _("show-up %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("requests received"), received),
            (_("approved"), decided.get(RequestStatus.APPROVED, 0)),
            (_("rejected"), decided.get(RequestStatus.REJECTED, 0)),
            (_("visits"), len(visits)),
            (_("participants"), sum(listed.values())),
            (_("checked in"), sum(came.values())),
            (_("show-up %"), _share(sum(came.values()), sum(listed.values()))),
        ],
        chart={
            "type": "bar",
            "labels": [f"{r[0]:%d-%m} {r[2]}"[:40] for r in rows],
            "datasets": [
                {"label": str(_("expected applicants")), "data": [r[4] for r in rows]},
                {"label": str(_("participants")), "data": [r[5] for r in rows]},
            ],
        }
        if rows
        else None,
    )


def emergency_cases(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Emergency hotline cases recorded in the period (by the local day of recording), per
    reason: approved, rejected and still waiting for a decision, approvals with the
    working-area rule overridden, and the median hours from recording to decision (continuous
    median of the decided cases). Approval % = approved / decided."""
    start, end = period.moments(office.time_zone)
    cases = list(
        EmergencyCase.objects.filter(
            office=office, recorded_at__gte=start, recorded_at__lt=end
        ).values_list("reason", "status", "area_override", "recorded_at", "decided_at")
    )
    by_reason: dict[str, dict] = defaultdict(
        lambda: {"n": 0, "approved": 0, "rejected": 0, "override": 0, "hours": []}
    )
    for reason, status, override, recorded, decided in cases:
        r = by_reason[reason]
        r["n"] += 1
        if status == EmergencyStatus.APPROVED:
            r["approved"] += 1
            r["override"] += 1 if override else 0
        elif status == EmergencyStatus.REJECTED:
            r["rejected"] += 1
        if decided is not None and status != EmergencyStatus.RECORDED:
            r["hours"].append((decided - recorded).total_seconds() / 3600)
    labels = dict(EmergencyReason.choices)
    rows = []
    all_hours: list[float] = []
    for reason in [c for c in EmergencyReason.values if c in by_reason]:
        r = by_reason[reason]
        all_hours += r["hours"]
        median = percentile_cont(sorted(r["hours"]), 0.5)
        rows.append(
            [
                str(labels.get(reason, reason)),
                r["n"],
                r["approved"],
                r["rejected"],
                r["n"] - r["approved"] - r["rejected"],
                r["override"],
                _share(r["approved"], r["approved"] + r["rejected"]),
                round(median, 1) if median is not None else None,
            ]
        )
    approved = sum(r[2] for r in rows)
    rejected = sum(r[3] for r in rows)
    median_all = percentile_cont(sorted(all_hours), 0.5)
    return Figure(
        key="emergency_cases",
        title=_("Emergency cases and decisions"),
        definition=explain(emergency_cases),
        columns=[
            Column("reason", _("reason")),
            Column("recorded", _("recorded"), "int"),
            Column("approved", _("approved"), "int"),
            Column("rejected", _("rejected"), "int"),
            Column("waiting", _("waiting for a decision"), "int"),
            Column("override", _("area rule overridden"), "int"),
            Column("approval", _("approval %"), "percent"),
            Column("hours", _("hours to decision (median)"), "number"),
        ],
        rows=rows,
        summary=[
            (_("recorded"), len(cases)),
            (_("approved"), approved),
            (_("rejected"), rejected),
            (_("approval %"), _share(approved, approved + rejected)),
            (
                _("hours to decision (median)"),
                round(median_all, 1) if median_all is not None else None,
            ),
        ],
        chart={
            "type": "bar",
            "stacked": True,
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": str(_("approved")), "data": [r[2] for r in rows]},
                {"label": str(_("rejected")), "data": [r[3] for r in rows]},
                {"label": str(_("waiting for a decision")), "data": [r[4] for r in rows]},
            ],
        }
        if rows
        else None,
    )


QUEUE_FIGURES = {
    "stage_waits": stage_waits,
    "stage_service_times": stage_service_times,
    "served_within_target": served_within_target,
    "stage_within_target": stage_within_target,
    "counter_throughput": counter_throughput,
    "counter_days": counter_days,
    "priority_quota": priority_quota,
    "service_days": service_days,
    "outreach_requests": outreach_requests,
    "emergency_cases": emergency_cases,
}


def forget_kept_months(*, office_id: int, days) -> int:
    """Queue events of closed days arrived late (an office node back online after midnight,
    loket.sync): the kept summaries of their months are dropped, and computed again with
    them at the next reading. Returns how many were dropped."""
    months = {_month_of(day) for day in days}
    if not months:
        return 0
    return QueueMonthSummary.objects.filter(office_id=office_id, month__in=months).delete()[0]
