import datetime as dt

import pytest

from loket.booking.models import BookingStatus
from loket.core import clock
from tests.web.conftest import book, pay

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "budi@contoh.id")
    page.fill("#id_password", "rahasia-panjang-1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bookings/")


def test_reschedule_once_then_cancel(page, shoot, account, online, person):
    """Move a booking to another day (once), see the rule where it blocks, then cancel it."""
    booking = pay(book(account, online, person))
    log_in(page)
    page.click(f"main a[href='/bookings/{booking.code}/reschedule/']")
    page.click(f"main a[href='/bookings/{booking.code}/reschedule/2026-12-04/']")
    shoot(page, "13-reschedule")
    page.check("main input[name=window][value='1000']")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/bookings/{booking.code}/proof/")
    booking.refresh_from_db()
    assert (booking.date, booking.reschedule_count) == (dt.date(2026, 12, 4), 1)

    page.goto("/bookings/")
    assert page.locator(f"main a[href='/bookings/{booking.code}/reschedule/']").count() == 0
    assert page.locator("main .card p.small").is_visible()  # the rule, where it blocks
    page.goto(f"/bookings/{booking.code}/reschedule/")
    assert page.locator(".notice--warning").is_visible()

    page.goto("/bookings/")
    page.click(f"main a[href='/bookings/{booking.code}/cancel/']")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bookings/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_reschedule_refused_on_the_appointment_day(page, account, online, person, now):
    """No later than H-1: on the day itself the page says why it cannot move the booking."""
    booking = pay(book(account, online, person))
    log_in(page)
    with clock.frozen_at(dt.datetime(2026, 12, 3, 7, 30, tzinfo=now.tzinfo)):
        page.goto(f"/bookings/{booking.code}/reschedule/")
        assert page.locator("main .notice--warning").is_visible()
        assert page.locator("main .calendar").count() == 0
        page.goto("/bookings/")
        assert page.locator(f"main a[href='/bookings/{booking.code}/reschedule/']").count() == 0
