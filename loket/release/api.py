"""`/api/v1/release`: the fair-release waiting room (join, see my place)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from loket.accounts.api import ErrorOut, RateLimit
from loket.booking import config_cache
from loket.booking.schemas import NIK_PATTERN
from loket.core.errors import NotFound
from loket.release import services
from loket.release.services import Place

router = Router(tags=["release"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
    503: ErrorOut,
}


class NotInLine(NotFound, code="release_not_in_line"):
    message = _("This account has no place in this waiting room.")


class WaitingRoomJoinIn(Schema):
    office: str = Field(max_length=10)
    channel: str = Field(max_length=30)
    date: dt.date
    nik: str = Field(max_length=16, json_schema_extra={"pattern": NIK_PATTERN})


class PlaceOut(Schema):
    office: str
    channel: str
    date: dt.date
    release_at: dt.datetime
    lottery_ends_at: dt.datetime
    state: str = Field(description="lottery, waiting, admitted, passed or used")
    drawn_by_lottery: bool
    position: int | None
    people_ahead: int | None
    admitted_from: dt.datetime | None
    admitted_until: dt.datetime | None
    estimate_seconds: int | None
    admit_per_minute: int


def place_out(place: Place, day: dt.date) -> dict:
    release = place.release
    return {
        "office": release.channel.office.code,
        "channel": release.channel.code,
        "date": day,
        "release_at": release.release_at,
        "lottery_ends_at": release.lottery_ends_at,
        "state": place.state,
        "drawn_by_lottery": place.entry.drawn_by_lottery,
        "position": place.position,
        "people_ahead": place.people_ahead,
        "admitted_from": place.admitted_from,
        "admitted_until": place.admitted_until,
        "estimate_seconds": place.estimate_seconds,
        "admit_per_minute": release.setting.admit_per_minute,
    }


@router.post(
    "/join", response={200: PlaceOut, **ERRORS}, throttle=RateLimit("api_release", per="account")
)
def join(request, payload: WaitingRoomJoinIn):
    """Take a place in the waiting room of the release of `date` (or get the one you have).

    Arrivals in the lottery period get a random order; later arrivals queue in arrival order.
    Joining again never changes the place.
    """
    channel = config_cache.channel_by_codes(payload.office, payload.channel)
    place = services.join(account=request.auth, channel=channel, day=payload.date, nik=payload.nik)
    return place_out(place, payload.date)


@router.get(
    "/place", response={200: PlaceOut, **ERRORS}, throttle=RateLimit("api_release", per="account")
)
def my_place(request, office: str, channel: str, date: dt.date):
    """Where this account is in the waiting room, and an estimate of its turn."""
    ch = config_cache.channel_by_codes(office, channel)
    place = services.my_place(account=request.auth, channel=ch, day=date)
    if place is None:
        raise NotInLine()
    return place_out(place, date)
