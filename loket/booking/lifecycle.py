"""The booking lifecycle: the one table of status transitions, and the only writer of
`Booking.status` and of a booking's place (queue, outreach, waiting list, web and API call it).

    awaiting_payment -> confirmed | cancelled | expired
    confirmed        -> checked_in | cancelled
    checked_in       -> completed | no_show
    expired          -> confirmed (paid late, its place taken back by the caller)

A status leaves the table's sources only by one conditional UPDATE, so two callers racing for
the same booking never both win. Leaving a place-holding status (cancelled, expired) gives the
place back to the ledger, which offers it to the waiting list (capacity.events.PlacesFreed);
leaving an active status ends the person's live place (capacity.live).
Every change writes its typed fact (BookingEvent: what the reports count) and emits
BookingStatusChanged (or BookingMoved) in the caller's transaction.
"""

import datetime as dt
from dataclasses import dataclass

from loket.booking.models import (
    ACTIVE_STATUSES,
    PLACE_HOLDING_STATUSES,
    Booking,
    BookingEvent,
    BookingEventKind,
    BookingStatus,
)
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import clock, events

S = BookingStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.AWAITING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.CHECKED_IN, S.CANCELLED}),
    S.CHECKED_IN: frozenset({S.COMPLETED, S.NO_SHOW}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    # A late payment of an expired hold whose place is still free (booking.payments).
    S.EXPIRED: frozenset({S.CONFIRMED}),
    S.NO_SHOW: frozenset(),
}


def sources(to: str) -> list[str]:
    """The statuses a booking may be in to move to `to`."""
    return [s for s, targets in TRANSITIONS.items() if to in targets]


def may_become(booking: Booking, to: str) -> bool:
    return to in TRANSITIONS.get(booking.status, frozenset())


@dataclass(frozen=True)
class BookingStatusChanged:
    booking: Booking
    before: str
    after: str
    at: dt.datetime


@dataclass(frozen=True)
class BookingMoved:
    booking: Booking
    from_slot_id: int
    to_slot_id: int
    at: dt.datetime


def booking_event(
    booking: Booking,
    *,
    kind: str,
    from_status: str,
    at: dt.datetime,
    date: dt.date | None = None,
    from_date: dt.date | None = None,
) -> BookingEvent:
    """The typed fact of one change of `booking` (not saved): the lifecycle saves it in the
    change's transaction; a bulk writer (the reports' demo history) inserts many at once.
    `date`: the appointment day after the change (default: the booking's)."""
    return BookingEvent(
        booking=booking,
        office_id=booking.office_id,
        channel_id=booking.channel_id,
        kind=kind,
        from_status=from_status,
        at=at,
        date=date or booking.date,
        from_date=from_date,
    )


def snapshot(booking: Booking) -> dict:
    """What the audit trail keeps of a booking before and after a change."""
    return {
        "status": booking.status,
        "date": booking.date.isoformat(),
        "window": booking.window_start.strftime("%H:%M"),
    }


def change_status(booking: Booking, *, to: str, from_status: str | None = None, **fields) -> bool:
    """Move `booking` to `to` if its stored status may (see TRANSITIONS; only from
    `from_status` when given): one conditional UPDATE that also writes `fields`. False: the
    booking was not in a source status.

    Locks: the booking row, then (ending a held place) its ledger slot. Becoming active again
    (an expired hold paid late) claims the person's live place: an IntegrityError if they
    hold another.
    """
    now = clock.now()
    before = booking.status
    allowed = sources(to) if from_status is None else [from_status]
    if not all(to in TRANSITIONS[s] for s in allowed):
        return False
    updated = Booking.objects.filter(pk=booking.pk, status__in=allowed).update(
        status=to, updated_at=now, **fields
    )
    if not updated:
        return False
    booking.status = to
    booking.updated_at = now
    for name, value in fields.items():
        setattr(booking, name, value)
    if to not in PLACE_HOLDING_STATUSES:
        ledger.release_place(slot_id=booking.slot_id)
    if to not in ACTIVE_STATUSES:
        live.release(holder=live.holder_of(booking))  # the person may take another place
    elif before not in ACTIVE_STATUSES:
        live.new_claim(
            nik=booking.nik,
            kind=booking.channel.kind,
            holder=live.holder_of(booking),
            office=booking.office,
            day=booking.date,
        ).save(force_insert=True)
    booking_event(booking, kind=to, from_status=before, at=now).save(force_insert=True)
    events.emit(BookingStatusChanged(booking=booking, before=before, after=to, at=now))
    return True


def move_booking(
    booking: Booking,
    *,
    to_slot: CapacitySlot,
    reoffer: bool = True,
    kind: str = BookingEventKind.MOVED,
    **fields,
) -> bool:
    """Move an active booking's place to `to_slot` (date and window follow); False (nothing
    changed) if `to_slot` is full. `kind`: the fact written, RESCHEDULED when the applicant
    asked for it (MOVED: with its service day). `fields`: further columns to write (e.g.
    reschedule_count).

    Locks: both ledger slots in ascending id, then the booking row. The old place is offered
    to the waiting list unless `reoffer` is False.
    """
    from_slot_id, from_date = booking.slot_id, booking.date
    if not ledger.move_place(from_slot_id=from_slot_id, to_slot_id=to_slot.pk, reoffer=reoffer):
        return False
    now = clock.now()
    values = {
        "slot": to_slot,
        "date": to_slot.date,
        "window_start": to_slot.window_start,
        "window_end": to_slot.window_end,
        "updated_at": now,
        **fields,
    }
    Booking.objects.filter(pk=booking.pk).update(**values)
    live.move(holder=live.holder_of(booking), day=to_slot.date)
    booking_event(
        booking,
        kind=kind,
        from_status=booking.status,
        at=now,
        date=to_slot.date,
        from_date=from_date,
    ).save(force_insert=True)
    for name, value in values.items():
        setattr(booking, name, value)
    events.emit(
        BookingMoved(booking=booking, from_slot_id=from_slot_id, to_slot_id=to_slot.pk, at=now)
    )
    return True


def apply_office_status(booking: Booking, *, to: str) -> bool:
    """Write the status an office node's desk gave the booking (loket.sync, at the central
    site): checked in, completed or no-show. The node's own lifecycle already wrote the fact
    (its BookingEvent arrives with it), so none is written here. From cancelled (a central
    cancellation the office had not seen: the person was served) the caller takes the place
    back first. False if the booking was already there."""
    if to not in (S.CHECKED_IN, S.COMPLETED, S.NO_SHOW):
        raise ValueError(f"{to} is not the office's to set")
    now = clock.now()
    updated = (
        Booking.objects.filter(pk=booking.pk).exclude(status=to).update(status=to, updated_at=now)
    )
    if updated:
        booking.status, booking.updated_at = to, now
    return bool(updated)
