import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from loket.capacity.selectors import MAX_RANGE_DAYS, RangeInvalid, list_availability
from loket.core import clock
from loket.identity import regions
from loket.offices.selectors import get_channel, get_office, list_offices

router = Router(tags=["offices"], auth=None)


class ErrorOut(Schema):
    code: str
    detail: str


class ChannelOut(Schema):
    code: str
    kind: str
    name: str
    application_types: list[str]
    bookable_online: bool


class OfficeOut(Schema):
    code: str
    name: str
    address: str
    time_zone: str
    hotline: str
    working_area: list[str]


class OfficeDetailOut(OfficeOut):
    channels: list[ChannelOut]
    region_dataset: str


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


def _office_out(office) -> dict:
    return {
        "code": office.code,
        "name": office.name,
        "address": office.address,
        "time_zone": office.time_zone,
        "hotline": office.hotline,
        "working_area": [regions.format_regency(w.regency_code) for w in office.working_area.all()],
    }


@router.get("", response=list[OfficeOut])
def offices(request):
    """Active offices."""
    return [_office_out(o) for o in list_offices().prefetch_related("working_area")]


@router.get("/{code}", response={200: OfficeDetailOut, 404: ErrorOut})
def office_detail(request, code: str):
    office = get_office(code)
    channels = office.channels.filter(is_active=True).order_by("code")
    return {
        **_office_out(office),
        "channels": [
            {
                "code": c.code,
                "kind": c.kind,
                "name": c.name,
                "application_types": c.application_types,
                "bookable_online": c.is_bookable_online,
            }
            for c in channels
        ],
        "region_dataset": regions.dataset_version(),
    }


@router.get("/{code}/availability", response={200: AvailabilityOut, 404: ErrorOut, 422: ErrorOut})
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
