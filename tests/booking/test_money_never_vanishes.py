"""Money never vanishes: every authentic payment notice is recorded with its outcome; a late
payment confirms an expired hold only while its place is free; paid-but-not-served payments are
listed for refund (page and API), and a refund made is recorded."""

import datetime as dt
import json

import pytest
from django.db import IntegrityError, transaction

from loket.booking import payments, services
from loket.booking.models import Booking, BookingStatus, Payment, PaymentOutcome
from loket.core import clock
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from loket.offices.models import CapacityOverride
from loket.queue.models import StaffRole
from tests.helpers import (
    THURSDAY,
    assert_ledger_matches_bookings,
    book,
    pay,
    payment_notice,
    person,
    slot_of,
)


def notify(client, body: bytes):
    return client.post(
        "/api/v1/payments/notify",
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=payments.sign_payment_notice(body),
    )


def expire(booking):
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=1)):
        services.expire_overdue_holds()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED


@pytest.fixture
def one_place(online):
    """Thursday 08:00 has one online place."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    return dt.time(8, 0)


def test_a_notice_for_a_cancelled_booking_is_recorded_and_listed_for_refund(
    client, online, account
):
    """Before: 409 and recorded nowhere. Now: 200, a Payment row `refund_due`, audited, the
    applicant told, and the payment on the office's refund list."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code)
    response = notify(client, payment_notice(booking))
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "refund_due"
    payment = Payment.objects.get(booking=booking)
    assert (payment.outcome, payment.reason) == ("refund_due", "cancelled")
    event = AuditEvent.objects.get(action="payment.recorded")
    assert event.after["outcome"] == "refund_due" and event.actor_label == "gateway"
    assert OutboxMessage.objects.filter(dedupe_key=f"payment-refund-due:{payment.pk}").exists()
    assert payments.list_refunds_due(office=booking.office) == [payment]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_late_payment_takes_the_free_place_of_its_expired_hold(
    client, online, account, one_place
):
    booking = book(account, online, day=THURSDAY, window=one_place)
    expire(booking)
    assert slot_of(online, THURSDAY, one_place).used == 0
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=5)):
        response = notify(client, payment_notice(booking))
    assert response.json()["outcome"] == "late_confirmed"
    assert response.json()["status"] == "confirmed" and response.json()["application_number"]
    assert slot_of(online, THURSDAY, one_place).used == 1
    assert_ledger_matches_bookings()


def test_a_late_payment_never_goes_over_capacity(online, account, other_account, one_place):
    """The expired hold's place went to someone else: the payment is recorded, refund due."""
    booking = book(account, online, day=THURSDAY, window=one_place)
    expire(booking)
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=2)):
        book(other_account, online, day=THURSDAY, window=one_place, serial=2)
        paid = pay(booking)
    assert (paid.last_payment.outcome, paid.last_payment.reason) == ("refund_due", "place_taken")
    assert paid.status == BookingStatus.EXPIRED
    slot = slot_of(online, THURSDAY, one_place)
    assert slot.used == slot.capacity == 1
    assert_ledger_matches_bookings()


def test_a_late_payment_after_the_person_booked_again_is_refunded(online, account):
    """The NIK's one active booking: the new booking stays, the old hold is not revived."""
    booking = book(account, online)
    expire(booking)
    with clock.frozen_at(booking.pay_before + dt.timedelta(minutes=2)):
        again = book(account, online, window=dt.time(10, 0))
        paid = pay(booking)
    assert paid.last_payment.reason == "nik_has_other_booking"
    assert Booking.objects.get(pk=again.pk).status == BookingStatus.AWAITING_PAYMENT
    assert_ledger_matches_bookings()


def test_a_late_payment_after_the_day_is_refunded(online, account):
    booking = book(account, online)
    expire(booking)
    with clock.frozen_at(clock.now() + dt.timedelta(days=3)):
        paid = pay(booking)
    assert (paid.last_payment.outcome, paid.last_payment.reason) == ("refund_due", "day_passed")


def test_a_second_payment_is_a_duplicate_and_the_same_notice_again_is_one_row(online, account):
    booking = book(account, online)
    first = pay(booking, reference="GW-1")
    assert first.last_payment.outcome == "applied"
    again = pay(booking, reference="GW-1")
    assert again.last_payment.pk == first.last_payment.pk
    second = pay(booking, reference="GW-2")
    assert second.last_payment.outcome == PaymentOutcome.DUPLICATE
    assert Payment.objects.count() == 2
    assert payments.list_refunds_due(office=booking.office) == [second.last_payment]
    # The same refund-due notice again: still one row, the same answer.
    assert pay(booking, reference="GW-2").last_payment.pk == second.last_payment.pk
    assert Payment.objects.count() == 2


def test_a_reference_reused_for_another_payment_is_refused(online, account):
    one, two = book(account, online), book(account, online, serial=2)
    pay(one, reference="GW-9")
    with pytest.raises(payments.ReferenceConflict):
        pay(two, reference="GW-9")


