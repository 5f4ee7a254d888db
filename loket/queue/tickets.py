"""Issuing a ticket and locking the rows a ticket moves with.

To issue a ticket, lock order: the booking row (check-in) or the ledger slot (walk-ins), then
the lane's number sequence row.
"""

import datetime as dt

from django.db.models import F

from loket.booking.models import Booking
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.offices.models import Channel, Office
from loket.offices.selectors import load_channel_plan
from loket.queue.errors import LaneNotAvailable, StageNotFound, TicketNotAtCounter
from loket.queue.models import (
    AT_COUNTER,
    Counter,
    Lane,
    Stage,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSequence,
    TicketStatus,
)


def _today(office: Office) -> dt.date:
    return clock.local_today(office.time_zone)


def _first_stage(office: Office) -> Stage:
    stage = Stage.objects.filter(office=office, is_final=False).order_by("order").first()
    if stage is None:
        raise StageNotFound()
    return stage


def _lane(office: Office, kind: str) -> Lane:
    lane = Lane.objects.select_related("channel").filter(office=office, kind=kind).first()
    if lane is None:
        raise LaneNotAvailable()
    return lane


def _next_number(*, office: Office, day: dt.date, lane: Lane) -> int:
    """Allocate the lane's next number: one UPDATE that locks the sequence row, then a read."""
    TicketSequence.objects.get_or_create(office=office, date=day, lane=lane)
    TicketSequence.objects.filter(office=office, date=day, lane=lane).update(
        last_number=F("last_number") + 1
    )
    return TicketSequence.objects.get(office=office, date=day, lane=lane).last_number


def _event(ticket: Ticket, kind: str, *, officer=None, counter=None, stage=None, to_stage=None):
    return TicketEvent.objects.create(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        at=clock.now(),
        stage=stage if stage is not None else ticket.stage,
        counter=counter,
        officer=officer,
        to_stage=to_stage,
    )


def _state(ticket: Ticket) -> dict:
    return {
        "ticket": ticket.display,
        "status": ticket.status,
        "stage": ticket.stage.code,
        "counter": ticket.counter.number if ticket.counter_id else None,
    }


def _issue(
    *,
    office: Office,
    lane: Lane,
    officer,
    name: str,
    nik: str = "",
    birth_date: dt.date | None = None,
    booking: Booking | None = None,
    order_at: dt.datetime | None = None,
    off_window: bool = False,
    priority_reason: str = "",
    slot: CapacitySlot | None = None,
) -> Ticket:
    now = clock.now()
    day = _today(office)
    ticket = Ticket.objects.create(
        office=office,
        date=day,
        lane=lane,
        number=_next_number(office=office, day=day, lane=lane),
        booking=booking,
        slot=slot,
        applicant_name=name[:150],
        applicant_nik=nik,
        birth_date=birth_date,
        priority_reason=priority_reason,
        stage=_first_stage(office),
        status=TicketStatus.WAITING,
        order_at=order_at or now,
        off_window=off_window,
        issued_at=now,
        waiting_since=now,
    )
    _event(ticket, TicketEventKind.ISSUED, officer=officer)
    audit.record(
        action="ticket.issued",
        obj=ticket,
        actor=officer,
        office=office,
        after={**_state(ticket), "lane": lane.kind, "booking": booking.code if booking else None},
    )
    return ticket


def _take_channel_place(
    *, channel: Channel, day: dt.date, exhausted: type[DomainError]
) -> CapacitySlot:
    """Take one place of a channel on a day, in its first window with room (one conditional
    UPDATE per window tried; the ledger refuses `used > capacity`)."""
    plan = load_channel_plan(channel, day, day)
    windows = plan.window_plans(day)
    for window in windows:
        if window.capacity <= 0:
            continue
        slot = ledger.get_slot(channel=channel, day=day, window_start=window.start)
        if ledger.try_take_place(slot_id=slot.pk):
            return slot
    raise exhausted()


def _lock_counter(counter: Counter) -> Counter:
    return Counter.objects.select_for_update().select_related("office").get(pk=counter.pk)


def _lock_ticket_at_counter(counter: Counter, ticket_id: int | None = None) -> Ticket:
    query = Ticket.objects.select_for_update().filter(counter=counter, status__in=AT_COUNTER)
    if ticket_id is not None:
        query = query.filter(pk=ticket_id)
    ticket = query.first()
    if ticket is None:
        raise TicketNotAtCounter()
    return Ticket.objects.select_related("lane", "stage", "counter", "office", "booking").get(
        pk=ticket.pk
    )
