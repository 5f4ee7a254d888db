"""One account booking for several people at once: the account row serialises them, and each
sees the applicants the ones before it added (positions 1..5 stay unique, nobody gets a 500)."""

import pytest

from loket.accounts.models import Applicant
from loket.booking.models import Booking
from loket.booking.services import ActiveBookingExists
from tests.concurrency.conftest import (
    DAY,
    assert_ledger_matches_bookings,
    book,
    make_accounts,
    outcomes,
    places_per_window,
    run_in_threads,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_five_people_booked_at_once_by_one_account_all_get_a_place(online):
    places_per_window(online, DAY, 10)
    (account,) = make_accounts(1)
    results = run_in_threads([lambda i=i: book(account, online, serial=i) for i in range(1, 6)])
    assert outcomes(results) == {"ok": 5}, results
    positions = sorted(Applicant.objects.filter(account=account).values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5]
    assert_ledger_matches_bookings()


def test_one_person_booked_twice_at_once_by_one_account_is_booked_once(online):
    places_per_window(online, DAY, 10)
    (account,) = make_accounts(1)
    results = run_in_threads([lambda: book(account, online, serial=1) for _ in range(4)])
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert all(isinstance(r, Booking | ActiveBookingExists) for r in results), results
    assert Applicant.objects.filter(account=account).count() == 1
    assert_ledger_matches_bookings()
