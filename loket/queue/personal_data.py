"""What the office day holds about people: queue tickets, with passport pickup (issuance) and
examination (BAP).

A ticket's case closes once its day is over, the passport collected and no examination or
photo day ahead; then its name, NIK and exact birth date go. Whoever collected a passport
loses their name and document once it was handed over. The NIKs an officer checked against a
KTP at an account's check-ins open the rows found by NIK alone to that account's download."""

import datetime as dt

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, DateField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import TruncYear

from loket.core.personal_data import (
    ANONYMISED_NAME,
    Exported,
    PersonalData,
    RetentionKind,
    Subject,
    iso,
    scrub_audit_snapshots,
)
from loket.queue.models import BapCase, Issuance, Ticket


def checked_niks(account) -> list[str]:
    return list(
        Ticket.objects.filter(booking__account=account).values_list("booking__nik", flat=True)
    )


def _related(obj, name: str):
    """A reverse one-to-one relation, or None when there is no row."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _ticket_data(t: Ticket) -> dict:
    issuance = _related(t, "issuance")
    bap = _related(t, "bap")
    return {
        "office": t.office.code,
        "date": iso(t.date),
        "ticket": t.display,
        "lane": t.lane.kind,
        "booking": t.booking.code if t.booking_id else None,
        "name": t.applicant_name,
        "nik": t.applicant_nik,
        "birth_date": iso(t.birth_date),
        "priority_reason": t.priority_reason,
        "status": t.status,
        "stage": t.stage.code,
        "issued_at": iso(t.issued_at),
        "called_at": iso(t.called_at),
        "passport": None
        if issuance is None
        else {
            "interview_date": iso(issuance.interview_date),
            "ready_date": iso(issuance.ready_date),
            "picked_up_at": iso(issuance.picked_up_at),
            "picked_up_by": issuance.picked_up_by,
            "collector_name": issuance.collector_name,
            "collector_document": issuance.collector_document,
        },
        "examination": None
        if bap is None
        else {
            "date": iso(bap.bap_date),
            "status": bap.status,
            "photo_date": iso(bap.photo_date),
        },
    }


def export(subject: Subject) -> Exported:
    """The tickets of the account's bookings, and those of the NIKs checked for it."""
    tickets = list(
        Ticket.objects.filter(
            Q(booking__account=subject.account) | Q(applicant_nik__in=subject.niks)
        )
        .select_related("office", "lane", "stage", "booking", "issuance", "bap")
        .order_by("issued_at", "id")
    )
    issuances = [t.issuance for t in tickets if _related(t, "issuance")]
    return Exported(
        sections={"queue_tickets": [_ticket_data(t) for t in tickets]},
        audit=Q(object_type="Ticket", object_id__in=[str(t.pk) for t in tickets])
        | Q(object_type="Issuance", object_id__in=[str(i.pk) for i in issuances]),
    )


def tickets_due(*, cutoff: dt.datetime):
    """Tickets of an office day before the cutoff whose case is over: no passport waiting to
    be collected (or collected before the cutoff) and no examination (BAP) or photo day still
    to come (or it was before the cutoff)."""
    day = cutoff.date()
    open_issuance = Issuance.objects.filter(ticket=OuterRef("pk")).filter(
        Q(picked_up_at__isnull=True) | Q(picked_up_at__gte=cutoff)
    )
    open_bap = BapCase.objects.filter(ticket=OuterRef("pk")).filter(
        Q(photo_date__gte=day) | Q(photo_date__isnull=True, bap_date__gte=day)
    )
    return (
        Ticket.objects.filter(date__lt=day)
        .exclude(Exists(open_issuance))
        .exclude(Exists(open_bap))
        .exclude(applicant_name=ANONYMISED_NAME)
    )


def anonymise_tickets(*, rows, run) -> int:
    """Name, NIK and exact birth date (the year stays)."""
    return Ticket.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        applicant_name=ANONYMISED_NAME,
        applicant_nik="",
        birth_date=TruncYear("birth_date", output_field=DateField()),
    )


def pickups_due(*, cutoff: dt.datetime):
    """Passports handed over before the cutoff with a collector's name or document on record."""
    return (
        Issuance.objects.filter(picked_up_at__lt=cutoff)
        .exclude(collector_name=ANONYMISED_NAME)
        .exclude(collector_name="", collector_document="")
    )


def anonymise_pickups(*, rows, run) -> int:
    """The collector's name and document."""
    issuance_ids = list(rows.values_list("pk", flat=True))
    count = Issuance.objects.filter(pk__in=issuance_ids).update(
        collector_name=ANONYMISED_NAME,
        collector_document=Case(
            When(collector_document="", then=Value("")), default=Value(ANONYMISED_NAME)
        ),
    )
    scrub_audit_snapshots("Issuance", issuance_ids)
    return count


PERSONAL_DATA = PersonalData(
    app="queue",
    export_rank=40,
    export=export,
    retention_rank=40,
    kinds=(
        RetentionKind("tickets", tickets_due, anonymise_tickets),
        RetentionKind("pickups", pickups_due, anonymise_pickups),
    ),
    checked_niks=checked_niks,
)
