from ninja import Router, Status

from loket.accounts.api import RateLimit
from loket.booking.api import booking_out
from loket.booking.schemas import BookingOut, ErrorOut
from loket.booking.services import get_account_booking
from loket.offices.selectors import get_channel, get_office
from loket.waitlist import selectors, services
from loket.waitlist.models import EntryStatus, WaitlistEntry
from loket.waitlist.schemas import EntryOut, WaitlistJoinIn

router = Router(tags=["waiting list"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def entry_out(entry: WaitlistEntry, position: int | None = None) -> dict:
    offer = None
    if entry.status == EntryStatus.OFFERED:
        offer = {
            "window": f"{entry.slot.window_start:%H:%M}",
            "window_end": f"{entry.slot.window_end:%H:%M}",
            "offered_at": entry.offered_at,
            "expires_at": entry.offer_expires_at,
        }
    if position is None:
        position = getattr(entry, "position", None)
    return {
        "id": entry.pk,
        "status": entry.status,
        "office": entry.office.code,
        "channel": entry.channel.code,
        "date": entry.date,
        "applicant_id": entry.applicant_id,
        "applicant_name": entry.applicant.name if entry.applicant_id else "",
        "position": position if entry.status == EntryStatus.WAITING else None,
        "offer": offer,
        "booking": entry.booking.code if entry.booking_id else None,
        "joined_at": entry.joined_at,
    }


def _reloaded(account, entry_id: int) -> dict:
    entries = selectors.list_account_entries(account=account, include_closed=True)
    return entry_out(next(e for e in entries if e.pk == entry_id))


@router.post(
    "", response={201: EntryOut, **ERRORS}, throttle=RateLimit("api_booking", per="account")
)
def join(request, payload: WaitlistJoinIn):
    """Join a full day's waiting list for one of the account's people.

    When a place frees up, the first person in line gets an offer holding it for a while
    (2 hours by default); accept it to book, or it passes to the next.
    """
    channel = get_channel(get_office(payload.office), payload.channel)
    entry = services.join_waitlist(
        account=request.auth,
        channel=channel,
        day=payload.date,
        applicant_id=payload.applicant_id,
        application_type=payload.application_type,
        purpose=payload.purpose,
        passport_type=payload.passport_type,
    )
    return Status(201, _reloaded(request.auth, entry.pk))


@router.get("", response={200: list[EntryOut], 400: ErrorOut, 401: ErrorOut, 422: ErrorOut})
def my_entries(request, include_closed: bool = False):
    """The account's waiting-list entries, newest first: open ones, or all."""
    return [
        entry_out(e)
        for e in selectors.list_account_entries(account=request.auth, include_closed=include_closed)
    ]


@router.post("/{entry_id}/accept", response={201: BookingOut, **ERRORS})
def accept(request, entry_id: int):
    """Book the place an open offer holds; the booking then waits for payment."""
    booking = services.accept_offer(account=request.auth, entry_id=entry_id)
    return Status(201, booking_out(get_account_booking(account=request.auth, code=booking.code)))


@router.post("/{entry_id}/decline", response={200: EntryOut, **ERRORS})
def decline(request, entry_id: int):
    """Decline an open offer: its place goes to the next person in line."""
    services.decline_offer(account=request.auth, entry_id=entry_id)
    return _reloaded(request.auth, entry_id)


@router.post("/{entry_id}/leave", response={200: EntryOut, **ERRORS})
def leave(request, entry_id: int):
    """Leave the waiting list (an open offer is given up and passed on)."""
    services.leave_waitlist(account=request.auth, entry_id=entry_id)
    return _reloaded(request.auth, entry_id)
