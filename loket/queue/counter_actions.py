"""A ticket at a counter: call, recall, serve, park, transfer, finish.

Each function is one transaction with its audit row and the ticket's events. Lock order: the
counter row, then ticket rows, then the booking row.
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from loket.booking import lifecycle
from loket.booking.models import BookingStatus
from loket.capacity import live
from loket.core import audit, clock
from loket.offices.models import Office
from loket.queue import domain
from loket.queue.errors import (
    CounterBusy,
    NobodyWaiting,
    NoShowTooEarly,
    StageNotFound,
    TicketStateInvalid,
)
from loket.queue.issuance import _record_interview
from loket.queue.models import (
    AT_COUNTER,
    Counter,
    Stage,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from loket.queue.office_setup import get_queue_settings
from loket.queue.tickets import _event, _lock_counter, _lock_ticket_at_counter, _state, _today


def current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.select_related("lane", "stage", "booking", "counter")
        .filter(counter=counter, status__in=AT_COUNTER)
        .first()
    )


def _others_since_priority(office: Office, day: dt.date, stage_ids: list[int], ratio: int) -> int:
    if ratio <= 0:
        return 0
    lanes = (
        TicketEvent.objects.filter(
            office=office,
            kind=TicketEventKind.CALLED,
            ticket__date=day,
            stage_id__in=stage_ids,
        )
        .order_by("-at", "-id")
        .values_list("ticket__lane__kind", flat=True)[: ratio + 1]
    )
    return domain.count_others_since_priority(lanes)


def call_next_ticket(*, counter: Counter, officer) -> Ticket:
    """Call the next ticket for a counter, by the office's call policy.

    Locks the counter row (one call at a time per counter), then claims one waiting ticket:
    on PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED (a ticket another counter is claiming
    is skipped, never waited for), on SQLite the IMMEDIATE transaction serialises writers. The
    claim re-checks `status = waiting`, and the partial unique index on the counter backs it.
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        office = counter.office
        busy = current_ticket(counter)
        if busy is not None:
            raise CounterBusy(ticket=busy.display)
        today = _today(office)
        stage_ids = list(counter.stages.values_list("id", flat=True))
        lane_ids = list(counter.lanes.values_list("id", flat=True))
        rows = Ticket.objects.filter(
            office=office,
            date=today,
            status=TicketStatus.WAITING,
            stage_id__in=stage_ids,
            lane_id__in=lane_ids,
        ).values_list("id", "lane__kind", "order_at", "waiting_since", "issued_at", "off_window")
        candidates = [
            domain.Candidate(
                id=r[0],
                lane=r[1],
                order_at=r[2],
                waiting_since=r[3],
                issued_at=r[4],
                off_window=r[5],
            )
            for r in rows
        ]
        settings = get_queue_settings(office)
        order = domain.call_order(
            candidates,
            now=clock.now(),
            policy=domain.CallPolicy(
                others_per_priority=settings.others_per_priority,
                starvation_minutes=settings.starvation_minutes,
            ),
            others_since_priority=_others_since_priority(
                office, today, stage_ids, settings.others_per_priority
            ),
        )
        skip_locked = connection.features.has_select_for_update_skip_locked
        for candidate in order:
            query = Ticket.objects.filter(pk=candidate.id, status=TicketStatus.WAITING)
            if skip_locked:
                query = query.select_for_update(skip_locked=True)
            ticket = query.select_related("lane", "stage").first()
            if ticket is None:
                continue  # taken or being taken by another counter
            now = clock.now()
            claimed = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED, counter=counter, officer=officer, called_at=now
            )
            if not claimed:
                continue
            ticket.status, ticket.counter, ticket.officer, ticket.called_at = (
                TicketStatus.CALLED,
                counter,
                officer,
                now,
            )
            _event(ticket, TicketEventKind.CALLED, officer=officer, counter=counter)
            audit.record(
                action="ticket.called",
                obj=ticket,
                actor=officer,
                office=office,
                after=_state(ticket),
            )
            return ticket
        raise NobodyWaiting()


def recall_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Call the counter's ticket again (the board announces it again)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        Ticket.objects.filter(pk=ticket.pk).update(recall_count=F("recall_count") + 1)
        ticket.recall_count += 1
        _event(ticket, TicketEventKind.RECALLED, officer=officer, counter=counter)
        audit.record(
            action="ticket.recalled",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            after={**_state(ticket), "recalls": ticket.recall_count},
        )
        return ticket


