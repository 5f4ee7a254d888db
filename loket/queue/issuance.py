"""After the counter: the lost/damaged examination (BAP), the issuance and the pickup."""

import datetime as dt

from django.db import transaction

from loket.core import audit, clock
from loket.core.errors import NotFound
from loket.offices.models import Office
from loket.offices.selectors import get_bap_channel, is_office_closed, working_days_after
from loket.queue.errors import (
    AlreadyPickedUp,
    BapAlreadyScheduled,
    BapCapacityNotConfigured,
    BapDateInvalid,
    BapDateTooFar,
    BapNotDue,
    BapNotForThisTicket,
    BapQuotaExhausted,
    PassportNotReady,
    PickupInvalid,
    TicketStateInvalid,
)
from loket.queue.models import BapCase, BapStatus, Counter, Issuance, LaneKind, PickupBy, Ticket
from loket.queue.tickets import _lock_counter, _lock_ticket_at_counter, _take_channel_place, _today

ISSUANCE_WORKING_DAYS = 4
BAP_PHOTO_WORKING_DAYS = 3


def schedule_bap(
    *, counter: Counter, officer, day: dt.date, ticket_id: int | None = None
) -> BapCase:
    """Set the examination (BAP) date of the lost/damaged ticket at this counter, taking a place
    of the office's examination (BAP) channel on that day: its own capacity, not the walk-in
    lane's. Locks the counter, the ticket, then the ledger slot (conditional UPDATE)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.lane.kind != LaneKind.LOST_DAMAGED:
            raise BapNotForThisTicket()
        existing = BapCase.objects.filter(ticket=ticket).first()
        if existing is not None:
            raise BapAlreadyScheduled(date=f"{existing.bap_date:%d-%m-%Y}")
        office = ticket.office
        today = _today(office)
        if day <= today or is_office_closed(office, day):
            raise BapDateInvalid()
        channel = get_bap_channel(office)
        if channel is None:
            raise BapCapacityNotConfigured()
        if day > today + dt.timedelta(days=channel.horizon_days):
            raise BapDateTooFar(days=channel.horizon_days)
        slot = _take_channel_place(channel=channel, day=day, exhausted=BapQuotaExhausted)
        case = BapCase.objects.create(
            office=office,
            ticket=ticket,
            bap_date=day,
            slot=slot,
            scheduled_by=officer,
            scheduled_at=clock.now(),
        )
        audit.record(
            action="bap.scheduled",
            obj=case,
            actor=officer,
            office=office,
            after={"ticket": ticket.display, "date": day.isoformat()},
        )
        return case


def approve_bap(*, office: Office, case_id: int, officer) -> BapCase:
    """The examination approved the case: the applicant comes back for photos 3 working days
    later (on the office's calendar). Locks the case row."""
    with transaction.atomic():
        case = BapCase.objects.select_for_update().filter(pk=case_id, office=office).first()
        if case is None:
            raise NotFound()
        if case.status != BapStatus.SCHEDULED:
            raise TicketStateInvalid(status=case.get_status_display())
        today = _today(office)
        if today < case.bap_date:
            raise BapNotDue(date=f"{case.bap_date:%d-%m-%Y}")
        case.status = BapStatus.APPROVED
        case.approved_by = officer
        case.approved_at = clock.now()
        case.photo_date = working_days_after(office, today, BAP_PHOTO_WORKING_DAYS)
        case.save(update_fields=["status", "approved_by", "approved_at", "photo_date"])
        audit.record(
            action="bap.approved",
            obj=case,
            actor=officer,
            office=office,
            after={"photo_date": case.photo_date.isoformat()},
        )
        return case


def _record_interview(ticket: Ticket) -> Issuance:
    office = ticket.office
    day = _today(office)
    issuance, _created = Issuance.objects.get_or_create(
        ticket=ticket,
        defaults={
            "office": office,
            "interview_date": day,
            "ready_date": working_days_after(office, day, ISSUANCE_WORKING_DAYS),
        },
    )
    return issuance


def record_pickup(
    *,
    office: Office,
    issuance_id: int,
    picked_up_by: str,
    officer,
    collector_name: str = "",
    collector_document: str = "",
) -> Issuance:
    """Hand the passport over: to the applicant, a family member with the KK, or a proxy with a
    letter of authority. Locks the issuance row."""
    if picked_up_by not in PickupBy.values:
        raise PickupInvalid()
    collector_document = (collector_document or "").strip()
    collector_name = (collector_name or "").strip()
    if picked_up_by != PickupBy.APPLICANT and (not collector_document or not collector_name):
        raise PickupInvalid()
    with transaction.atomic():
        issuance = (
            Issuance.objects.select_for_update().filter(pk=issuance_id, office=office).first()
        )
        if issuance is None:
            raise NotFound()
        if issuance.picked_up_at is not None:
            raise AlreadyPickedUp()
        today = _today(office)
        if today < issuance.ready_date:
            raise PassportNotReady(date=f"{issuance.ready_date:%d-%m-%Y}")
        issuance.picked_up_at = clock.now()
        issuance.picked_up_by = picked_up_by
        issuance.collector_name = collector_name
        issuance.collector_document = collector_document
        issuance.handed_over_by = officer
        issuance.save()
        audit.record(
            action="passport.picked_up",
            obj=issuance,
            actor=officer,
            office=office,
            after={"by": picked_up_by, "name": collector_name},
        )
        return issuance
