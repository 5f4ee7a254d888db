"""Payment notices from the gateway: money never vanishes.

Every authentic (correctly signed, well formed) notice for a known billing code becomes a
Payment row with its outcome, in the same transaction as its audit event:
- `applied`: the booking awaited payment and is confirmed (paid after the deadline but before
  the hold was expired still confirms it: the place was held all along);
- `late_confirmed`: the hold had expired, its place is still free in the same window (taken
  again through the capacity ledger's conditional UPDATE, never over capacity), the day has not
  passed and the NIK has no other active booking: the booking is confirmed;
- `refund_due`: the money cannot be applied (the booking was cancelled, the expired hold's place
  is gone or its day passed, the NIK booked again meanwhile, or the amount differs from the
  bill); the office refunds it;
- `duplicate`: a second, different payment (another gateway reference) for a booking already
  paid; refund due.
A notice repeated with the same gateway `reference` (by default its billing code) is the same
row and the same answer: idempotent. Refunds due are listed per office by
`list_refunds_due` and marked done by `mark_refunded` (the supervisors' refunds page).
"""

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.booking import lifecycle, numbers
from loket.booking.models import (
    APPLIED_OUTCOMES,
    Booking,
    BookingStatus,
    Payment,
    PaymentOutcome,
)
from loket.booking.proofs import qr_payload
from loket.capacity import services as ledger
from loket.core import audit, clock
from loket.core.errors import DomainError, InvalidInput, NotFound
from loket.notifications import texts
from loket.notifications.services import enqueue_message


class PaymentRejected(DomainError, code="payment_rejected", status=400):
    message = _("The payment notice is refused.")


class SignatureInvalid(PaymentRejected, code="signature_invalid", status=401):
    message = _("The signature of the payment notice is wrong.")


class BillingCodeUnknown(PaymentRejected, code="billing_code_unknown", status=404):
    message = _("No booking has this billing code.")


class BillingCodeExpired(PaymentRejected, code="billing_code_expired", status=409):
    message = _("The payment deadline of this billing code has passed.")


class AmountMismatch(PaymentRejected, code="amount_mismatch", status=409):
    message = _("The amount paid differs from the amount billed.")


class ReferenceConflict(DomainError, code="payment_reference_conflict", status=409):
    message = _("This gateway reference was already recorded for another payment.")


class RefundNotDue(DomainError, code="refund_not_due", status=409):
    message = _("No refund is due for this payment, or it was already refunded.")


class PaymentNotFound(NotFound, code="payment_not_found"):
    message = _("There is no such payment at this office.")


@dataclass(frozen=True)
class Notice:
    billing_code: str
    amount: int
    paid_at: dt.datetime
    reference: str


def sign_payment_notice(body: bytes) -> str:
    """The gateway's signature of a notice's raw body (HMAC-SHA256 with PAYMENT_SECRET)."""
    return hmac.new(settings.PAYMENT_SECRET.encode(), body, hashlib.sha256).hexdigest()


def parse_notice(body: bytes, signature: str) -> Notice:
    """Check the HMAC signature over the raw body, then read the notice's fields."""
    expected = sign_payment_notice(body)
    if not signature or not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureInvalid()
    try:
        notice = json.loads(body)
        billing_code = str(notice["billing_code"])
        amount = notice["amount"]
        paid_at = dt.datetime.fromisoformat(str(notice["paid_at"]).replace("Z", "+00:00"))
        reference = str(notice.get("reference") or billing_code).strip()
        if not isinstance(amount, int) or isinstance(amount, bool) or paid_at.tzinfo is None:
            raise ValueError
        if not 0 <= amount < 2**31 or not reference or len(reference) > 64:
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InvalidInput(
            _(
                "A payment notice needs billing_code, amount (whole rupiah) and paid_at "
                "(ISO 8601 with time zone); reference (the gateway's, at most 64 characters) "
                "is optional."
            )
        ) from None
    return Notice(billing_code, amount, paid_at, reference)