def start_service(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """The called person has come to the counter."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        before = _state(ticket)
        ticket.status = TicketStatus.SERVING
        ticket.save(update_fields=["status"])
        _event(ticket, TicketEventKind.STARTED, officer=officer, counter=counter)
        audit.record(
            action="ticket.started",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def _leave_counter(ticket: Ticket, *, status: str, stage: Stage | None = None) -> None:
    if status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
        # Served or missed: the person's live place of the day ends (capacity.live).
        live.release_day(nik=ticket.applicant_nik, day=ticket.date)
    ticket.status = status
    ticket.counter = None
    fields = ["status", "counter"]
    if stage is not None:
        ticket.stage = stage
        fields.append("stage")
    if status == TicketStatus.WAITING:
        ticket.waiting_since = clock.now()
        ticket.recall_count = 0
        fields += ["waiting_since", "recall_count"]
    ticket.save(update_fields=fields)


def mark_no_show(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """The called person did not come after the office's number of recalls.

    A booked applicant's booking becomes `no_show` (conditional UPDATE from checked_in).
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        needed = get_queue_settings(ticket.office).recalls_before_no_show
        if ticket.recall_count < needed:
            raise NoShowTooEarly(recalls=needed)
        before = _state(ticket)
        _leave_counter(ticket, status=TicketStatus.NO_SHOW)
        _event(ticket, TicketEventKind.NO_SHOW, officer=officer, counter=counter)
        if ticket.booking_id:
            lifecycle.change_status(ticket.booking, to=BookingStatus.NO_SHOW)
        audit.record(
            action="ticket.no_show",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def park_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Set the ticket aside while the person fetches a document; the counter is free again."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        before = _state(ticket)
        _leave_counter(ticket, status=TicketStatus.PARKED)
        _event(ticket, TicketEventKind.PARKED, officer=officer, counter=counter)
        audit.record(
            action="ticket.parked",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def return_ticket(*, office: Office, ticket_id: int, officer) -> Ticket:
    """A parked person is back: the ticket waits again at its stage, keeping its place in time."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .filter(pk=ticket_id, office=office, status=TicketStatus.PARKED)
            .first()
        )
        if ticket is None:
            raise TicketStateInvalid(status=_("not parked"))
        ticket = Ticket.objects.select_related("lane", "stage", "office").get(pk=ticket.pk)
        before = _state(ticket)
        ticket.status = TicketStatus.WAITING
        ticket.recall_count = 0
        ticket.save(update_fields=["status", "recall_count"])
        _event(ticket, TicketEventKind.RETURNED, officer=officer)
        audit.record(
            action="ticket.returned",
            obj=ticket,
            actor=officer,
            office=office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def transfer_ticket(
    *, counter: Counter, officer, stage_code: str, ticket_id: int | None = None
) -> Ticket:
    """Send the ticket to wait at another stage (e.g. back to the document check)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        stage = Stage.objects.filter(
            office_id=ticket.office_id, code=stage_code, is_final=False
        ).first()
        if stage is None:
            raise StageNotFound()
        before = _state(ticket)
        from_stage = ticket.stage
        _leave_counter(ticket, status=TicketStatus.WAITING, stage=stage)
        _event(
            ticket,
            TicketEventKind.TRANSFERRED,
            officer=officer,
            counter=counter,
            stage=from_stage,
            to_stage=stage,
        )
        audit.record(
            action="ticket.transferred",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def complete_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Finish the stage: the ticket waits at the next stage, or is done after the last one.

    Finishing the interview stage records the issuance (ready after 4 working days); finishing
    the last stage completes the booking (conditional UPDATE from checked_in).
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        before = _state(ticket)
        stage = ticket.stage
        following = (
            Stage.objects.filter(office_id=ticket.office_id, order__gt=stage.order)
            .order_by("order")
            .first()
        )
        _event(ticket, TicketEventKind.FINISHED, officer=officer, counter=counter, stage=stage)
        if stage.records_interview:
            _record_interview(ticket)
        if following is None or following.is_final:
            _leave_counter(ticket, status=TicketStatus.DONE, stage=following or stage)
            if ticket.booking_id:
                lifecycle.change_status(ticket.booking, to=BookingStatus.COMPLETED)
        else:
            _leave_counter(ticket, status=TicketStatus.WAITING, stage=following)
        audit.record(
            action="ticket.completed",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket
