"""Personal data (UU 27/2022): an applicant's own data as a download, and retention.

Retention: a case is closed when its booking is completed, cancelled, expired or a no-show. Once
it closed more than LOKET_RETENTION_DAYS ago, its NIK is replaced by a placeholder; an applicant
whose every booking is such a case loses name, phone, NIK and exact birth date. The figures stay:
office, channel, dates, window, purpose, types, status, amounts, sex, regency of domicile, year
of birth.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from loket.accounts.models import Applicant, User
from loket.booking.models import Booking, BookingStatus
from loket.core import clock
from loket.core.models import AuditEvent

CLOSED_STATUSES = [
    BookingStatus.COMPLETED,
    BookingStatus.CANCELLED,
    BookingStatus.EXPIRED,
    BookingStatus.NO_SHOW,
]
# Sixteen digits as the schema requires; no province has code 00, so no real NIK matches.
BOOKING_NIK_PLACEHOLDER = "0" * 16
ANONYMISED_NAME = "(dihapus)"
# Keys of audit `before`/`after` snapshots that hold personal data.
PERSONAL_KEYS = ("name", "phone", "nik", "birth_date")


def applicant_nik_placeholder(applicant_id: int) -> str:
    """Unique per applicant row (NIK is unique per account), sixteen digits, starts with 0."""
    return f"{applicant_id:016d}"


# --- The applicant's own data ---------------------------------------------------------------


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def export_personal_data(*, account: User) -> dict:
    """Everything held about an account: the account, its applicants, their bookings and
    payments, and the audit events about them. Unmasked: it is the person's own data. Staff
    who acted on a booking are named by role only."""
    applicants = list(account.applicants.order_by("position"))
    bookings = list(
        Booking.objects.filter(account=account)
        .select_related("office", "channel", "payment")
        .order_by("created_at", "id")
    )
    about = (
        Q(actor=account)
        | Q(object_type="User", object_id=str(account.pk))
        | Q(object_type="Applicant", object_id__in=[str(a.pk) for a in applicants])
        | Q(object_type="Booking", object_id__in=[b.code for b in bookings])
    )
    events = AuditEvent.objects.filter(about).order_by("at", "id")
    return {
        "exported_at": _iso(clock.now()),
        "account": {
            "email": account.email,
            "full_name": account.full_name,
            "email_verified_at": _iso(account.email_verified_at),
            "date_joined": _iso(account.date_joined),
        },
        "applicants": [
            {
                "id": a.pk,
                "position": a.position,
                "nik": a.nik,
                "name": a.name,
                "birth_date": _iso(a.birth_date),
                "sex": a.sex,
                "phone": a.phone,
                "domicile_regency": a.domicile_regency,
                "married": a.married,
                "created_at": _iso(a.created_at),
            }
            for a in applicants
        ],
        "bookings": [_booking_data(b) for b in bookings],
        "audit_events": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "by": _actor(e, account),
                "before": e.before,
                "after": e.after,
            }
            for e in events
        ],
    }


def _actor(event: AuditEvent, account: User) -> str:
    if event.actor_id == account.pk:
        return "you"
    if event.actor_id is None:
        return event.actor_label  # "system", "gateway"
    return "staff"


def _booking_data(b: Booking) -> dict:
    payment = getattr(b, "payment", None)
    return {
        "code": b.code,
        "applicant_id": b.applicant_id,
        "nik": b.nik,
        "office": b.office.code,
        "channel": b.channel.code,
        "date": _iso(b.date),
        "window_start": b.window_start.strftime("%H:%M"),
        "window_end": b.window_end.strftime("%H:%M"),
        "application_type": b.application_type,
        "purpose": b.purpose,
        "passport_type": b.passport_type,
        "validity_years": b.validity_years,
        "status": b.status,
        "billing_code": b.billing_code,
        "amount": b.amount,
        "pay_before": _iso(b.pay_before),
        "paid_at": _iso(b.paid_at),
        "application_number": b.application_number,
        "reschedule_count": b.reschedule_count,
        "created_at": _iso(b.created_at),
        "updated_at": _iso(b.updated_at),
        "payment": None
        if payment is None
        else {
            "billing_code": payment.billing_code,
            "amount": payment.amount,
            "paid_at": _iso(payment.paid_at),
            "received_at": _iso(payment.received_at),
        },
    }


# --- Retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.datetime
    bookings: int
    applicants: int


def retention_cutoff(*, retention_days: int | None = None) -> dt.datetime:
    days = settings.LOKET_RETENTION_DAYS if retention_days is None else retention_days
    if days < 0:
        raise ValueError("retention_days must not be negative")
    return clock.now() - dt.timedelta(days=days)


def _closed_before(cutoff: dt.datetime) -> Q:
    # A closed booking is not changed again, so its last change is the moment its case closed.
    return Q(status__in=CLOSED_STATUSES, updated_at__lt=cutoff)


def bookings_due(*, cutoff: dt.datetime):
    return Booking.objects.filter(_closed_before(cutoff)).exclude(nik=BOOKING_NIK_PLACEHOLDER)


def applicants_due(*, cutoff: dt.datetime):
    """Applicants with at least one booking, every one of them closed before the cutoff."""
    keep = Booking.objects.exclude(_closed_before(cutoff)).values("applicant_id")
    return (
        Applicant.objects.filter(bookings__isnull=False)
        .exclude(pk__in=keep)
        .exclude(name=ANONYMISED_NAME)
        .distinct()
    )


def anonymise_closed_cases(
    *, retention_days: int | None = None, dry_run: bool = False
) -> RetentionResult:
    """Anonymise the personal data of cases closed more than `retention_days` ago (default
    LOKET_RETENTION_DAYS). Idempotent: a second run finds nothing left to do.

    Writes bookings' NIK, applicants' personal fields and the personal values in their audit
    snapshots, and one audit event per anonymised row, in one transaction.
    """
    cutoff = retention_cutoff(retention_days=retention_days)
    now = clock.now()
    with transaction.atomic():
        booking_rows = list(bookings_due(cutoff=cutoff).values_list("pk", "code", "office_id"))
        applicants = list(applicants_due(cutoff=cutoff).order_by("pk"))
        if dry_run:
            return RetentionResult(cutoff, len(booking_rows), len(applicants))

        Booking.objects.filter(pk__in=[pk for pk, _, _ in booking_rows]).update(
            nik=BOOKING_NIK_PLACEHOLDER
        )
        for applicant in applicants:
            applicant.name = ANONYMISED_NAME
            applicant.phone = ""
            applicant.nik = applicant_nik_placeholder(applicant.pk)
            applicant.birth_date = dt.date(applicant.birth_date.year, 1, 1)
        Applicant.objects.bulk_update(
            applicants, ["name", "phone", "nik", "birth_date"], batch_size=500
        )
        _scrub_audit_snapshots(applicant_ids=[a.pk for a in applicants])

        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    at=now,
                    actor_label="system",
                    office_id=office_id,
                    action="booking.anonymised",
                    object_type="Booking",
                    object_id=code,
                    after={"retention_days": (now - cutoff).days},
                )
                for _, code, office_id in booking_rows
            ]
            + [
                AuditEvent(
                    at=now,
                    actor_label="system",
                    action="applicant.anonymised",
                    object_type="Applicant",
                    object_id=str(a.pk),
                    after={"retention_days": (now - cutoff).days},
                )
                for a in applicants
            ],
            batch_size=500,
        )
    return RetentionResult(cutoff, len(booking_rows), len(applicants))


def _scrub_audit_snapshots(*, applicant_ids: list[int]) -> None:
    events = AuditEvent.objects.filter(
        object_type="Applicant", object_id__in=[str(pk) for pk in applicant_ids]
    )
    changed = []
    for event in events:
        before, after = _scrubbed(event.before), _scrubbed(event.after)
        if (before, after) != (event.before, event.after):
            event.before, event.after = before, after
            changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["before", "after"], batch_size=500)


def _scrubbed(snapshot):
    if not isinstance(snapshot, dict):
        return snapshot
    return {k: (ANONYMISED_NAME if k in PERSONAL_KEYS else v) for k, v in snapshot.items()}
