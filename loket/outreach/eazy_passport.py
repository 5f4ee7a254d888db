"""Eazy Passport: a community's request for a mobile site, and its approval with a team, a
day and a place for each participant.

Each write is one transaction with its audit row; messages go through the outbox inside it.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import InvalidInput
from loket.identity import regions
from loket.notifications.services import enqueue_message
from loket.offices.models import Channel, ChannelKind, Office
from loket.outreach import bridge, domain
from loket.outreach.errors import (
    OutreachChannelMissing,
    ParticipantsHoldLivePlaces,
    ReasonRequired,
    RequestAlreadyDecided,
    RequestInvalid,
    RequestNotFound,
    VisitDayTaken,
)
from loket.outreach.models import (
    AssignmentKind,
    OutreachParticipant,
    OutreachRequest,
    OutreachSettings,
    RequestStatus,
    Team,
)
from loket.outreach.planning import (
    PLANNING_ROLES,
    _assign_team,
    _future_open_day,
    _set_day_places,
    _take_place_on,
    require_roles,
    working_area,
)

DEFAULT_MIN_APPLICANTS = 20
MAX_PREFERRED_DATES = 3


def _outreach_channel(office: Office) -> Channel:
    channel = (
        Channel.objects.filter(office=office, kind=ChannelKind.OUTREACH, is_active=True)
        .order_by("id")
        .first()
    )
    if channel is None:
        raise OutreachChannelMissing()
    return channel


def min_applicants(office: Office) -> int:
    row = OutreachSettings.objects.filter(office=office).first()
    return row.min_applicants if row else DEFAULT_MIN_APPLICANTS


@dataclass(frozen=True)
class RequestData:
    organisation: str
    contact_person: str
    email: str
    phone: str
    location: str
    regency: str
    preferred_dates: list[dt.date]
    expected_applicants: int


def _request_field_errors(office: Office, data: RequestData, today: dt.date) -> list:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    errors: list[tuple[str, str]] = []
    for field, label in (
        ("organisation", gettext("Write the name of the institution.")),
        ("contact_person", gettext("Write the name of the contact person.")),
        ("location", gettext("Write the address where the office should come.")),
    ):
        if not getattr(data, field).strip():
            errors.append((field, label))
    try:
        validate_email(data.email.strip())
    except ValidationError:
        errors.append(("email", gettext("Write an e-mail address, e.g. nama@kampus.ac.id.")))
    phone = data.phone.strip().replace(" ", "").replace("-", "")
    if not phone.lstrip("+").isdigit() or not 8 <= len(phone.lstrip("+")) <= 15:
        errors.append(("phone", gettext("Write a phone number of 8 to 15 digits.")))
    regency = regions.normalize_regency(data.regency)
    area = working_area(office)
    if regency is None:
        errors.append(("regency", gettext("Choose the regency of the location.")))
    elif regency not in area:
        errors.append(
            (
                "regency",
                gettext("This office comes only to its working area: %(area)s.")
                % {"area": ", ".join(regions.regency_name(r) for r in area)},
            )
        )
    if not data.preferred_dates:
        errors.append(("preferred_dates", gettext("Give at least one preferred date.")))
    elif len(data.preferred_dates) > MAX_PREFERRED_DATES:
        errors.append(("preferred_dates", gettext("Give at most three preferred dates.")))
    elif any(d <= today for d in data.preferred_dates):
        errors.append(("preferred_dates", gettext("Preferred dates must be after today.")))
    minimum = min_applicants(office)
    if data.expected_applicants < minimum:
        errors.append(
            (
                "expected_applicants",
                gettext("A visit needs at least %(min)s applicants.") % {"min": minimum},
            )
        )
    return errors


def submit_outreach_request(
    *, office: Office, data: RequestData, participants_file: bytes
) -> OutreachRequest:
    """Record an institution's request with its participant list, all or nothing.

    Every error (form fields and every CSV row) is reported at once in RequestInvalid.errors.
    """
    today = clock.local_today(office.time_zone)
    errors = _request_field_errors(office, data, today)
    rows, row_errors = domain.parse_participant_file(participants_file, today=today)
    errors += [("participants", str(e)) for e in row_errors]
    if errors:
        raise RequestInvalid(errors)
    with transaction.atomic():
        request = OutreachRequest.objects.create(
            office=office,
            code=domain.new_code("EZ", 6),
            organisation=data.organisation.strip()[:200],
            contact_person=data.contact_person.strip()[:150],
            email=data.email.strip(),
            phone=data.phone.strip()[:20],
            location=data.location.strip()[:300],
            regency_code=regions.normalize_regency(data.regency),
            preferred_dates=sorted(d.isoformat() for d in set(data.preferred_dates)),
            expected_applicants=data.expected_applicants,
            created_at=clock.now(),
        )
        OutreachParticipant.objects.bulk_create(
            [
                OutreachParticipant(
                    request=request,
                    row_number=r.row,
                    nik=r.nik,
                    name=r.name,
                    birth_date=r.birth_date,
                    application_type=r.application_type,
                )
                for r in rows
            ]
        )
        audit.record(
            action="outreach_request.submitted",
            obj=request,
            actor_label=f"public:{request.email}",
            office=office,
            after={"participants": len(rows), "preferred_dates": request.preferred_dates},
        )
        enqueue_message(
            dedupe_key=f"outreach-submitted:{request.code}",
            recipient=request.email,
            subject=gettext("Eazy Passport request %(code)s received") % {"code": request.code},
            body=gettext(
                "We received your request for %(org)s with %(n)s participants. The office will "
                "answer by e-mail with a date or a question."
            )
            % {"org": request.organisation, "n": len(rows)},
        )
    return request


def get_request(code: str) -> OutreachRequest:
    request = (
        OutreachRequest.objects.select_related("office", "team")
        .filter(code=(code or "").upper())
        .first()
    )
    if request is None:
        raise RequestNotFound()
    return request


def _request_snapshot(r: OutreachRequest) -> dict:
    return {
        "status": r.status,
        "visit_date": r.visit_date.isoformat() if r.visit_date else None,
        "proposed_date": r.proposed_date.isoformat() if r.proposed_date else None,
        "team": r.team.name if r.team_id else None,
    }


def _lock_open_request(request: OutreachRequest) -> OutreachRequest:
    locked = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in (RequestStatus.SUBMITTED, RequestStatus.DATE_PROPOSED):
        raise RequestAlreadyDecided()
    locked.office = request.office
    return locked


def approve_outreach_request(
    *, request: OutreachRequest, visit_date: dt.date, team: Team, actor: User
) -> OutreachRequest:
    """Approve a visit on a date with a team; participants get their codes and each holds a
    place of the office's outreach channel on that day in the ledger; the team is booked; the
    mobile site's counters are made (queue.bridge), to open on the day.

    Locks: the request row, then inserts the team's day (unique team+date refuses a clash),
    then the outreach channel's ledger slots of the day, one conditional UPDATE per place.
    """
    office = request.office
    require_roles(actor, office, PLANNING_ROLES)
    if team.office_id != office.pk or not team.is_active:
        raise InvalidInput(_("Choose an active team of this office."))
    _future_open_day(office, visit_date)
    channel = _outreach_channel(office)
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        _assign_team(
            team=team,
            day=visit_date,
            kind=AssignmentKind.OUTREACH_VISIT,
            label=f"Eazy Passport {locked.code}: {locked.organisation}",
            outreach_request=locked,
        )
        other = (
            OutreachRequest.objects.filter(
                office=office, visit_date=visit_date, status=RequestStatus.APPROVED
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if other is not None:
            raise VisitDayTaken(date=f"{visit_date:%d-%m-%Y}", what=other.organisation)
        now = clock.now()
        locked.status = RequestStatus.APPROVED
        locked.visit_date = visit_date
        locked.team = team
        locked.decided_by = actor
        locked.decided_at = now
        try:
            with transaction.atomic():
                locked.save(
                    update_fields=["status", "visit_date", "team", "decided_by", "decided_at"]
                )
        except IntegrityError:  # another visit was approved for that day meanwhile
            raise VisitDayTaken(date=f"{visit_date:%d-%m-%Y}", what="?") from None
        participants = list(locked.participants.order_by("row_number"))
        _set_day_places(
            channel=channel,
            day=visit_date,
            places=len(participants),
            reason=f"Eazy Passport {locked.code}",
        )
        ledger.ensure_day_slots(channel=channel, day=visit_date)
        slots = list(
            CapacitySlot.objects.filter(channel=channel, date=visit_date).order_by("window_start")
        )
        first_window = slots[0].window_start if slots else dt.time(0)
        for p in participants:
            p.code = p.code or domain.new_code(bridge.PARTICIPANT_CODE_PREFIX, 8)
            p.slot = _take_place_on(slots, first_window)
        OutreachParticipant.objects.bulk_update(participants, ["code", "slot"])
        # One person, one live place: a participant who holds one elsewhere (another visit,
        # a booking, a walk-in) stops the approval, by row number.
        refused = live.claim_many(
            [
                live.new_claim(
                    nik=p.nik,
                    kind=ChannelKind.OUTREACH,
                    holder=live.holder_of(p),
                    office=office,
                    day=visit_date,
                )
                for p in participants
            ]
        )
        if refused:
            rows = {live.holder_of(p): p.row_number for p in participants}
            raise ParticipantsHoldLivePlaces(rows=", ".join(str(rows[c.holder]) for c in refused))
        bridge.create_mobile_site(request=locked, counters=team.size, actor=actor)
        audit.record(
            action="outreach_request.approved",
            obj=locked,
            actor=actor,
            office=office,
            before=before,
            after={**_request_snapshot(locked), "codes": len(participants)},
        )
        enqueue_message(
            dedupe_key=f"outreach-approved:{locked.code}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s approved for %(date)s")
            % {"code": locked.code, "date": f"{visit_date:%d-%m-%Y}"},
            body=gettext(
                "The office will come to %(location)s on %(date)s. Each participant has a code; "
                "the list is below. Participants bring their KTP and KK.\n\n%(codes)s"
            )
            % {
                "location": locked.location,
                "date": f"{visit_date:%d-%m-%Y}",
                "codes": "\n".join(
                    f"{p.row_number}. {p.name}: {p.code}" for p in locked.participants.all()
                ),
            },
        )
    return locked


def propose_outreach_date(
    *, request: OutreachRequest, proposed_date: dt.date, message: str, actor: User
) -> OutreachRequest:
    """Offer the institution another date; the request stays open for approval."""
    require_roles(actor, request.office, PLANNING_ROLES)
    _future_open_day(request.office, proposed_date)
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        locked.status = RequestStatus.DATE_PROPOSED
        locked.proposed_date = proposed_date
        locked.decision_reason = (message or "").strip()
        locked.save(update_fields=["status", "proposed_date", "decision_reason"])
        audit.record(
            action="outreach_request.date_proposed",
            obj=locked,
            actor=actor,
            office=locked.office,
            before=before,
            after=_request_snapshot(locked),
        )
        enqueue_message(
            dedupe_key=f"outreach-proposed:{locked.code}:{proposed_date}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s: can we come on %(date)s?")
            % {"code": locked.code, "date": f"{proposed_date:%d-%m-%Y}"},
            body=gettext(
                "Your preferred dates are not possible. We propose %(date)s. %(message)s "
                "Reply to this e-mail to accept or suggest another date."
            )
            % {"date": f"{proposed_date:%d-%m-%Y}", "message": locked.decision_reason},
        )
    return locked


def reject_outreach_request(*, request: OutreachRequest, reason: str, actor: User):
    require_roles(actor, request.office, PLANNING_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        locked.status = RequestStatus.REJECTED
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        audit.record(
            action="outreach_request.rejected",
            obj=locked,
            actor=actor,
            office=locked.office,
            before=before,
            after={**_request_snapshot(locked), "reason": reason},
        )
        enqueue_message(
            dedupe_key=f"outreach-rejected:{locked.code}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s cannot be served") % {"code": locked.code},
            body=gettext("We are sorry: we cannot come. Reason: %(reason)s") % {"reason": reason},
        )
    return locked
