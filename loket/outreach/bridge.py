"""Outreach in the office's queue: approved emergency cases, Simpatik walk-ins and Eazy Passport
participants get real tickets in their office's queue (same stages, called by counters).

- Emergency cases: the emergency lane, outside every quota (no ledger place). Issued when the
  case is approved for today, otherwise when the desk checks the case in by its code that day.
- Simpatik walk-ins: the appointment lane in arrival order, served by the office's counters;
  the place is held by the admission (outreach.WalkInAdmission), not by the ticket.
- Eazy Passport visits: a mobile site. The office's walk-in lane is the site lane: only the
  visit's own counters (numbered from 101, named after the visit) serve it. They are created
  inactive on approval and opened by the first check-in on the visit day (other sites' counters
  close then). Places are held by the participants (outreach.OutreachParticipant.slot).
  One visit a day per office (a constraint on outreach.OutreachRequest) keeps sites apart until
  the queue knows sites itself.

The information desk's one code field reaches the emergency cases (DR...) and participants
(EP...) through the resolvers registered in OutreachConfig.ready() (see loket.queue.bridge).

Lock order, as queue.services: the outreach row being checked in (case or participant), then
the lane's number sequence.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from loket.core import audit, clock
from loket.core.errors import NotFound
from loket.identity.nik import normalize_nik
from loket.offices.models import Office
from loket.outreach.errors import CaseNotApproved, SiteLaneUnavailable
from loket.outreach.models import (
    EmergencyCase,
    EmergencyStatus,
    OutreachParticipant,
    OutreachRequest,
    RequestStatus,
    WalkInAdmission,
)
from loket.queue import errors, office_setup, tickets
from loket.queue.bridge import (
    Arrival,
    CodeResolver,
    register_code_resolver,
)
from loket.queue.models import Counter, Lane, LaneKind, Ticket
from loket.staff.permissions import require

SITE_LANE_KIND = LaneKind.WALK_IN
SITE_LANE_NAME = "Layanan keliling (Eazy Passport)"
SITE_LANE_PREFIXES = "KEMWXYZ"
SITE_FIRST_COUNTER = 101
EMERGENCY_CODE_PREFIX = "DR"
PARTICIPANT_CODE_PREFIX = "EP"


def _today(office: Office) -> dt.date:
    return clock.local_today(office.time_zone)


def _same_nik(confirmed: str, nik: str) -> bool:
    return normalize_nik(confirmed) == nik


# --- setup ----------------------------------------------------------------------------------


def ensure_site_lane(*, office: Office) -> Lane:
    """The office's mobile-site lane (created once, with a free letter)."""
    office_setup.ensure_office_queue(office=office)
    lane = Lane.objects.filter(office=office, kind=SITE_LANE_KIND).first()
    if lane is not None:
        return lane
    used = set(Lane.objects.filter(office=office).values_list("prefix", flat=True))
    prefix = next((p for p in SITE_LANE_PREFIXES if p not in used), None)
    if prefix is None:
        raise SiteLaneUnavailable()
    return Lane.objects.create(
        office=office, kind=SITE_LANE_KIND, prefix=prefix, name=SITE_LANE_NAME
    )


def _site_counter_name(request: OutreachRequest, n: int) -> str:
    return f"Eazy Passport {request.code} - meja {n}"


def site_counters(request: OutreachRequest):
    return Counter.objects.filter(
        office=request.office,
        number__gte=SITE_FIRST_COUNTER,
        name__startswith=f"Eazy Passport {request.code} ",
    ).order_by("number")


@transaction.atomic
def create_mobile_site(*, request: OutreachRequest, counters: int, actor) -> list[Counter]:
    """The counters of an approved visit: all stages, the site lane only; closed until the day.

    The site lane is taken off every other counter of the office, so the office's counters
    never call a participant."""
    office = request.office
    lane = ensure_site_lane(office=office)
    existing = list(site_counters(request))
    if existing:
        return existing
    top = Counter.objects.filter(office=office).aggregate(n=Max("number"))["n"] or 0
    first = max(top + 1, SITE_FIRST_COUNTER)
    made = []
    for i in range(max(counters, 1)):
        counter = office_setup.save_counter(
            office=office,
            number=first + i,
            lane_kinds=[SITE_LANE_KIND],
            name=_site_counter_name(request, i + 1),
        )
        Counter.objects.filter(pk=counter.pk).update(is_active=False)
        counter.is_active = False
        made.append(counter)
    for counter in lane.counters.filter(number__lt=SITE_FIRST_COUNTER):
        counter.lanes.remove(lane)
    audit.record(
        action="mobile_site.created",
        obj=request,
        actor=actor,
        office=office,
        after={"counters": [c.number for c in made], "date": request.visit_date.isoformat()},
    )
    return made


