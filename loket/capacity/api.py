"""The ledger's API: what each office's channel still has free, per day and window.

Mounted under /offices (config/api.py), beside the offices' own router.
"""

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from loket.capacity.selectors import MAX_RANGE_DAYS, RangeInvalid, list_availability
from loket.core import clock
from loket.offices.selectors import get_channel, get_office

router = Router(tags=["offices"], auth=None)


class ErrorOut(Schema):
    code: str
    detail: str


class WindowOut(Schema):
    start: str
    end: str
    remaining: int


class DayOut(Schema):
    date: dt.date
    status: str
    reason: str
    opens_at: str | None = None
    windows: list[WindowOut]


class AvailabilityOut(Schema):
    office: str
    channel: str
    days: list[DayOut]


class AvailabilityQuery(Schema):
    channel: str = Field(default="online", max_length=32)
    start: dt.date | None = None
    end: dt.date | None = None


@router.get(
    "/{code}/availability",
    response={200: AvailabilityOut, 404: ErrorOut, 422: ErrorOut},
    # The operation's name from when it lived in loket.offices.api: clients keep it.
    operation_id="loket_offices_api_availability",
)
def availability(request, code: str, q: Query[AvailabilityQuery]):
    """Per day: `open`, `full`, `closed` or `not_released`, with each window's remaining places.

    Defaults to the next 31 days; at most 93 days per request.
    """
    office = get_office(code)
    channel = get_channel(office, q.channel)
    start = q.start or clock.local_today(office.time_zone)
    # The calendar's far end cannot be stepped through (date.max has no next day).
    last_usable = dt.date.max - dt.timedelta(days=MAX_RANGE_DAYS)
    if start > last_usable or (q.end is not None and q.end > last_usable):
        raise RangeInvalid()
    end = q.end or start + dt.timedelta(days=30)
    days = list_availability(channel=channel, start=start, end=end)
    return {
        "office": office.code,
        "channel": channel.code,
        "days": [
            {
                "date": d.date,
                "status": d.status,
                "reason": d.reason,
                "opens_at": d.opens_at.strftime("%Y-%m-%dT%H:%M") if d.opens_at else None,
                "windows": [
                    {"start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}", "remaining": w.remaining}
                    for w in d.windows
                ],
            }
            for d in days
        ],
    }
