"""What outreach holds about people: Simpatik walk-ins, Eazy Passport lists and contacts,
emergency hotline cases.

A walk-in's case closes with its service day; an Eazy Passport request's with its visit, its
rejection, or (never decided) its last preferred or proposed date; an emergency case's with
its rejection or its service day. A download gives the list rows and hotline cases of the
NIKs checked for the account; an emergency caller's name and phone (someone else's data) are
left out."""

import datetime as dt

from django.db.models import DateField, Q
from django.db.models.functions import TruncYear

from loket.core.personal_data import (
    ANONYMISED_NAME,
    Exported,
    PersonalData,
    RetentionKind,
    Subject,
    applicant_nik_placeholder,
    iso,
    placeholder_nik_expression,
    scrub_audit_snapshots,
    scrubbed_text,
)
from loket.outreach.models import (
    EmergencyCase,
    EmergencyStatus,
    OutreachParticipant,
    OutreachRequest,
    RequestStatus,
    WalkInAdmission,
)


def _participant_data(p: OutreachParticipant) -> dict:
    return {
        "request": p.request.code,
        "organisation": p.request.organisation,
        "request_status": p.request.status,
        "visit_date": iso(p.request.visit_date),
        "row_number": p.row_number,
        "nik": p.nik,
        "name": p.name,
        "birth_date": iso(p.birth_date),
        "application_type": p.application_type,
        "code": p.code,
        "checked_in": p.ticket_id is not None,
    }


def _emergency_data(c: EmergencyCase) -> dict:
    return {
        "office": c.office.code,
        "nik": c.nik,
        "applicant_name": c.applicant_name,
        "domicile_regency": c.domicile_regency,
        "reason": c.reason,
        "notes": c.notes,
        "in_working_area": c.in_working_area,
        "status": c.status,
        "recorded_at": iso(c.recorded_at),
        "decided_at": iso(c.decided_at),
        "decision_reason": c.decision_reason,
        "service_date": iso(c.service_date),
        "code": c.code,
    }


def export(subject: Subject) -> Exported:
    participants = list(
        OutreachParticipant.objects.filter(nik__in=subject.niks)
        .select_related("request")
        .order_by("request__created_at", "row_number")
    )
    cases = list(
        EmergencyCase.objects.filter(nik__in=subject.niks)
        .select_related("office")
        .order_by("recorded_at", "id")
    )
    return Exported(
        sections={
            "outreach_participants": [_participant_data(p) for p in participants],
            "emergency_cases": [_emergency_data(c) for c in cases],
        },
        audit=Q(
            object_type="EmergencyCase",
            object_id__in=[str(c.pk) for c in cases] + [c.code for c in cases if c.code],
        ),
    )


def walk_ins_due(*, cutoff: dt.datetime):
    return WalkInAdmission.objects.filter(occurrence__date__lt=cutoff.date()).exclude(
        name=ANONYMISED_NAME
    )


def anonymise_walk_ins(*, rows, run) -> int:
    return WalkInAdmission.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        name=ANONYMISED_NAME
    )


def _requests_closed(cutoff: dt.datetime):
    """Eazy Passport requests whose case is over: the visit was before the cutoff, the
    rejection was, or it was never decided and its last preferred or proposed date was."""
    day = cutoff.date()
    stale = []
    for pk, preferred, proposed in OutreachRequest.objects.filter(
        status__in=[RequestStatus.SUBMITTED, RequestStatus.DATE_PROPOSED]
    ).values_list("pk", "preferred_dates", "proposed_date"):
        dates = [proposed] if proposed else []
        for value in preferred or []:
            try:
                dates.append(dt.date.fromisoformat(str(value)[:10]))
            except ValueError:
                continue
        if dates and max(dates) < day:
            stale.append(pk)
    return OutreachRequest.objects.filter(
        Q(status=RequestStatus.APPROVED, visit_date__lt=day)
        | Q(status=RequestStatus.REJECTED, decided_at__lt=cutoff)
        | Q(pk__in=stale)
    )


def participants_due(*, cutoff: dt.datetime):
    return OutreachParticipant.objects.filter(
        request__in=_requests_closed(cutoff).values("pk")
    ).exclude(name=ANONYMISED_NAME)


def anonymise_participants(*, rows, run) -> int:
    """Name, NIK and exact birth date (the year stays)."""
    return OutreachParticipant.objects.filter(
        pk__in=list(rows.values_list("pk", flat=True))
    ).update(
        name=ANONYMISED_NAME,
        nik=placeholder_nik_expression(),
        birth_date=TruncYear("birth_date", output_field=DateField()),
    )


def contacts_due(*, cutoff: dt.datetime):
    return _requests_closed(cutoff).exclude(contact_person=ANONYMISED_NAME)


def anonymise_contacts(*, rows, run) -> int:
    """The request's contact person, e-mail and phone."""
    contacts = list(rows.values_list("pk", "code", "contact_person"))
    for _pk, code, contact_person in contacts:
        scrub_audit_snapshots("OutreachRequest", [code], names=[contact_person], raw_ids=True)
    return OutreachRequest.objects.filter(pk__in=[pk for pk, _, _ in contacts]).update(
        contact_person=ANONYMISED_NAME, email="", phone=""
    )


def emergency_cases_due(*, cutoff: dt.datetime):
    """Hotline cases rejected before the cutoff, or approved for a service day before it.
    (A case still waiting for a decision stays as it is.)"""
    return EmergencyCase.objects.filter(
        Q(status=EmergencyStatus.REJECTED, decided_at__lt=cutoff)
        | Q(status=EmergencyStatus.APPROVED, service_date__lt=cutoff.date())
    ).exclude(applicant_name=ANONYMISED_NAME)


def anonymise_emergency_cases(*, rows, run) -> int:
    """Caller, applicant, NIK and notes; the names taken out of the reasons."""
    cases = list(rows.order_by("pk"))
    for case in cases:
        names = (case.caller_name, case.applicant_name)
        object_ids = [str(case.pk)] + ([case.code] if case.code else [])
        scrub_audit_snapshots("EmergencyCase", object_ids, names=names, raw_ids=True)
        case.caller_name = ANONYMISED_NAME
        case.caller_phone = ""
        case.nik = applicant_nik_placeholder(case.pk)
        case.applicant_name = ANONYMISED_NAME
        case.notes = ""
        case.decision_reason = scrubbed_text(case.decision_reason, names)
        case.area_override_reason = scrubbed_text(case.area_override_reason, names)
    EmergencyCase.objects.bulk_update(
        cases,
        [
            "caller_name",
            "caller_phone",
            "nik",
            "applicant_name",
            "notes",
            "decision_reason",
            "area_override_reason",
        ],
        batch_size=500,
    )
    return len(cases)


PERSONAL_DATA = PersonalData(
    app="outreach",
    export_rank=50,
    export=export,
    retention_rank=50,
    kinds=(
        RetentionKind("walk_ins", walk_ins_due, anonymise_walk_ins),
        RetentionKind("outreach_participants", participants_due, anonymise_participants),
        RetentionKind("outreach_contacts", contacts_due, anonymise_contacts),
        RetentionKind("emergency_cases", emergency_cases_due, anonymise_emergency_cases),
    ),
)