def _open_site(request: OutreachRequest, officer) -> None:
    """Open the visit's counters and close every other site's (one site a day per office)."""
    mine = list(site_counters(request).values_list("pk", flat=True))
    opened = Counter.objects.filter(pk__in=mine, is_active=False).update(is_active=True)
    Counter.objects.filter(
        office=request.office, number__gte=SITE_FIRST_COUNTER, is_active=True
    ).exclude(pk__in=mine).update(is_active=False)
    if opened:
        audit.record(
            action="mobile_site.opened",
            obj=request,
            actor=officer,
            office=request.office,
            after={"counters": opened},
        )


# --- tickets --------------------------------------------------------------------------------


def issue_emergency_ticket(*, case: EmergencyCase, officer) -> Ticket:
    """The ticket of an approved case for today, in the emergency lane (no quota place).

    The caller holds the case row locked (approval or check-in)."""
    office = case.office
    office_setup.ensure_office_queue(office=office)
    ticket = tickets._issue(
        office=office,
        lane=tickets._lane(office, LaneKind.EMERGENCY),
        officer=officer,
        name=case.applicant_name,
        nik=case.nik,
    )
    EmergencyCase.objects.filter(pk=case.pk).update(ticket=ticket)
    case.ticket = ticket
    return ticket


def link_node_ticket(*, case: EmergencyCase, ticket: Ticket) -> None:
    """An office node's check-in of the case reaches the central site (loket.sync): the case
    takes the ticket the node's desk issued, unless it has one already (the first stands).
    The caller holds the case row locked."""
    if EmergencyCase.objects.filter(pk=case.pk, ticket__isnull=True).update(ticket=ticket):
        case.ticket = ticket


def issue_simpatik_ticket(*, admission: WalkInAdmission, officer, nik: str = "") -> Ticket:
    """The first-stage ticket of a walk-in admitted at a Simpatik day (today, the office's
    counters, in arrival order). The admission holds the ledger place (and, with the `nik`,
    the person's live place, which ends with the ticket)."""
    office = admission.occurrence.rule.office
    office_setup.ensure_office_queue(office=office)
    ticket = tickets._issue(
        office=office,
        lane=tickets._lane(office, LaneKind.APPOINTMENT),
        officer=officer,
        name=admission.name,
        nik=nik,
        order_at=admission.admitted_at,
    )
    WalkInAdmission.objects.filter(pk=admission.pk).update(ticket=ticket)
    admission.ticket = ticket
    return ticket


def check_in_emergency_case(*, office: Office, code: str, confirmed_nik: str, officer) -> Ticket:
    """Check an approved case in on its service day. Locks the case row, then the sequence."""
    require(officer, office, "outreach.check_in_case")
    with transaction.atomic():
        case = (
            EmergencyCase.objects.select_for_update()
            .filter(office=office, code=(code or "").strip().upper())
            .first()
        )
        if case is None:
            raise errors.BookingNotFoundHere()
        case.office = office
        if case.status != EmergencyStatus.APPROVED:
            raise CaseNotApproved(status=case.get_status_display())
        if case.ticket_id:
            raise errors.AlreadyCheckedIn(ticket=Ticket.objects.get(pk=case.ticket_id).display)
        if case.service_date != _today(office):
            raise errors.NotBookedToday(date=f"{case.service_date:%d-%m-%Y}")
        if not _same_nik(confirmed_nik, case.nik):
            raise errors.NikMismatch()
        return issue_emergency_ticket(case=case, officer=officer)


