"""A full day in the browser: join the waiting list, a place comes free, accept the offer."""

import pytest

from loket.booking.models import BookingStatus
from loket.booking.services import cancel_booking
from loket.offices.models import CapacityOverride
from loket.waitlist.models import EntryStatus, WaitlistEntry
from tests.waitlist.conftest import EIGHT, THURSDAY, add_person, new_account
from tests.web.conftest import book

pytestmark = pytest.mark.django_db(transaction=True)

DAY_URL = f"/book/KRW/online/{THURSDAY.isoformat()}/"


def log_in(page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "budi@contoh.id")
    page.fill("#id_password", "rahasia-panjang-1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bookings/")


def test_wait_for_a_full_day_then_accept_the_offer(page, shoot, account, online, person):
    """The day is full; Budi joins its waiting list; someone cancels; the offer is shown with
    its countdown, accepted, and the booking appears, waiting for payment."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    holder = new_account(1)
    held = book(holder, online, add_person(holder, 11), day=THURSDAY, window=EIGHT)

    log_in(page)
    page.goto(DAY_URL)
    page.click(f"main a[href='{DAY_URL}waitlist/']")
    page.wait_for_url(f"**{DAY_URL}waitlist/")
    page.check(f"main input[name=applicant][value='{person.pk}']")
    page.check("main input[name=application_type][value=new]")
    page.select_option("main select[name=purpose]", "tourism")
    page.check("main input[name=passport_type][value=ordinary]")
    shoot(page, "14-waitlist-join")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bookings/#waiting-lists")
    entry = WaitlistEntry.objects.get(account=account)
    assert entry.status == EntryStatus.WAITING
    assert page.locator("#waiting-lists").is_visible()
    assert page.locator(f"main form[action='/waitlist/{entry.pk}/leave/']").is_visible()

    cancel_booking(account=holder, code=held.code)  # a place comes free: offered to Budi

    page.goto("/bookings/")
    accept = page.locator(f"main form[action='/waitlist/{entry.pk}/accept/'] button")
    assert accept.is_visible()
    assert page.locator(f"main form[action='/waitlist/{entry.pk}/decline/'] button").is_visible()
    countdown = page.locator("#waiting-lists [data-countdown]")
    assert countdown.is_visible()
    assert "1:59:" in countdown.inner_text() or "2:00:00" in countdown.inner_text()
    shoot(page, "15-waitlist-offer")
    accept.click()
    page.wait_for_url("**/pay/")

    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACCEPTED
    booking = entry.booking
    assert booking.status == BookingStatus.AWAITING_PAYMENT
    assert (booking.date, booking.window_start) == (THURSDAY, EIGHT)
    page.goto("/bookings/")
    assert page.locator(f"main a[href='/bookings/{booking.code}/pay/']").is_visible()
    assert page.locator("#waiting-lists").count() == 0
