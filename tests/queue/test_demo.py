"""The demo's office day: staff can log in, counters and stages exist, loading twice is a no-op."""

import pytest

from loket.booking.models import BookingStatus
from loket.core import clock
from loket.demo import office as office_demo
from loket.demo import queue as demo
from loket.queue import check_in
from loket.queue.models import Counter, StaffMembership, Stage

pytestmark = pytest.mark.django_db


def test_demo_staff_counters_and_stages(client, office, now):
    """The desk, two counter officers, a supervisor and the kiosk log in; counters 1-4 serve the
    stages."""
    rows = demo.load_queue_demo()
    again = demo.load_queue_demo()
    assert rows == again
    assert StaffMembership.objects.count() == 5
    assert list(Counter.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert list(Stage.objects.values_list("code", flat=True)) == [
        "document_check",
        "photo_interview",
        "payment",
        "done",
    ]
    assert list(Counter.objects.get(number=3).stages.values_list("code", flat=True)) == [
        "photo_interview"
    ]
    for email, password, _role in rows:
        assert client.login(username=email, password=password), email
        client.logout()
    assert {role for _e, _p, role in rows} == {"desk", "counter", "supervisor", "kiosk"}


def test_the_demo_kiosk_opens_straight_on_the_check_in_page(client, office, now):
    """kiosk@contoh.id logs in and lands on the self-service page; the desk pages refuse it."""
    demo.load_queue_demo()
    response = client.post(
        "/office/login/", {"username": "kiosk@contoh.id", "password": "loket-demo-2026"}
    )
    assert response.status_code == 302
    landing = client.get(response["Location"], follow=True)
    assert landing.redirect_chain[-1][0] == "/office/KRW/kiosk/"
    assert client.get("/office/KRW/desk/").status_code == 403


def test_demo_booking_for_today_can_be_checked_in(office, now):
    """The demo's booking for today is paid and checks in at the desk."""
    office_demo.load_accounts()
    demo.load_queue_demo()
    booking = demo.load_todays_booking()
    assert booking is not None and booking.date == now.date()
    assert booking.status == BookingStatus.CONFIRMED
    assert demo.load_todays_booking().pk == booking.pk
    desk = StaffMembership.objects.get(role="desk").user
    with clock.frozen_at(now):
        ticket = check_in.check_in_booking(
            office=office, code=booking.application_number, confirmed_nik=booking.nik, officer=desk
        )
    assert ticket.display == "A001"
