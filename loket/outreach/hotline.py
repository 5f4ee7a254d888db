"""The emergency hotline: a case recorded by phone, then approved or rejected by a supervisor.

Each write is one transaction with its audit row; messages go through the outbox inside it.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.capacity import live
from loket.core import audit, clock, events
from loket.identity import regions
from loket.identity.nik import NikInvalid, parse_nik
from loket.offices.models import ChannelKind, Office
from loket.outreach import bridge, domain
from loket.outreach.errors import (
    CaseAlreadyDecided,
    CaseInvalid,
    DayClosed,
    DayInPast,
    OutsideWorkingArea,
    ReasonRequired,
)
from loket.outreach.events import EmergencyCaseChanged
from loket.outreach.models import EmergencyCase, EmergencyReason, EmergencyStatus
from loket.outreach.planning import (
    _closure_reason,
    working_area,
)
from loket.staff.permissions import require


def record_emergency_case(
    *,
    office: Office,
    actor: User,
    caller_name: str,
    caller_phone: str,
    nik: str,
    applicant_name: str,
    domicile_regency: str,
    reason: str,
    notes: str = "",
) -> EmergencyCase:
    """A hotline officer records a call; eligibility is computed from the KTP address."""
    require(actor, office, "outreach.hotline")
    today = clock.local_today(office.time_zone)
    errors = []
    try:
        nik = parse_nik(nik, today=today).nik
    except NikInvalid as exc:
        errors.append(("nik", str(exc)))
    regency = regions.normalize_regency(domicile_regency)
    if regency is None:
        errors.append(("domicile_regency", gettext("Choose the regency of the KTP address.")))
    if reason not in EmergencyReason.values:
        errors.append(("reason", gettext("Choose a reason.")))
    if reason == EmergencyReason.OTHER and not (notes or "").strip():
        errors.append(("notes", gettext("Describe the emergency.")))
    for field, value, message in (
        ("caller_name", caller_name, gettext("Write the caller's name.")),
        ("caller_phone", caller_phone, gettext("Write the caller's phone number.")),
        ("applicant_name", applicant_name, gettext("Write the applicant's name as on the KTP.")),
    ):
        if not (value or "").strip():
            errors.append((field, message))
    if errors:
        raise CaseInvalid(errors)
    eligibility = domain.emergency_eligibility(
        domicile_regency=regency, nik=nik, working_area=working_area(office)
    )
    with transaction.atomic():
        case = EmergencyCase.objects.create(
            office=office,
            caller_name=caller_name.strip()[:150],
            caller_phone=caller_phone.strip()[:20],
            nik=nik,
            applicant_name=applicant_name.strip()[:150],
            domicile_regency=regency,
            reason=reason,
            notes=(notes or "").strip(),
            in_working_area=eligibility.in_working_area,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        audit.record(
            action="emergency.recorded",
            obj=case,
            actor=actor,
            office=office,
            after={
                "reason": reason,
                "domicile_regency": regency,
                "in_working_area": eligibility.in_working_area,
            },
        )
        events.emit(EmergencyCaseChanged(case=case))
    return case


def _case_snapshot(case: EmergencyCase) -> dict:
    return {
        "status": case.status,
        "service_date": case.service_date.isoformat() if case.service_date else None,
        "area_override": case.area_override,
    }


def _lock_open_case(case: EmergencyCase) -> EmergencyCase:
    locked = EmergencyCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != EmergencyStatus.RECORDED:
        raise CaseAlreadyDecided()
    locked.office = case.office
    return locked


def approve_emergency_case(
    *,
    case: EmergencyCase,
    actor: User,
    service_date: dt.date,
    reason: str,
    area_override: bool = False,
    override_reason: str = "",
) -> EmergencyCase:
    """A supervisor approves a case for a day, outside the normal quota.

    Outside the working area it needs `area_override` with a written reason (also a DB check).
    The case gets a code; the desk checks the person in by it on that day (queue.bridge), and
    only then is the emergency-lane ticket issued, also for a case approved for today: a ticket
    issued before the person arrives would be called at a counter while they are not there.
    Locks: the case row.
    """
    office = case.office
    require(actor, office, "outreach.decide")
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    if not reason:
        raise ReasonRequired()
    today = clock.local_today(office.time_zone)
    if service_date < today:
        raise DayInPast()
    closed = _closure_reason(office, service_date)
    if closed is not None:
        raise DayClosed(date=f"{service_date:%d-%m-%Y}", reason=closed)
    if area_override and not override_reason:
        raise ReasonRequired(_("Write why the working-area rule is overridden."))
    with transaction.atomic():
        locked = _lock_open_case(case)
        if not locked.in_working_area and not area_override:
            raise OutsideWorkingArea()
        before = _case_snapshot(locked)
        locked.status = EmergencyStatus.APPROVED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_reason = reason
        locked.service_date = service_date
        locked.code = domain.new_code(bridge.EMERGENCY_CODE_PREFIX, 6)
        locked.area_override = area_override and not locked.in_working_area
        locked.area_override_reason = override_reason if locked.area_override else ""
        locked.save(
            update_fields=[
                "status",
                "code",
                "decided_by",
                "decided_at",
                "decision_reason",
                "service_date",
                "area_override",
                "area_override_reason",
            ]
        )
        # One person, one live place: the case holds the NIK's place until it is served.
        live.claim(
            nik=locked.nik,
            kind=ChannelKind.EMERGENCY,
            holder=live.holder_of(locked),
            office=office,
            day=service_date,
        )
        audit.record(
            action="emergency.approved",
            obj=locked,
            actor=actor,
            office=office,
            before=before,
            after={
                **_case_snapshot(locked),
                "reason": reason,
                "override_reason": locked.area_override_reason,
                "code": locked.code,
            },
        )
        events.emit(EmergencyCaseChanged(case=locked))
    return locked


def reject_emergency_case(*, case: EmergencyCase, actor: User, reason: str) -> EmergencyCase:
    require(actor, case.office, "outreach.decide")
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = _lock_open_case(case)
        before = _case_snapshot(locked)
        locked.status = EmergencyStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            action="emergency.rejected",
            obj=locked,
            actor=actor,
            office=case.office,
            before=before,
            after={**_case_snapshot(locked), "reason": reason},
        )
        events.emit(EmergencyCaseChanged(case=locked))
    return locked
