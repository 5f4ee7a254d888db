"""The headline an office head reports upward, the waiting list, and officers' throughput.

The headline compares the period with the one just before it (as long) and with the same
dates a year earlier; each measure is defined once here and read for the three periods.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils.translation import gettext_lazy as _

from loket.booking.models import BookingStatus
from loket.offices.models import Office
from loket.outreach.models import OutreachParticipant, RequestStatus
from loket.queue.models import TicketEvent, TicketEventKind
from loket.reports.selectors import (
    ATTENDED_STATUSES,
    Column,
    Figure,
    Period,
    _local_day,
    _share,
    _weekly_if_long,
    day_use,
    explain,
)
from loket.waitlist.models import EntryStatus, WaitlistEntry


def previous_period(period: Period) -> Period:
    """The period just before, as long (a month: the previous month; a year: the previous)."""
    if period.kind == "month":
        last = period.start - dt.timedelta(days=1)
        return Period("month", last.replace(day=1), last)
    if period.kind == "year":
        start = period.start.replace(year=period.start.year - 1)
        return Period("year", start, period.start - dt.timedelta(days=1))
    length = dt.timedelta(days=period.days)
    return Period(period.kind, period.start - length, period.end - length)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def same_period_last_year(period: Period) -> Period:
    start, end = _year_before(period.start), _year_before(period.end)
    if period.kind == "month":  # a whole month (February's length changes)
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        end = following - dt.timedelta(days=1)
    return Period(period.kind, start, end)


def _waitlist(office: Office, period: Period) -> dict[str, int]:
    """Joins, bookings made from an offer (both by their local day) and the show-ups of
    waiting-list bookings with their appointment in the period."""
    start, end = period.moments(office.time_zone)
    entries = WaitlistEntry.objects.filter(office=office)
    joined = entries.filter(joined_at__gte=start, joined_at__lt=end).aggregate(
        n=Count("id"), booked=Count("id", filter=Q(status=EntryStatus.ACCEPTED))
    )
    shows = entries.filter(
        status=EntryStatus.ACCEPTED, booking__date__range=(period.start, period.end)
    ).aggregate(
        attended=Count("id", filter=Q(booking__status__in=ATTENDED_STATUSES)),
        no_show=Count("id", filter=Q(booking__status=BookingStatus.NO_SHOW)),
    )
    converted = entries.filter(
        status=EntryStatus.ACCEPTED, answered_at__gte=start, answered_at__lt=end
    ).count()
    return {
        "joined": joined["n"],
        "joined_booked": joined["booked"],
        "converted": converted,
        "attended": shows["attended"],
        "no_show": shows["no_show"],
    }


def _outreach(office: Office, period: Period) -> dict[str, int]:
    """Participants of the approved Eazy Passport visits dated in the period, and those
    checked in at the mobile site."""
    row = OutreachParticipant.objects.filter(
        request__office=office,
        request__status=RequestStatus.APPROVED,
        request__visit_date__range=(period.start, period.end),
    ).aggregate(listed=Count("id"), came=Count("id", filter=Q(ticket__isnull=False)))
    return {"listed": row["listed"], "came": row["came"]}


def _finished(office: Office, period: Period) -> int:
    start, end = period.moments(office.time_zone)
    return TicketEvent.objects.filter(
        office=office, kind=TicketEventKind.FINISHED, at__gte=start, at__lt=end
    ).count()


def _measures(office: Office, period: Period, memo: dict | None) -> dict[str, Any]:
    uses = day_use(office, period.start, period.end, memo).values()
    places = sum(u.places for u in uses)
    served = sum(u.served for u in uses)
    booked = sum(u.booked for u in uses)
    attended = sum(u.attended for u in uses)
    no_show = sum(u.no_show for u in uses)
    wl = _waitlist(office, period)
    ep = _outreach(office, period)
    return {
        "places": places,
        "served": served,
        "served_share": _share(served, places),
        "booked": booked,
        "booked_share": _share(booked, places),
        "show_up": _share(attended, attended + no_show),
        "stages_finished": _finished(office, period),
        "outreach_listed": ep["listed"],
        "outreach_came": ep["came"],
        "outreach_show_up": _share(ep["came"], ep["listed"]),
        "waitlist_joined": wl["joined"],
        "waitlist_converted": wl["converted"],
        "waitlist_conversion": _share(wl["joined_booked"], wl["joined"]),
        "waitlist_show_up": _share(wl["attended"], wl["attended"] + wl["no_show"]),
    }


MEASURES = [
    ("places", _("places open (capacity)")),
    ("served", _("people served")),
    ("served_share", _("served % of capacity")),
    ("booked", _("places booked")),
    ("booked_share", _("booked % of capacity")),
    ("show_up", _("show-up % of bookings")),
    ("stages_finished", _("stages finished at the counters")),
    ("outreach_listed", _("Eazy Passport participants")),
    ("outreach_came", _("Eazy Passport participants who came")),
    ("outreach_show_up", _("Eazy Passport show-up %")),
    ("waitlist_joined", _("waiting-list joins")),
    ("waitlist_converted", _("bookings from the waiting list")),
    ("waitlist_conversion", _("waiting-list conversion %")),
    ("waitlist_show_up", _("waiting-list show-up %")),
]
PERCENT_MEASURES = {k for k, _label in MEASURES if k.endswith(("share", "show_up", "conversion"))}


def _change(now, before):
    """Percentage points for shares, percent change for counts; None without a base."""
    if now is None or before is None:
        return None
    return round(now - before, 1) if isinstance(now, float) else _share(now - before, before)


def headline(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """The headline, for the period, the period just before it (as long; for a month the
    previous month) and the same dates a year earlier. Places open: the capacity of every
    channel as in "people served and places taken" (the ledger's places; the configured
    places on days without ledger rows). People served: people who came (bookings checked
    in or completed, walk-in tickets holding a place, Paspor Simpatik admissions, Eazy
    Passport participants checked in); served % = served / places. Places booked: bookings
    with their appointment in the period not cancelled or expired; booked % = booked /
    places. Show-up % of bookings = attended / (attended + no-shows). Stages finished: a
    ticket finishing a stage at a counter. Eazy Passport: participants of the approved visits
    dated in the period, those checked in at the mobile site, show-up % = came / listed.
    Waiting list: joins by the local day of joining; bookings from the waiting list by the
    day the offer was accepted; conversion % = of the entries joined in the period, those
    that became a booking; show-up % = of the waiting-list bookings with their appointment
    in the period, attended / (attended + no-shows). Change: percentage points for shares,
    percent for counts."""
    before = previous_period(period)
    last_year = same_period_last_year(period)
    now_values = _measures(office, period, memo)
    before_values = _measures(office, before, None)
    # A year's previous period is the year before: read once.
    year_values = before_values if last_year == before else _measures(office, last_year, None)
    rows = []
    for key, label in MEASURES:
        rows.append(
            [
                key,
                str(label),
                now_values[key],
                before_values[key],
                year_values[key],
                _change(now_values[key], before_values[key]),
                _change(now_values[key], year_values[key]),
            ]
        )
    return Figure(
        key="headline",
        title=_("Headline: served against capacity, then booked, with comparisons"),
        definition=explain(headline),
        columns=[
            Column("measure", _("code")),
            Column("label", _("measure")),
            Column("period", period.label, "number"),
            Column("previous", f"{_('previous')} {before.label}", "number"),
            Column("last_year", f"{_('a year earlier')} {last_year.label}", "number"),
            Column("change_previous", _("change vs previous"), "number"),
            Column("change_last_year", _("change vs a year earlier"), "number"),
        ],
        rows=rows,
        summary=[
            (_("people served"), now_values["served"]),
            (_("served % of capacity"), now_values["served_share"]),
            (_("places booked"), now_values["booked"]),
            (_("booked % of capacity"), now_values["booked_share"]),
        ],
        chart={
            "type": "bar",
            "labels": [str(label) for key, label in MEASURES[:2] + MEASURES[3:4]],
            "datasets": [
                {
                    "label": p.label,
                    "data": [values["places"], values["served"], values["booked"]],
                }
                for p, values in (
                    (last_year, year_values),
                    (before, before_values),
                    (period, now_values),
                )
            ],
        },
    )


def waiting_list(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Waiting lists of full days, per local day: joins (by the moment of joining), places
    offered (by the moment of the offer), offers turned into a booking, declined or lapsed,
    and people who left the list (by the moment the entry ended). Conversion % = of the
    entries joined in the period, those that became a booking; show-up % = of the bookings
    made from the waiting list with their appointment in the period, attended / (attended +
    no-shows)."""
    tz = zoneinfo.ZoneInfo(office.time_zone)
    start, end = period.moments(office.time_zone)
    entries = WaitlistEntry.objects.filter(office=office)
    per_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, n in (
        entries.filter(joined_at__gte=start, joined_at__lt=end)
        .annotate(day=_local_day("joined_at", office))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_day[day]["joined"] += n
    for offered, answered, status in entries.filter(
        Q(offered_at__gte=start, offered_at__lt=end)
        | Q(answered_at__gte=start, answered_at__lt=end)
    ).values_list("offered_at", "answered_at", "status"):
        if offered is not None and start <= offered < end:
            per_day[offered.astimezone(tz).date()]["offered"] += 1
        if answered is not None and start <= answered < end and status in _ENDINGS:
            per_day[answered.astimezone(tz).date()][_ENDINGS[status]] += 1
    wl = _waitlist(office, period)
    keys = ["joined", "offered", "booked", "declined", "expired", "left"]
    rows = [[day, *(per_day[day].get(k, 0) for k in keys)] for day in sorted(per_day)]
    sums = {k: sum(r[i + 1] for r in rows) for i, k in enumerate(keys)}
    return Figure(
        key="waiting_list",
        title=_("Waiting list: joins and conversions"),
        definition=explain(waiting_list),
        columns=[
            Column("date", _("date"), "date"),
            Column("joined", _("joined"), "int"),
            Column("offered", _("places offered"), "int"),
            Column("booked", _("booked from an offer"), "int"),
            Column("declined", _("offers declined"), "int"),
            Column("expired", _("offers lapsed"), "int"),
            Column("left", _("left the list"), "int"),
        ],
        rows=rows,
        summary=[
            (_("joined"), sums["joined"]),
            (_("places offered"), sums["offered"]),
            (_("booked from an offer"), sums["booked"]),
            (_("waiting-list conversion %"), _share(wl["joined_booked"], wl["joined"])),
            (_("waiting-list show-up %"), _share(wl["attended"], wl["attended"] + wl["no_show"])),
        ],
        chart=_weekly_if_long(
            {
                "type": "bar",
                "labels": [d.isoformat() for d in period.dates()],
                "datasets": [
                    {
                        "label": str(_("joined")),
                        "data": [
                            per_day[d].get("joined", 0) if d in per_day else 0
                            for d in period.dates()
                        ],
                    },
                    {
                        "label": str(_("booked from an offer")),
                        "data": [
                            per_day[d].get("booked", 0) if d in per_day else 0
                            for d in period.dates()
                        ],
                    },
                ],
            },
            period,
        ),
    )


_ENDINGS = {
    EntryStatus.ACCEPTED: "booked",
    EntryStatus.DECLINED: "declined",
    EntryStatus.EXPIRED: "expired",
    EntryStatus.LEFT: "left",
}


def officer_throughput(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Officers' throughput: stages finished by each officer (a ticket finishing a stage at a
    counter, signed by that officer), by the local moment of the finish. Days worked: days
    with at least one finish; per day = finished / days worked; per hour = finished / hours
    worked (local clock hours with at least one finish)."""
    start, end = period.moments(office.time_zone)
    tz = zoneinfo.ZoneInfo(office.time_zone)
    by_officer: dict[int, dict] = defaultdict(lambda: {"n": 0, "days": set(), "hours": 0})
    names: dict[int, str] = {}
    for officer_id, name, email, hour, n in (
        TicketEvent.objects.filter(
            office=office,
            kind=TicketEventKind.FINISHED,
            at__gte=start,
            at__lt=end,
            officer__isnull=False,
        )
        .annotate(hour=TruncHour("at", tzinfo=tz))
        .values_list("officer_id", "officer__full_name", "officer__email", "hour")
        .annotate(n=Count("id"))
        .order_by()
    ):
        names[officer_id] = name or email.split("@")[0]
        o = by_officer[officer_id]
        o["n"] += n
        o["days"].add(hour.astimezone(tz).date())
        o["hours"] += 1
    ids = sorted(by_officer, key=lambda i: names[i])
    rows = [
        [
            names[i],
            len(by_officer[i]["days"]),
            by_officer[i]["n"],
            round(by_officer[i]["n"] / len(by_officer[i]["days"]), 1),
            round(by_officer[i]["n"] / by_officer[i]["hours"], 1),
        ]
        for i in ids
    ]
    return Figure(
        key="officer_throughput",
        title=_("Officers' throughput"),
        definition=explain(officer_throughput),
        columns=[
            Column("officer", _("officer")),
            Column("days", _("days worked"), "int"),
            Column("finished", _("stages finished"), "int"),
            Column("per_day", _("per day"), "number"),
            Column("per_hour", _("per hour worked"), "number"),
        ],
        rows=rows,
        summary=[(_("stages finished"), sum(r[2] for r in rows))],
        chart={
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [{"label": str(_("per hour worked")), "data": [r[4] for r in rows]}],
        }
        if rows
        else None,
    )


HEADLINE_FIGURES = {"headline": headline}
MORE_FIGURES = {"waiting_list": waiting_list, "officer_throughput": officer_throughput}
