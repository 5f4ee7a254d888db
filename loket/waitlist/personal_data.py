"""What waiting lists hold about people: an account's entries.

An entry's case closes when it ended (booked, declined, expired, left, closed) or its
appointment day passed; then its NIK is replaced. Closing an account waits while an entry is
open."""

import datetime as dt

from django.db.models import Q

from loket.core.personal_data import (
    ApplicantCases,
    Exported,
    PersonalData,
    RetentionKind,
    Subject,
    iso,
    placeholder_nik_expression,
    scrub_audit_snapshots,
)
from loket.waitlist.models import OPEN_STATUSES, WaitlistEntry


def _waitlist_data(e: WaitlistEntry) -> dict:
    return {
        "id": e.pk,
        "applicant_id": e.applicant_id,
        "nik": e.nik,
        "office": e.office.code,
        "channel": e.channel.code,
        "date": iso(e.date),
        "application_type": e.application_type,
        "purpose": e.purpose,
        "passport_type": e.passport_type,
        "status": e.status,
        "joined_at": iso(e.joined_at),
        "offered_window": e.slot.window_start.strftime("%H:%M") if e.slot_id else None,
        "offered_at": iso(e.offered_at),
        "offer_expires_at": iso(e.offer_expires_at),
        "ended_at": iso(e.answered_at),
        "booking": e.booking.code if e.booking_id else None,
    }


def export(subject: Subject) -> Exported:
    entries = list(
        WaitlistEntry.objects.filter(account=subject.account)
        .select_related("office", "channel", "slot", "booking")
        .order_by("joined_at", "id")
    )
    return Exported(
        sections={"waitlist_entries": [_waitlist_data(e) for e in entries]},
        audit=Q(object_type="WaitlistEntry", object_id__in=[str(e.pk) for e in entries]),
    )


def _closed_before(cutoff: dt.datetime) -> Q:
    """An entry ended (booked, declined, expired, left, closed) before the cutoff, or one whose
    appointment day passed before it: nothing can happen to it any more."""
    return Q(date__lt=cutoff.date()) | (~Q(status__in=OPEN_STATUSES) & Q(answered_at__lt=cutoff))


def entries_due(*, cutoff: dt.datetime):
    return WaitlistEntry.objects.filter(_closed_before(cutoff)).exclude(nik__startswith="0")


def anonymise_entries(*, rows, run) -> int:
    """The NIK (the row's id as a placeholder)."""
    entry_ids = list(rows.values_list("pk", flat=True))
    count = WaitlistEntry.objects.filter(pk__in=entry_ids).update(nik=placeholder_nik_expression())
    scrub_audit_snapshots("WaitlistEntry", entry_ids)
    return count


def applicant_cases(*, cutoff: dt.datetime) -> ApplicantCases:
    return ApplicantCases(
        rows=WaitlistEntry.objects.all(),
        open=WaitlistEntry.objects.exclude(_closed_before(cutoff))
        .filter(applicant__isnull=False)
        .values("applicant_id"),
    )


def applicant_in_use(applicant) -> bool:
    return WaitlistEntry.objects.filter(applicant=applicant, status__in=OPEN_STATUSES).exists()


def let_applicant_go(applicant) -> None:
    """Closed entries keep their NIK; they no longer point to the person."""
    WaitlistEntry.objects.filter(applicant=applicant).update(applicant=None)


def has_open_cases(account) -> bool:
    return WaitlistEntry.objects.filter(account=account, status__in=OPEN_STATUSES).exists()


PERSONAL_DATA = PersonalData(
    app="waitlist",
    export_rank=30,
    export=export,
    retention_rank=30,
    kinds=(RetentionKind("waitlist_entries", entries_due, anonymise_entries),),
    applicant_cases=applicant_cases,
    has_open_cases=has_open_cases,
)