def test_the_database_holds_one_row_per_reference_and_one_applied_per_booking(online, account):
    booking = pay(book(account, online), reference="GW-1")
    row = booking.last_payment
    fields = {
        "booking": row.booking,
        "billing_code": row.billing_code,
        "amount": row.amount,
        "paid_at": row.paid_at,
        "received_at": row.received_at,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(**fields, reference="GW-1", outcome="duplicate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(**fields, reference="GW-2", outcome="applied")


def test_a_paid_booking_cancelled_afterwards_is_listed_for_refund(online, account):
    booking = pay(book(account, online))
    assert payments.list_refunds_due(office=booking.office) == []
    services.cancel_booking(account=account, code=booking.code)
    assert payments.list_refunds_due(office=booking.office) == [booking.last_payment]


def test_no_shows_are_refunded_only_when_the_rule_says_so(online, account, settings):
    booking = pay(book(account, online))
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.NO_SHOW)
    assert payments.list_refunds_due(office=booking.office) == []
    settings.LOKET_REFUND_NO_SHOWS = True
    assert payments.list_refunds_due(office=booking.office) == [booking.last_payment]
    # (The status was set directly, skipping the queue; put it back for the ledger check.)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CONFIRMED)


@pytest.fixture
def refund_due(online, account):
    booking = book(account, online, applicant=person(name="Budi Refund"))
    services.cancel_booking(account=account, code=booking.code)
    return pay(booking).last_payment


def staff(office, email, role):
    from loket.accounts.models import User
    from loket.queue import staff_roles

    user = User.objects.create_user(email, "rahasia-staf-123", is_staff=True)
    user.email_verified_at = clock.now()
    user.save()
    staff_roles.grant_role(user=user, office=office, role=role)
    return user


def test_the_supervisor_refunds_page_lists_and_records(client, office, refund_due):
    supervisor = staff(office, "spv@contoh.id", StaffRole.SUPERVISOR)
    client.force_login(supervisor)
    page = client.get("/office/KRW/refunds/").content.decode()
    assert refund_due.booking.code in page and "Budi Refund" in page
    assert refund_due.booking.nik not in page  # masked
    response = client.post(
        "/office/KRW/refunds/", {"payment": refund_due.pk, "note": "transfer 123"}
    )
    assert response.status_code == 302
    refund_due.refresh_from_db()
    assert refund_due.refunded_by == supervisor and refund_due.refund_note == "transfer 123"
    assert AuditEvent.objects.filter(action="payment.refunded").exists()
    assert refund_due.booking.code not in client.get("/office/KRW/refunds/").content.decode()
    with pytest.raises(payments.RefundNotDue):
        payments.mark_refunded(office=office, payment_id=refund_due.pk, officer=supervisor)


def test_the_refunds_page_is_for_supervisors_and_office_admins(client, office, refund_due):
    desk = staff(office, "meja@contoh.id", StaffRole.DESK)
    client.force_login(desk)
    assert client.get("/office/KRW/refunds/").status_code == 403
    admin = staff(office, "adm@contoh.id", StaffRole.OFFICE_ADMIN)
    client.force_login(admin)
    assert client.get("/office/KRW/refunds/").status_code == 200


def test_the_refunds_api(client, office, refund_due, token):
    from loket.accounts.services import issue_token

    staff(office, "spv@contoh.id", StaffRole.SUPERVISOR)
    spv = issue_token(email="spv@contoh.id", password="rahasia-staf-123")
    answer = client.get("/api/v1/payments/refunds?office=KRW", HTTP_AUTHORIZATION=f"Bearer {spv}")
    assert answer.status_code == 200
    assert [r["booking"] for r in answer.json()] == [refund_due.booking.code]
    assert answer.json()[0]["reason"] == "cancelled"
    refused = client.get(
        "/api/v1/payments/refunds?office=KRW", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "refunds_forbidden"


def test_a_notice_repeated_after_a_crash_is_the_same_answer(client, online, account):
    """The gateway retries until it gets a 2xx: each retry answers the same, one row."""
    booking = book(account, online)
    services.cancel_booking(account=account, code=booking.code)
    body = payment_notice(booking)
    answers = [notify(client, body).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert Payment.objects.count() == 1
    assert json.loads(body)["billing_code"] == answers[0]["reference"]


def test_a_notice_for_an_unknown_billing_code_is_kept_in_the_audit_trail(client, db):
    body = json.dumps(
        {"billing_code": "999999999999999", "amount": 650_000, "paid_at": "2026-12-01T02:30:00Z"}
    ).encode()
    response = notify(client, body)
    assert (response.status_code, response.json()["code"]) == (404, "billing_code_unknown")
    event = AuditEvent.objects.get(action="payment.unknown_billing_code")
    assert event.object_id == "999999999999999" and event.after["amount"] == 650_000