def check_in_participant(*, office: Office, code: str, confirmed_nik: str, officer) -> Ticket:
    """Check an Eazy Passport participant in at the mobile site on the visit day: the visit's
    counters open, the participant gets a ticket in the site lane. Locks the participant row,
    then the sequence."""
    require(officer, office, "outreach.check_in_site")
    with transaction.atomic():
        participant = (
            OutreachParticipant.objects.select_for_update()
            .filter(code=(code or "").strip().upper(), request__office=office)
            .first()
        )
        if participant is None:
            raise errors.BookingNotFoundHere()
        request = OutreachRequest.objects.select_related("office").get(pk=participant.request_id)
        if request.status != RequestStatus.APPROVED or participant.slot_id is None:
            raise errors.BookingNotConfirmed(status=request.get_status_display())
        if participant.ticket_id:
            ticket = Ticket.objects.select_related("lane").get(pk=participant.ticket_id)
            raise errors.AlreadyCheckedIn(ticket=ticket.display)
        if request.visit_date != _today(office):
            raise errors.NotBookedToday(date=f"{request.visit_date:%d-%m-%Y}")
        if not _same_nik(confirmed_nik, participant.nik):
            raise errors.NikMismatch()
        _open_site(request, officer)
        ticket = tickets._issue(
            office=office,
            lane=ensure_site_lane(office=office),
            officer=officer,
            name=participant.name,
            nik=participant.nik,
            birth_date=participant.birth_date,
        )
        OutreachParticipant.objects.filter(pk=participant.pk).update(ticket=ticket)
        return ticket


def check_in_by_code(*, office: Office, code: str, confirmed_nik: str, officer) -> Ticket:
    """The desk's one field for outreach codes: DR... (emergency case) or EP... (participant)."""
    code = (code or "").strip().upper()
    if code.startswith(EMERGENCY_CODE_PREFIX):
        return check_in_emergency_case(
            office=office, code=code, confirmed_nik=confirmed_nik, officer=officer
        )
    if code.startswith(PARTICIPANT_CODE_PREFIX):
        return check_in_participant(
            office=office, code=code, confirmed_nik=confirmed_nik, officer=officer
        )
    require(officer, office, "outreach.check_in_case", "outreach.check_in_site")
    raise errors.BookingNotFoundHere()


# --- the information desk: one field for every code -----------------------------------------


class EmergencyCaseNotFound(NotFound, code="emergency_case_not_found"):
    message = _(
        "No emergency case at this office has the code %(code)s. Check the code on the "
        "hotline's message, or ask the hotline officer."
    )


class ParticipantNotFound(NotFound, code="participant_not_found"):
    message = _(
        "No Eazy Passport participant at this office has the code %(code)s. Check the code "
        "on the participant list, or ask the outreach coordinator."
    )


class ArrivalKind:
    EMERGENCY = "emergency"
    PARTICIPANT = "participant"


def find_emergency_arrival(*, office: Office, code: str) -> Arrival:
    """The desk's view of an emergency case (DR...) of this office. Reads only."""
    case = EmergencyCase.objects.filter(office=office, code=code).first()
    if case is None:
        raise EmergencyCaseNotFound(code=code)
    return Arrival(
        kind=ArrivalKind.EMERGENCY,
        code=case.code,
        name=case.applicant_name,
        nik=case.nik,
        date=case.service_date,
        status=case.get_status_display(),
    )


def find_participant_arrival(*, office: Office, code: str) -> Arrival:
    """The desk's view of an Eazy Passport participant (EP...) of this office. Reads only."""
    participant = (
        OutreachParticipant.objects.select_related("request")
        .filter(code=code, request__office=office)
        .first()
    )
    if participant is None:
        raise ParticipantNotFound(code=code)
    return Arrival(
        kind=ArrivalKind.PARTICIPANT,
        code=participant.code,
        name=participant.name,
        nik=participant.nik,
        date=participant.request.visit_date,
        status=participant.request.get_status_display(),
    )


def register_desk_codes() -> None:
    """The desk's code field checks emergency cases and participants in (OutreachConfig.ready)."""
    register_code_resolver(
        CodeResolver(
            prefix=EMERGENCY_CODE_PREFIX,
            kind=ArrivalKind.EMERGENCY,
            find=find_emergency_arrival,
            check_in=check_in_emergency_case,
        )
    )
    register_code_resolver(
        CodeResolver(
            prefix=PARTICIPANT_CODE_PREFIX,
            kind=ArrivalKind.PARTICIPANT,
            find=find_participant_arrival,
            check_in=check_in_participant,
        )
    )
