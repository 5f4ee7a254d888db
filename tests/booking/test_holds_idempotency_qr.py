"""Holds that expire, retried requests that never book twice, and the QR proof."""

import datetime as dt

import pytest
from django.core import signing

from loket.booking import proofs, services
from loket.booking.models import Booking, BookingStatus, IdempotencyRecord
from loket.core import clock
from loket.core.models import AuditEvent
from tests.helpers import (
    THURSDAY,
    WEDNESDAY,
    assert_ledger_matches_bookings,
    book,
    pay,
    slot_of,
)


def test_an_unpaid_hold_expires_at_its_deadline(online, account):
    """After two hours unpaid the booking expires and its place returns to the ledger."""
    booking = book(account, online)
    with clock.frozen_at(booking.pay_before - dt.timedelta(seconds=1)):
        assert services.expire_overdue_holds() == 0
    with clock.frozen_at(booking.pay_before):
        assert services.expire_overdue_holds() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert slot_of(online, WEDNESDAY).used == 0
    event = AuditEvent.objects.get(action="booking.expired", object_id=booking.code)
    assert (event.actor_label, event.before["status"], event.after["status"]) == (
        "system",
        "awaiting_payment",
        "expired",
    )
    assert_ledger_matches_bookings()


def test_expiring_twice_frees_the_place_once(online, account):
    """Running the expiry again changes nothing."""
    booking = book(account, online)
    book(account, online, serial=2)
    with clock.frozen_at(booking.pay_before + dt.timedelta(hours=1)):
        assert services.expire_overdue_holds() == 2
        assert services.expire_overdue_holds() == 0
    assert slot_of(online, WEDNESDAY).used == 0
    assert_ledger_matches_bookings()


def test_paid_and_cancelled_bookings_do_not_expire(online, account):
    """Only bookings still awaiting payment expire."""
    paid = pay(book(account, online, serial=1))
    cancelled = book(account, online, serial=2)
    services.cancel_booking(account=account, code=cancelled.code)
    with clock.frozen_at(paid.pay_before + dt.timedelta(days=1)):
        assert services.expire_overdue_holds() == 0
    paid.refresh_from_db()
    assert paid.status == BookingStatus.CONFIRMED
    assert_ledger_matches_bookings()


def test_expiry_can_be_limited_to_one_window(online, account):
    """Expiring one window's holds leaves other windows' holds to the worker."""
    here = book(account, online, window=dt.time(9), serial=1)
    elsewhere = book(account, online, window=dt.time(10), serial=2)
    with clock.frozen_at(here.pay_before):
        assert services.expire_overdue_holds(slot_id=here.slot_id) == 1
    elsewhere.refresh_from_db()
    assert elsewhere.status == BookingStatus.AWAITING_PAYMENT
    assert_ledger_matches_bookings()


def test_an_expired_nik_may_book_again(online, account):
    """After an expired hold the person may book again."""
    booking = book(account, online)
    with clock.frozen_at(booking.pay_before):
        services.expire_overdue_holds()
        again = book(account, online, day=THURSDAY)
    assert again.status == BookingStatus.AWAITING_PAYMENT
    assert_ledger_matches_bookings()


def counting_action(calls: list):
    def action():
        calls.append(1)
        return 201, {"n": len(calls)}

    return action


def test_without_a_key_every_request_runs(account):
    """Without an Idempotency-Key nothing is stored and each request runs."""
    calls: list = []
    for _ in range(2):
        services.run_idempotent(
            account=account, key=None, payload={"a": 1}, action=counting_action(calls)
        )
    assert len(calls) == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_retried_key_replays_the_first_answer(account):
    """The same key and body runs once; the retry gets the stored answer."""
    calls: list = []
    first = services.run_idempotent(
        account=account, key="k-1", payload={"a": 1}, action=counting_action(calls)
    )
    again = services.run_idempotent(
        account=account, key="k-1", payload={"a": 1}, action=counting_action(calls)
    )
    assert first == again == (201, {"n": 1})
    assert len(calls) == 1


def test_a_key_reused_for_another_body_is_refused(account):
    """The same key with a different body is refused."""
    services.run_idempotent(account=account, key="k-1", payload={"a": 1}, action=lambda: (201, {}))
    with pytest.raises(services.IdempotencyKeyReused) as exc:
        services.run_idempotent(
            account=account, key="k-1", payload={"a": 2}, action=lambda: (201, {})
        )
    assert (exc.value.code, exc.value.status) == ("idempotency_key_reused", 422)


def test_keys_belong_to_one_account(account, other_account):
    """Two accounts may use the same key without seeing each other's answers."""
    services.run_idempotent(
        account=account, key="k-1", payload={"a": 1}, action=lambda: (201, {"who": "budi"})
    )
    status, body = services.run_idempotent(
        account=other_account, key="k-1", payload={"a": 1}, action=lambda: (201, {"who": "siti"})
    )
    assert body == {"who": "siti"}


def test_a_failed_request_stores_nothing_under_its_key(online, account):
    """A refused booking leaves its key free, so the retry is tried again."""
    calls: list = []

    def refused():
        calls.append(1)
        raise services.DatePast()

    for _ in range(2):
        with pytest.raises(services.DatePast):
            services.run_idempotent(account=account, key="k-1", payload={}, action=refused)
    assert len(calls) == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_retried_booking_books_once(online, account):
    """A booking retried under the same key is held once; the retry answers the same code."""

    def action():
        return 201, {"code": book(account, online).code}

    first = services.run_idempotent(account=account, key="k", payload={"x": 1}, action=action)
    again = services.run_idempotent(account=account, key="k", payload={"x": 1}, action=action)
    assert first == again
    assert Booking.objects.count() == 1
    assert_ledger_matches_bookings()


def test_the_qr_proof_of_a_paid_booking_verifies(online, account):
    """The QR payload of a confirmed booking is verified back to that booking."""
    booking = pay(book(account, online))
    assert proofs.verify_qr(proofs.qr_payload(booking)) == booking


@pytest.mark.parametrize("change", ["flip", "truncate", "empty", "none", "other_salt"])
def test_a_tampered_qr_proof_is_refused(online, account, change):
    """A changed, cut, empty or foreign QR payload is refused."""
    booking = pay(book(account, online))
    payload = proofs.qr_payload(booking)
    bad = {
        "flip": payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1],
        "truncate": payload[:-5],
        "empty": "",
        "none": None,
        "other_salt": signing.dumps({"c": booking.code, "n": booking.application_number}),
    }[change]
    with pytest.raises(proofs.QrInvalid) as exc:
        proofs.verify_qr(bad)
    assert (exc.value.code, exc.value.status) == ("qr_invalid", 400)


def test_a_qr_proof_for_another_application_number_is_refused(online, account):
    """A validly signed payload whose application number is not the booking's is refused."""
    booking = pay(book(account, online))
    forged = signing.dumps(
        {"c": booking.code, "n": "KRW-261202-9999999"}, salt=proofs.QR_SALT, compress=True
    )
    with pytest.raises(proofs.QrInvalid):
        proofs.verify_qr(forged)
