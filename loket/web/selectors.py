"""Reads the website's pages need, shaped for templates. No rules here: they live in the
services and domain modules; this only asks them and arranges the answers."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from loket.accounts.models import Applicant
from loket.booking import domain as booking_domain
from loket.booking.models import Booking, BookingStatus
from loket.capacity.selectors import DayAvailability, list_availability
from loket.core import clock
from loket.identity import regions
from loket.offices.domain import national_closure
from loket.offices.models import Channel, ChannelKind, Closure, Office
from loket.offices.selectors import list_offices


def search_offices(query: str) -> list[Office]:
    """Active offices whose name or code matches, or whose working area has a matching regency."""
    offices = list_offices().prefetch_related("working_area")
    query = (query or "").strip()
    if not query:
        return list(offices)
    needle = query.lower()
    codes = {code for code, name in regions.regencies().items() if needle in name.lower()}
    normalized = regions.normalize_regency(query)
    if normalized:
        codes.add(normalized)
    return list(
        offices.filter(
            Q(name__icontains=query)
            | Q(code__iexact=query)
            | Q(working_area__regency_code__in=codes)
        ).distinct()
    )


def working_area_names(office: Office) -> list[str]:
    return [regions.regency_name(w.regency_code) for w in office.working_area.all()]


def bookable_channels(office: Office) -> list[Channel]:
    channels = [c for c in office.channels.filter(is_active=True) if c.is_bookable_online]
    for c in channels:
        c.office = office
    return sorted(channels, key=lambda c: (c.kind != ChannelKind.ONLINE, c.name))


def channel_daily_quota(office: Office, kind: str) -> int | None:
    """The most places a channel of this kind has on a weekday (e.g. priority: 20), or None."""
    channel = office.channels.filter(kind=kind, is_active=True).first()
    if channel is None:
        return None
    figures = list(channel.weekday_capacities.values_list("capacity", flat=True))
    return max(figures) if figures else None


@dataclass(frozen=True)
class MonthCalendar:
    first: dt.date
    weeks: list[list[DayAvailability | None]]
    previous_month: dt.date | None
    next_month: dt.date | None
    next_release: dt.datetime | None
    has_open_day: bool


def month_calendar(*, channel: Channel, month: dt.date) -> MonthCalendar:
    """A month of availability laid out Monday to Sunday, with the coming release moment."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    days = {d.date: d for d in list_availability(channel=channel, start=first, end=last)}
    weeks = [
        [days.get(day) if day.month == first.month else None for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    today = clock.local_today(channel.office.time_zone)
    horizon_end = today + dt.timedelta(days=channel.horizon_days)
    releases = [d.opens_at for d in days.values() if d.opens_at is not None]
    previous_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = last + dt.timedelta(days=1)
    return MonthCalendar(
        first=first,
        weeks=weeks,
        previous_month=previous_month if previous_month >= today.replace(day=1) else None,
        next_month=next_month if next_month <= horizon_end else None,
        next_release=min(releases) if releases else None,
        has_open_day=any(d.status == "open" for d in days.values()),
    )


def closure_names(*, office: Office, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Why the office is closed on each closed day of [start, end]: its own closure's reason,
    else the national holiday's name in the active language ("Hari Raya Natal"). One query."""
    names = dict(
        Closure.objects.filter(office_id=office.pk, date__range=(start, end)).values_list(
            "date", "reason"
        )
    )
    if office.observe_national_holidays:
        day = start
        while day <= end:
            if day not in names:
                holiday = national_closure(day)
                if holiday:
                    names[day] = holiday
            day += dt.timedelta(days=1)
    return {day: name for day, name in names.items() if name}


def day_availability(*, channel: Channel, day: dt.date) -> DayAvailability:
    return list_availability(channel=channel, start=day, end=day)[0]


def list_applicants(account) -> list[Applicant]:
    return list(Applicant.objects.filter(account=account).order_by("position"))


def get_applicant(account, applicant_id: int) -> Applicant | None:
    return Applicant.objects.filter(account=account, pk=applicant_id).first()


def reschedule_blocker(booking: Booking) -> str | None:
    """Why this booking cannot be rescheduled now (the booking domain's rule), or None."""
    if booking.status not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED):
        return "inactive"
    if booking.reschedule_count >= 1:
        return "used"
    today = clock.local_today(booking.office.time_zone)
    if not booking_domain.may_reschedule(
        appointment=booking.date,
        today=today,
        min_days_before=booking.channel.reschedule_min_days_before,
    ):
        return "too_late"
    return None


def may_cancel(booking: Booking) -> bool:
    return booking.status in (
        BookingStatus.AWAITING_PAYMENT,
        BookingStatus.CONFIRMED,
    ) and booking.date >= clock.local_today(booking.office.time_zone)
