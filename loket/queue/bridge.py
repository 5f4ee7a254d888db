"""The information desk's one code field, and the channels above the queue that bring their own
codes to it.

The desk looks a code up as a booking first (a booking code may begin with the same letters as
another channel's code), then as the code of a channel that registered a resolver for its
prefix in its `AppConfig.ready()` (outreach: emergency cases DR..., Eazy Passport participants
EP..., see loket.outreach.bridge). The queue imports none of them.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from loket.booking.models import Booking
from loket.core.errors import NotFound
from loket.offices.models import Office
from loket.queue import check_in as queue_check_in
from loket.queue import errors
from loket.queue.models import StaffRole, Ticket

# Who checks an approved emergency case in: the desk, the floor, the hotline.
CASE_CHECK_IN_ROLES = (StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.HOTLINE)
# At a mobile site: the coordinator and the team's officers (or the desk and the floor).
SITE_CHECK_IN_ROLES = (
    StaffRole.DESK,
    StaffRole.COUNTER,
    StaffRole.SUPERVISOR,
    StaffRole.OUTREACH,
)
CHECK_IN_ROLES = tuple(dict.fromkeys(CASE_CHECK_IN_ROLES + SITE_CHECK_IN_ROLES))


class ArrivalNotFound(NotFound, code="arrival_not_found"):
    message = _(
        "Nothing at this office has this code. Type the booking code or application number, "
        "an emergency case code (DR…) or an Eazy Passport participant code (EP…)."
    )


class ArrivalKind:
    BOOKING = "booking"


@dataclass(frozen=True)
class Arrival:
    """What the desk shows before the KTP's NIK is confirmed."""

    kind: str  # ArrivalKind.BOOKING, or the kind of the resolver that found it
    code: str  # the code to check in with: booking code, case code or participant code
    name: str
    nik: str
    date: dt.date | None
    status: str
    booking: Booking | None = None


@dataclass(frozen=True)
class CodeResolver:
    """A channel's codes at the desk: those beginning with `prefix` are its `kind`.

    `find(office=, code=)` returns the Arrival (reads only) or raises the channel's NotFound;
    `check_in(office=, code=, confirmed_nik=, officer=)` issues the ticket (the channel's own
    roles, locks and refusals)."""

    prefix: str
    kind: str
    find: Callable[..., Arrival]
    check_in: Callable[..., Ticket]


_resolvers: list[CodeResolver] = []


def register_code_resolver(resolver: CodeResolver) -> None:
    """Called from an app's `ready()`; a prefix is registered once (the first one stays)."""
    if all(r.prefix != resolver.prefix for r in _resolvers):
        _resolvers.append(resolver)


def code_resolvers() -> list[CodeResolver]:
    return list(_resolvers)


def find_arrival(*, office: Office, code: str) -> Arrival:
    """The booking, or the registered channel's arrival (emergency case, Eazy Passport
    participant), of this office that `code` names. A booking is looked for first: a booking
    code may begin with the same letters as another channel's code. Reads only."""
    try:
        booking = queue_check_in.find_booking(office=office, code=code)
    except errors.BookingNotFoundHere:
        pass
    else:
        return Arrival(
            kind=ArrivalKind.BOOKING,
            code=booking.code,
            name=booking.applicant.name,
            nik=booking.nik,
            date=booking.date,
            status=booking.get_status_display(),
            booking=booking,
        )
    code = (code or "").strip().upper()
    for resolver in _resolvers:
        if code.startswith(resolver.prefix):
            return resolver.find(office=office, code=code)
    raise ArrivalNotFound()


def check_in_at_desk(*, office: Office, code: str, confirmed_nik: str, officer) -> Ticket:
    """Check in whatever `code` names (see `find_arrival`): a booking through
    `services.check_in_booking`, another channel's code through its resolver (their locks)."""
    arrival = find_arrival(office=office, code=code)
    if arrival.kind == ArrivalKind.BOOKING:
        return queue_check_in.check_in_booking(
            office=office, code=arrival.code, confirmed_nik=confirmed_nik, officer=officer
        )
    resolver = next(r for r in _resolvers if r.kind == arrival.kind)
    return resolver.check_in(
        office=office, code=arrival.code, confirmed_nik=confirmed_nik, officer=officer
    )
