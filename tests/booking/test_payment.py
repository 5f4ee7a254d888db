"""Paying: the gateway's signed notice confirms a booking; anything doubtful is refused."""

import datetime as dt
import json

import pytest

from loket.booking import payments, services
from loket.booking.models import BookingStatus, Payment
from loket.core import clock
from loket.core.errors import InvalidInput
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from tests.helpers import assert_ledger_matches_bookings, book, pay, payment_notice


def signed(body: bytes) -> dict:
    return {"body": body, "signature": payments.sign_payment_notice(body)}


def test_a_signed_notice_confirms_the_booking(online, account):
    """A correct notice confirms the booking and gives it an application number."""
    booking = book(account, online)
    paid = pay(booking)
    assert paid.status == BookingStatus.CONFIRMED
    assert paid.paid_at == clock.now()
    assert paid.application_number == "KRW-20261201-0001"  # confirmed on 1 Dec, the first
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount, payment.billing_code) == (booking.amount, booking.billing_code)
    assert_ledger_matches_bookings()


def test_payment_is_recorded_and_announced(online, account):
    """The gateway is the actor in the audit trail; the applicant is told through the outbox."""
    booking = pay(book(account, online))
    event = AuditEvent.objects.get(action="booking.paid", object_id=booking.code)
    assert event.actor is None and event.actor_label == "gateway"
    assert (event.before["status"], event.after["status"]) == ("awaiting_payment", "confirmed")
    message = OutboxMessage.objects.get(dedupe_key=f"booking-paid:{booking.code}")
    assert booking.application_number in message.body


def test_the_same_notice_twice_is_accepted_once(online, account):
    """A repeated notice answers the same and records nothing more."""
    booking = book(account, online)
    body = payment_notice(booking)
    first = services.record_payment(**signed(body))
    again = services.record_payment(**signed(body))
    assert again.pk == first.pk
    assert again.application_number == first.application_number
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="booking.paid").count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="booking-paid:").count() == 1


def test_an_uppercase_signature_is_accepted(online, account):
    """The hex signature is compared without regard to case or surrounding blanks."""
    body = payment_notice(book(account, online))
    signature = " " + payments.sign_payment_notice(body).upper() + " "
    assert services.record_payment(body=body, signature=signature).status == "confirmed"


@pytest.mark.parametrize("signature", ["", "0" * 64, "not-hex"])
def test_a_bad_signature_is_refused(online, account, signature):
    """A notice not signed with the shared secret is refused and changes nothing."""
    booking = book(account, online)
    with pytest.raises(payments.SignatureInvalid) as exc:
        services.record_payment(body=payment_notice(booking), signature=signature)
    assert (exc.value.code, exc.value.status) == ("signature_invalid", 401)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PAYMENT


def test_a_signature_of_another_body_is_refused(online, account):
    """A signature is good for exactly the body it was made for."""
    booking = book(account, online)
    body = payment_notice(booking)
    tampered = body.replace(str(booking.amount).encode(), b"1")
    with pytest.raises(payments.SignatureInvalid):
        services.record_payment(body=tampered, signature=payments.sign_payment_notice(body))


def test_a_notice_signed_with_another_secret_is_refused(online, account, settings):
    """Changing LOKET_PAYMENT_SECRET invalidates signatures made with the old one."""
    body = payment_notice(book(account, online))
    signature = payments.sign_payment_notice(body)
    settings.PAYMENT_SECRET = "another-secret"
    with pytest.raises(payments.SignatureInvalid):
        services.record_payment(body=body, signature=signature)


def test_a_wrong_amount_is_recorded_not_applied(online, account):
    """Paying less (or more) than billed does not confirm; the money is recorded, refund due."""
    booking = book(account, online)
    for n, amount in enumerate((booking.amount - 1, booking.amount + 1)):
        paid = pay(booking, amount=amount, reference=f"ref-{n}")
        assert paid.last_payment.outcome == "refund_due"
        assert paid.last_payment.reason == "amount_mismatch"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PAYMENT
    assert Payment.objects.count() == 2


def test_an_unknown_billing_code_is_refused(online, account):
    """A billing code no booking has is refused."""
    body = json.dumps(
        {"billing_code": "999999999999999", "amount": 650_000, "paid_at": "2026-12-01T02:30:00Z"}
    ).encode()
    with pytest.raises(payments.BillingCodeUnknown) as exc:
        services.record_payment(**signed(body))
    assert (exc.value.code, exc.value.status) == ("billing_code_unknown", 404)


def test_a_late_payment_confirms_an_expired_hold_whose_place_is_free(online, account):
    """Once the hold has expired its place was given back; a late notice takes it again."""
    booking = book(account, online)
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=1)):
        services.expire_overdue_holds()
        paid = pay(booking, paid_at=booking.pay_before + dt.timedelta(seconds=30))
    assert paid.last_payment.outcome == "late_confirmed"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.application_number
    assert_ledger_matches_bookings()


def test_a_payment_made_after_the_deadline_confirms_a_hold_not_yet_expired(online, account):
    """paid_at after pay_before, the hold not yet ended: its place was held all along."""
    booking = book(account, online)
    paid = pay(booking, paid_at=booking.pay_before + dt.timedelta(seconds=1))
    assert (paid.status, paid.last_payment.outcome) == ("confirmed", "applied")
    assert paid.last_payment.reason == "paid_after_deadline"


def test_a_payment_made_at_the_deadline_is_accepted_when_it_arrives_late(online, account):
    """A payment made in time counts, even if its notice arrives after the deadline."""
    booking = book(account, online)
    with clock.frozen_at(booking.pay_before + dt.timedelta(seconds=30)):
        paid = pay(booking, paid_at=booking.pay_before)
    assert paid.status == BookingStatus.CONFIRMED
    assert_ledger_matches_bookings()


def test_a_cancelled_booking_is_not_revived_by_a_payment(online, account):
    """Paying a cancelled booking's billing code is recorded, refund due; it stays cancelled."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code)
    paid = pay(booking)
    assert (paid.status, paid.last_payment.outcome) == ("cancelled", "refund_due")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"billing_code": "1", "amount": 1}',
        b'{"billing_code": "1", "amount": "650000", "paid_at": "2026-12-01T09:00:00+07:00"}',
        b'{"billing_code": "1", "amount": 650000.0, "paid_at": "2026-12-01T09:00:00+07:00"}',
        b'{"billing_code": "1", "amount": true, "paid_at": "2026-12-01T09:00:00+07:00"}',
        b'{"billing_code": "1", "amount": 650000, "paid_at": "2026-12-01T09:00:00"}',
        b'{"billing_code": "1", "amount": 650000, "paid_at": "yesterday"}',
    ],
)
def test_a_malformed_notice_is_refused_as_invalid_input(db, body):
    """A signed notice without billing code, whole-rupiah amount or zoned paid_at is refused."""
    with pytest.raises(InvalidInput):
        services.record_payment(**signed(body))