def receive_payment_notice(*, body: bytes, signature: str) -> Payment:
    """Record an authentic notice and apply it if it can be. Idempotent per reference.

    Locks: the booking row only (select_for_update of self), then (an expired hold paid late)
    its ledger slot by the conditional UPDATE. Raises only for a notice that is not authentic
    or not well formed, an unknown billing code, or a reference recorded for another payment.
    """
    notice = parse_notice(body, signature)
    booking_id = (
        Booking.objects.filter(billing_code=notice.billing_code)
        .values_list("pk", flat=True)
        .first()
    )
    if booking_id is None:
        # No booking to attach it to: kept in the audit trail, then refused (404) so that the
        # gateway's reconciliation shows it too.
        audit.record(
            action="payment.unknown_billing_code",
            obj=Payment(),
            object_id=notice.billing_code,
            actor_label="gateway",
            after={
                "amount": notice.amount,
                "paid_at": notice.paid_at.isoformat(),
                "reference": notice.reference,
            },
        )
        raise BillingCodeUnknown()
    with transaction.atomic():
        # Only the booking row: FOR UPDATE of the joined office and account rows would block
        # every booking's foreign-key check on the office (and deadlocked against the ledger).
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("office", "account")
            .get(pk=booking_id)
        )
        existing = Payment.objects.filter(reference=notice.reference).first()
        if existing is not None:
            if existing.booking_id != booking.pk or existing.amount != notice.amount:
                raise ReferenceConflict()
            existing.booking = booking
            return existing
        outcome, reason = _apply(booking, notice)
        payment = Payment.objects.create(
            booking=booking,
            reference=notice.reference,
            billing_code=notice.billing_code,
            amount=notice.amount,
            paid_at=notice.paid_at,
            received_at=clock.now(),
            outcome=outcome,
            reason=reason,
        )
        audit.record(
            action="payment.recorded",
            obj=payment,
            actor_label="gateway",
            office=booking.office,
            after={
                "booking": booking.code,
                "amount": notice.amount,
                "outcome": outcome,
                "reason": reason,
                "reference": notice.reference,
            },
        )
        if outcome not in APPLIED_OUTCOMES:
            _tell_refund_due(booking, payment)
    return payment


def _apply(booking: Booking, notice: Notice) -> tuple[str, str]:
    """Confirm the booking if this payment can pay for it; (outcome, reason)."""
    if notice.amount != booking.amount:
        return PaymentOutcome.REFUND_DUE, "amount_mismatch"
    if Payment.objects.filter(booking=booking, outcome__in=APPLIED_OUTCOMES).exists():
        return PaymentOutcome.DUPLICATE, "paid_twice"
    if booking.status == BookingStatus.AWAITING_PAYMENT:
        late = notice.paid_at > booking.pay_before
        _confirm(booking, notice, from_status=BookingStatus.AWAITING_PAYMENT)
        return (PaymentOutcome.APPLIED, "paid_after_deadline" if late else "")
    if booking.status == BookingStatus.EXPIRED:
        return _confirm_expired_hold(booking, notice)
    if booking.status == BookingStatus.CANCELLED:
        return PaymentOutcome.REFUND_DUE, "cancelled"
    return PaymentOutcome.DUPLICATE, "paid_twice"


def _confirm_expired_hold(booking: Booking, notice: Notice) -> tuple[str, str]:
    """An expired hold paid late: confirmed if its window still has a free place (taken through
    the ledger, atomically) and the NIK holds no other active booking."""
    if booking.date < clock.local_today(booking.office.time_zone):
        return PaymentOutcome.REFUND_DUE, "day_passed"
    try:
        with transaction.atomic():
            if not ledger.try_take_place(slot_id=booking.slot_id):
                return PaymentOutcome.REFUND_DUE, "place_taken"
            _confirm(booking, notice, from_status=BookingStatus.EXPIRED)
    except IntegrityError:
        # The NIK's one active booking (partial unique index): the person booked again.
        return PaymentOutcome.REFUND_DUE, "nik_has_other_booking"
    return PaymentOutcome.LATE_CONFIRMED, "paid_after_expiry"


