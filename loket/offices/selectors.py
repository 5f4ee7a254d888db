"""Reads of office configuration: what a channel offers on which days."""

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.errors import NotFound
from loket.offices import domain
from loket.offices.models import Channel, ChannelKind, Closure, Office


class OfficeNotFound(NotFound, code="office_not_found"):
    message = _("There is no such office.")


class ChannelNotFound(NotFound, code="channel_not_found"):
    message = _("This office has no such service channel.")


def list_offices():
    return Office.objects.filter(is_active=True).order_by("name")


def get_office(code: str) -> Office:
    try:
        return Office.objects.get(code=(code or "").upper(), is_active=True)
    except Office.DoesNotExist:
        raise OfficeNotFound() from None


def get_channel(office: Office, code: str) -> Channel:
    try:
        channel = Channel.objects.get(office=office, code=code, is_active=True)
    except Channel.DoesNotExist:
        raise ChannelNotFound() from None
    channel.office = office
    return channel


def get_bap_channel(office: Office) -> Channel | None:
    """The office's examination (BAP) channel: lost/damaged examination dates take its places."""
    channel = Channel.objects.filter(office=office, kind=ChannelKind.BAP, is_active=True).first()
    if channel is not None:
        channel.office = office
    return channel


@dataclass(frozen=True)
class WindowPlan:
    start: dt.time
    end: dt.time
    capacity: int


@dataclass
class ChannelPlan:
    """A channel's configuration for a range of dates, loaded in a fixed number of queries."""

    channel: Channel
    weekday_capacity: dict[int, int]
    windows: list[tuple[dt.time, dt.time, int]]
    overrides: dict[dt.date, int]
    office_closures: dict[dt.date, str]

    @property
    def policy(self) -> domain.ReleasePolicy:
        c = self.channel
        return domain.ReleasePolicy(
            rule=c.release_rule,
            days_ahead=c.release_days_ahead,
            weekday=c.release_weekday,
            day_of_month=c.release_day_of_month,
            time=c.release_time,
        )

    def closure_reason(self, day: dt.date) -> str | None:
        if day in self.office_closures:
            return self.office_closures[day]
        if self.channel.office.observe_national_holidays:
            return domain.national_closure(day)
        return None

    def day_capacity(self, day: dt.date) -> int:
        if self.closure_reason(day) is not None:
            return 0
        if day in self.overrides:
            return self.overrides[day]
        return self.weekday_capacity.get(day.weekday(), 0)

    def window_plans(self, day: dt.date) -> list[WindowPlan]:
        office = self.channel.office
        windows = self.windows or [(office.opens_at, office.closes_at, 1)]
        parts = domain.split_capacity(self.day_capacity(day), [w for _s, _e, w in windows])
        return [WindowPlan(s, e, n) for (s, e, _w), n in zip(windows, parts, strict=True)]

    def state(self, day: dt.date, local_now: dt.datetime | None = None) -> domain.DayState:
        if local_now is None:
            local_now = clock.local_now(self.channel.office.time_zone)
        return domain.day_state(
            day=day,
            local_now=local_now,
            min_days_ahead=self.channel.min_days_ahead,
            horizon_days=self.channel.horizon_days,
            policy=self.policy,
            closed=self.day_capacity(day) == 0,
        )


def load_channel_plan(channel: Channel, start: dt.date, end: dt.date) -> ChannelPlan:
    return ChannelPlan(
        channel=channel,
        weekday_capacity=dict(channel.weekday_capacities.values_list("weekday", "capacity")),
        windows=list(channel.windows.order_by("start").values_list("start", "end", "weight")),
        overrides=dict(
            channel.overrides.filter(date__range=(start, end)).values_list("date", "capacity")
        ),
        office_closures=dict(
            Closure.objects.filter(
                office_id=channel.office_id, date__range=(start, end)
            ).values_list("date", "reason")
        ),
    )


def is_office_closed(office: Office, day: dt.date) -> bool:
    if Closure.objects.filter(office=office, date=day).exists():
        return True
    return office.observe_national_holidays and domain.national_closure(day) is not None


def office_closed_reason(office: Office, day: dt.date) -> str | None:
    """Why the office's regular service is closed on a day: its own closure's reason, the
    national holiday's name, or the weekday's name on a weekend; None on a working day."""
    closure = Closure.objects.filter(office=office, date=day).values_list("reason", flat=True)
    reason = closure.first()
    if reason is not None:
        return reason or gettext("closed")
    if office.observe_national_holidays and domain.national_closure(day) is not None:
        return domain.national_closure_name(day, get_language() or "id")
    if day.weekday() >= 5:
        return date_format(day, "l")
    return None


def working_days_after(office: Office, start: dt.date, days: int) -> dt.date:
    """Working-day arithmetic on the office's calendar (issuance, BAP return, pickup)."""
    horizon = start + dt.timedelta(days=days * 3 + 30)
    own = set(
        Closure.objects.filter(office=office, date__range=(start, horizon)).values_list(
            "date", flat=True
        )
    )

    def closed(day: dt.date) -> bool:
        return day in own or (
            office.observe_national_holidays and domain.national_closure(day) is not None
        )

    return domain.add_working_days(start, days, closed)
