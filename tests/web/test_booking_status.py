"""Every page that shows a booking shows its real status; the desk refuses a void booking."""

import pytest
from django.urls import reverse

from loket.booking.services import cancel_booking, expire_overdue_holds
from loket.core import clock
from loket.queue import check_in, errors, office_setup
from tests.queue.conftest import make_staff
from tests.web.conftest import APPOINTMENT

pytestmark = pytest.mark.django_db


def indonesian(client):
    client.post(reverse("web:set_language"), {"language": "id"})
    return client


def test_a_confirmed_proof_shows_the_qr_and_the_payment(web, confirmed):
    html = indonesian(web).get(reverse("web:proof", args=[confirmed.code])).content.decode()
    assert "sudah terkonfirmasi" in html and "<svg" in html and "Dibayar" in html


def test_a_cancelled_proof_says_cancelled_without_qr_or_paid(web, confirmed, account):
    """After a cancel the proof page says so: no "confirmed", no QR code, no "paid"."""
    cancel_booking(account=account, code=confirmed.code)
    html = indonesian(web).get(reverse("web:proof", args=[confirmed.code])).content.decode()
    assert "Pendaftaran ini dibatalkan" in html
    assert "sudah terkonfirmasi" not in html
    assert "<svg" not in html and "qr-code" not in html
    assert "Dibayar" not in html
    assert confirmed.application_number in html  # still identifiable


def test_my_bookings_shows_status_and_no_proof_link_for_a_cancelled_booking(
    web, confirmed, account
):
    cancel_booking(account=account, code=confirmed.code)
    html = indonesian(web).get(reverse("web:my_bookings")).content.decode()
    assert "Dibatalkan" in html or "dibatalkan" in html
    assert "Bukti pendaftaran" not in html
    assert reverse("web:proof", args=[confirmed.code]) in html  # "Rincian", not a proof


def test_an_expired_booking_says_expired(web, held, now):
    with clock.frozen_at(held.pay_before + (held.pay_before - now)):
        expire_overdue_holds()
        html = indonesian(web).get(reverse("web:pay", args=[held.code])).content.decode()
    assert "kedaluwarsa" in html.lower()


@pytest.fixture
def desk_user(office):
    office_setup.ensure_office_queue(office=office)
    return make_staff(office, "meja@contoh.id", "desk")


def test_the_desk_refuses_a_cancelled_booking_with_a_clear_message(
    client, confirmed, account, desk_user
):
    """Typed at the desk, a cancelled booking's code is refused at once (no NIK to type), and
    the service refuses it too, whatever the page does."""
    cancel_booking(account=account, code=confirmed.code)
    with clock.frozen_at(clock.at_local(APPOINTMENT, confirmed.window_start, "Asia/Jakarta")):
        client.force_login(desk_user)  # staff sessions end after idle time: log in on the day
        page = client.get(reverse("queue:desk", args=["KRW"]), {"code": confirmed.code})
        html = page.content.decode()
        assert "was cancelled" in html and "no longer valid" in html
        assert 'name="nik"' not in html
        with pytest.raises(errors.BookingCancelled):
            check_in.check_in_booking(
                office=confirmed.office,
                code=confirmed.application_number,
                confirmed_nik=confirmed.nik,
                officer=desk_user,
            )


def test_the_desk_refuses_an_expired_booking(client, held, desk_user, now):
    with clock.frozen_at(held.pay_before + (held.pay_before - now)):
        expire_overdue_holds()
    client.force_login(desk_user)
    html = client.get(reverse("queue:desk", args=["KRW"]), {"code": held.code}).content.decode()
    assert "expired" in html and "no longer valid" in html
    with pytest.raises(errors.BookingExpired):
        check_in.check_in_booking(
            office=held.office, code=held.code, confirmed_nik=held.nik, officer=desk_user
        )
