"""What bookings hold about people: the booking (with its payment) of an account.

A booking's case closes when it is completed, cancelled, expired or a no-show (it is not
changed again, so its last change is that moment); then its NIK is replaced. Closing an
account waits while one of its bookings is active."""

import datetime as dt

from django.db.models import Q

from loket.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from loket.core.personal_data import (
    BOOKING_NIK_PLACEHOLDER,
    ApplicantCases,
    Exported,
    PersonalData,
    RetentionKind,
    Subject,
    iso,
)

CLOSED_STATUSES = [
    BookingStatus.COMPLETED,
    BookingStatus.CANCELLED,
    BookingStatus.EXPIRED,
    BookingStatus.NO_SHOW,
]


def _payment_data(payment) -> dict:
    return {
        "billing_code": payment.billing_code,
        "amount": payment.amount,
        "paid_at": iso(payment.paid_at),
        "received_at": iso(payment.received_at),
        "outcome": payment.outcome,
        "refunded_at": iso(payment.refunded_at),
    }


def _booking_data(b: Booking) -> dict:
    # Every payment notice recorded for the booking; "payment" is the applied one (or the first).
    payments = sorted(b.payments.all(), key=lambda p: (p.received_at, p.pk))
    applied = [p for p in payments if p.outcome in ("applied", "late_confirmed")]
    payment = (applied or payments or [None])[0]
    return {
        "code": b.code,
        "applicant_id": b.applicant_id,
        "nik": b.nik,
        "office": b.office.code,
        "channel": b.channel.code,
        "date": iso(b.date),
        "window_start": b.window_start.strftime("%H:%M"),
        "window_end": b.window_end.strftime("%H:%M"),
        "application_type": b.application_type,
        "purpose": b.purpose,
        "passport_type": b.passport_type,
        "validity_years": b.validity_years,
        "status": b.status,
        "billing_code": b.billing_code,
        "amount": b.amount,
        "pay_before": iso(b.pay_before),
        "paid_at": iso(b.paid_at),
        "application_number": b.application_number,
        "reschedule_count": b.reschedule_count,
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
        "payment": None if payment is None else _payment_data(payment),
        "payments": [_payment_data(p) for p in payments],
    }


def export(subject: Subject) -> Exported:
    bookings = list(
        Booking.objects.filter(account=subject.account)
        .select_related("office", "channel")
        .prefetch_related("payments")
        .order_by("created_at", "id")
    )
    return Exported(
        sections={"bookings": [_booking_data(b) for b in bookings]},
        audit=Q(object_type="Booking", object_id__in=[b.code for b in bookings]),
    )


def _closed_before(cutoff: dt.datetime) -> Q:
    # A closed booking is not changed again, so its last change is the moment its case closed.
    return Q(status__in=CLOSED_STATUSES, updated_at__lt=cutoff)


def bookings_due(*, cutoff: dt.datetime):
    return Booking.objects.filter(_closed_before(cutoff)).exclude(nik=BOOKING_NIK_PLACEHOLDER)


def anonymise_bookings(*, rows, run) -> int:
    """The NIK (a placeholder of sixteen zeros); one audit event each."""
    booking_rows = list(rows.values_list("pk", "code", "office_id"))
    Booking.objects.filter(pk__in=[pk for pk, _, _ in booking_rows]).update(
        nik=BOOKING_NIK_PLACEHOLDER
    )
    for _, code, office_id in booking_rows:
        run.record(
            action="booking.anonymised", object_type="Booking", object_id=code, office_id=office_id
        )
    return len(booking_rows)


def applicant_cases(*, cutoff: dt.datetime) -> ApplicantCases:
    return ApplicantCases(
        rows=Booking.objects.all(),
        open=Booking.objects.exclude(_closed_before(cutoff)).values("applicant_id"),
    )


def applicant_in_use(applicant) -> bool:
    return Booking.objects.filter(applicant=applicant, status__in=ACTIVE_STATUSES).exists()


def applicant_on_record(applicant) -> bool:
    """Past bookings are the office's records: the person named in them stays."""
    return Booking.objects.filter(applicant=applicant).exists()


def has_open_cases(account) -> bool:
    return Booking.objects.filter(account=account, status__in=ACTIVE_STATUSES).exists()


PERSONAL_DATA = PersonalData(
    app="booking",
    export_rank=20,
    export=export,
    retention_rank=10,
    kinds=(RetentionKind("bookings", bookings_due, anonymise_bookings),),
    applicant_cases=applicant_cases,
    has_open_cases=has_open_cases,
)