def _confirm(booking: Booking, notice: Notice, *, from_status: str) -> None:
    before = lifecycle.snapshot(booking)
    number = numbers.issue_application_number(office=booking.office)
    if not lifecycle.change_status(
        booking,
        to=BookingStatus.CONFIRMED,
        from_status=from_status,
        paid_at=notice.paid_at,
        application_number=number,
    ):
        raise IntegrityError("booking changed under its row lock")
    audit.record(
        action="booking.paid",
        obj=booking,
        actor_label="gateway",
        office=booking.office,
        before=before,
        after=lifecycle.snapshot(booking),
    )
    enqueue_message(
        dedupe_key=f"booking-paid:{booking.code}",
        recipient=booking.account.email,
        subject=gettext("Booking %(code)s is confirmed") % {"code": booking.code},
        body=gettext(
            "Your application number is %(number)s. Come on %(date)s between %(start)s and "
            "%(end)s with your KTP, KK and this proof."
        )
        % {
            "number": booking.application_number,
            "date": texts.office_day(booking.date),
            "start": f"{booking.window_start:%H:%M}",
            "end": f"{booking.window_end:%H:%M} {texts.zone_abbr(booking.office.time_zone)}",
        }
        + "\n\n"
        + gettext(
            "The QR code of your proof is in this e-mail: show it at the information desk, "
            "printed or on your phone. The proof, to print or cancel or reschedule: %(url)s"
        )
        % {"url": texts.link("web:proof", booking.code)},
        qr_payload=qr_payload(booking),
    )


def _tell_refund_due(booking: Booking, payment: Payment) -> None:
    enqueue_message(
        dedupe_key=f"payment-refund-due:{payment.pk}",
        recipient=booking.account.email,
        subject=gettext("Payment for booking %(code)s received: refund due")
        % {"code": booking.code},
        body=gettext(
            "We received Rp%(amount)s for booking %(code)s, but it could not pay for a place "
            "(the booking is %(status)s). The office will refund it; no need to pay again."
        )
        % {
            "amount": f"{payment.amount:,}".replace(",", "."),
            "code": booking.code,
            "status": booking.get_status_display(),
        },
    )


# --- refunds -----------------------------------------------------------------------------


def _refund_due_condition() -> Q:
    """Payments whose money the office holds without serving: not applied, or applied to a
    booking later cancelled (and no-shows when LOKET_REFUND_NO_SHOWS is on)."""
    not_served = [BookingStatus.CANCELLED]
    if settings.LOKET_REFUND_NO_SHOWS:
        not_served.append(BookingStatus.NO_SHOW)
    return Q(outcome__in=[PaymentOutcome.REFUND_DUE, PaymentOutcome.DUPLICATE]) | Q(
        outcome__in=APPLIED_OUTCOMES, booking__status__in=not_served
    )


def list_refunds_due(*, office, include_refunded: bool = False) -> list[Payment]:
    """The office's paid-but-not-served payments, oldest first (two queries in all)."""
    payments = Payment.objects.filter(_refund_due_condition(), booking__office=office)
    if not include_refunded:
        payments = payments.filter(refunded_at__isnull=True)
    return list(
        payments.select_related("booking", "booking__applicant", "refunded_by").order_by(
            "received_at", "id"
        )
    )


def mark_refunded(*, office, payment_id: int, officer, note: str = "") -> Payment:
    """Record that the office refunded a payment listed as due. Audited; once per payment."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("booking")
            .filter(pk=payment_id, booking__office=office)
            .first()
        )
        if payment is None:
            raise PaymentNotFound()
        due = Payment.objects.filter(_refund_due_condition(), pk=payment.pk).exists()
        if not due or payment.refunded_at is not None:
            raise RefundNotDue()
        payment.refunded_at = clock.now()
        payment.refunded_by = officer
        payment.refund_note = (note or "").strip()[:200]
        payment.save(update_fields=["refunded_at", "refunded_by", "refund_note"])
        audit.record(
            action="payment.refunded",
            obj=payment,
            actor=officer,
            office=office,
            after={"booking": payment.booking.code, "amount": payment.amount},
        )
    return payment
