"""Reads of the ledger: what is still free, per day and window."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.errors import InvalidInput
from loket.offices import domain
from loket.offices.models import Channel
from loket.offices.selectors import load_channel_plan

MAX_RANGE_DAYS = 93


class RangeInvalid(InvalidInput, code="range_invalid"):
    message = _("Choose a start date not after the end date, at most 93 days apart.")


@dataclass(frozen=True)
class WindowAvailability:
    start: dt.time
    end: dt.time
    capacity: int
    remaining: int


@dataclass(frozen=True)
class DayAvailability:
    date: dt.date
    status: str  # open, full, closed, not_released
    reason: str  # the DayState behind it (past, too_soon, closed, ...)
    windows: list[WindowAvailability]
    opens_at: dt.datetime | None  # for not_released: the local release moment


def list_availability(*, channel: Channel, start: dt.date, end: dt.date) -> list[DayAvailability]:
    """Availability per day in [start, end], in a fixed number of queries."""
    if end < start or (end - start).days >= MAX_RANGE_DAYS or end >= dt.date.max:
        raise RangeInvalid()
    plan = load_channel_plan(channel, start, end)
    local_now = clock.local_now(channel.office.time_zone)
    taken = {
        (s.date, s.window_start): s
        for s in CapacitySlot.objects.filter(channel=channel, date__range=(start, end))
    }
    days = []
    day = start
    while day <= end:
        state = plan.state(day, local_now)
        windows = []
        opens_at = None
        if state == domain.DayState.OPEN:
            for w in plan.window_plans(day):
                slot = taken.get((day, w.start))
                if slot is not None:
                    windows.append(
                        WindowAvailability(w.start, w.end, slot.capacity, slot.remaining)
                    )
                else:
                    windows.append(WindowAvailability(w.start, w.end, w.capacity, w.capacity))
            status = "open" if any(w.remaining for w in windows) else "full"
        elif state in (domain.DayState.NOT_RELEASED, domain.DayState.BEYOND_HORIZON):
            status = "not_released"
            if state == domain.DayState.NOT_RELEASED:
                opens_at = domain.release_moment(plan.policy, day)
        else:
            status = "closed"
        days.append(DayAvailability(day, status, state.value, windows, opens_at))
        day += dt.timedelta(days=1)
    return days
