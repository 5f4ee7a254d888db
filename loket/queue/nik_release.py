"""The KTP's owner at the desk: release a place another account holds with their NIK.

Anyone can type anyone's NIK; the identity check (loket.identity.registry) stops most of it,
but a person who knew a name and birth date, or an account that booked before the check
existed, may hold the NIK's one live booking. When the KTP's owner shows up at the information
desk, the officer checks the KTP and releases that booking through the normal lifecycle
(cancel: the place goes back through the ledger, a waiting-list offer may follow, a payment
lands on the refund list). The audit trail names the account that held it; the local registry
learns the KTP's name and birth date so the owner can book.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loket.booking import services as booking_services
from loket.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.identity import registry
from loket.identity.nik import parse_nik


class NothingToRelease(DomainError, code="nothing_to_release", status=404):
    message = _("No account holds a live booking with this NIK: the person can book now.")


class HeldBookingCheckedIn(DomainError, code="held_booking_checked_in", status=409):
    message = _(
        "The booking holding this NIK is already checked in today. Ask the supervisor: someone "
        "came with this KTP."
    )


def release_nik(*, office, nik: str, name: str, birth_date: dt.date, officer) -> Booking:
    """Cancel the live booking holding `nik` (the KTP checked by `officer`) and record it.

    Locks: those of cancel_booking (the booking row, then its slot)."""
    info = parse_nik(nik, declared_birth_date=birth_date, today=clock.local_today(office.time_zone))
    held = (
        Booking.objects.select_related("account", "office")
        .filter(nik=info.nik, status__in=ACTIVE_STATUSES)
        .first()
    )
    if held is None:
        registry.record_checked_ktp(nik=info.nik, name=name, birth_date=info.birth_date)
        raise NothingToRelease()
    if held.status == BookingStatus.CHECKED_IN:
        raise HeldBookingCheckedIn()
    with transaction.atomic():
        was_paid = held.paid_at is not None
        cancelled = booking_services.cancel_booking(
            account=held.account, code=held.code, actor=officer
        )
        audit.record(
            action="booking.released_at_desk",
            obj=cancelled,
            actor=officer,
            office=held.office,
            before={
                "held_by_account": held.account_id,
                "held_by": held.account.email,
                "paid": was_paid,
            },
            after={"released_at_office": office.code, "ktp_checked": True},
        )
        registry.record_checked_ktp(nik=info.nik, name=name, birth_date=info.birth_date)
    return cancelled
