"""Late payments race new bookings for the place their expired holds gave back: the ledger's
conditional update decides, never over capacity, and the losing payment is kept as refund due."""

import datetime as dt
import json

import pytest

from loket.booking.models import Booking, BookingStatus, Payment
from loket.booking.payments import sign_payment_notice
from loket.booking.services import expire_overdue_holds, record_payment
from loket.core import clock
from tests.concurrency.conftest import (
    DAY,
    assert_ledger_matches_bookings,
    book,
    make_accounts,
    places_per_window,
    run_in_threads,
)

pytestmark = pytest.mark.django_db(transaction=True)


def notice(booking) -> bytes:
    return json.dumps(
        {
            "billing_code": booking.billing_code,
            "amount": booking.amount,
            "paid_at": (booking.pay_before + dt.timedelta(minutes=3)).isoformat(),
        }
    ).encode()


@pytest.mark.postgres
def test_late_payments_and_new_bookings_for_freed_places_never_oversell(online, now):
    """Three holds expire in a window of three places; three late payments and six new
    bookings race for them: exactly three win, each payment is recorded either way."""
    places_per_window(online, DAY, 3)
    holders = make_accounts(3, prefix="h")
    holds = [book(a, online, serial=i + 1) for i, a in enumerate(holders)]
    later = holds[0].pay_before + dt.timedelta(minutes=5)
    with clock.frozen_at(later):
        assert expire_overdue_holds() == 3
        newcomers = make_accounts(6, prefix="n")

        def pay(b):
            body = notice(b)
            return lambda: record_payment(body=body, signature=sign_payment_notice(body))

        tasks = [pay(b) for b in holds] + [
            (lambda a=a, i=i: book(a, online, serial=100 + i)) for i, a in enumerate(newcomers)
        ]
        results = run_in_threads(tasks)
    assert Payment.objects.count() == 3, results
    late = Payment.objects.filter(outcome="late_confirmed").count()
    refunds = Payment.objects.filter(outcome="refund_due", reason="place_taken").count()
    assert late + refunds == 3
    new = sum(isinstance(r, Booking) for r in results[3:])
    assert late + new == 3, results
    active = Booking.objects.filter(
        status__in=[BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED]
    ).count()
    assert active == 3
    assert_ledger_matches_bookings()
