import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from loket.booking.models import Booking, BookingStatus
from loket.core import clock
from loket.offices.models import CapacityOverride
from tests.conftest import make_nik
from tests.web.conftest import APPOINTMENT, book, pay

DAY = APPOINTMENT.isoformat()


def details_url(day=DAY, window="0900", channel="online"):
    return reverse("web:details", args=["KRW", channel, day, window])


def choose(web, person, **overrides):
    data = {
        "applicant": person.pk,
        "application_type": "new",
        "purpose": "apprenticeship",
        "passport_type": "ordinary",
    }
    data.update(overrides)
    return web.post(details_url(), data)


@pytest.mark.django_db
def test_find_an_office_by_name_or_regency(client, office):
    url = reverse("web:choose_office")
    assert "Karawang" in client.get(url).content.decode()
    assert office.name in client.get(url, {"q": "purwakarta"}).content.decode()
    assert office.name in client.get(url, {"q": "32.14"}).content.decode()
    html = client.get(url, {"q": "Medan"}).content.decode()
    assert office.name not in html and "No office matches" in html


@pytest.mark.django_db
def test_choose_a_service_lists_the_bookable_channels(client, office):
    html = client.get(reverse("web:choose_channel", args=["KRW"])).content.decode()
    assert reverse("web:calendar", args=["KRW", "online"]) in html
    assert reverse("web:calendar", args=["KRW", "paten"]) in html
    assert "priority" not in html.split("<main")[1].lower().split("</main>")[0]


@pytest.mark.django_db
def test_month_calendar_shows_each_state(client, office):
    """Open days link to their windows; past, weekend and closure days do not."""
    html = client.get(reverse("web:calendar", args=["KRW", "online"])).content.decode()
    assert "December 2026" in html
    assert reverse("web:day", args=["KRW", "online", "2026-12-02"]) in html
    assert reverse("web:day", args=["KRW", "online", "2026-12-01"]) not in html  # today
    assert reverse("web:day", args=["KRW", "online", "2026-12-05"]) not in html  # Saturday
    assert reverse("web:day", args=["KRW", "online", "2026-12-31"]) not in html  # closure
    assert "Thursday 31 December: office closed" in html
    assert "Tuesday 1 December: too soon to book" in html


@pytest.mark.django_db
def test_calendar_names_the_next_release(client, office):
    """A month not yet released says when its places come (rolling 30 days at 00:00)."""
    url = reverse("web:calendar", args=["KRW", "online"])
    html = client.get(url, {"month": "2027-01"}).content.decode()
    assert "Monday 4 January: opens 5 December 00:00" in html
    assert "More places are released on Saturday 5 December 2026, 00:00 WIB." in html
    assert reverse("web:day", args=["KRW", "online", "2027-01-05"]) not in html


@pytest.mark.django_db
def test_day_shows_windows_with_places_left(client, office, online, account, person):
    CapacityOverride.objects.create(channel=online, date=APPOINTMENT, capacity=7, reason="test")
    book(account, online, person)  # takes the one place at 09:00
    html = client.get(reverse("web:day", args=["KRW", "online", DAY])).content.decode()
    assert "08:00 to 09:00" in html and "1 place left" in html
    assert details_url(window="0800") in html
    assert details_url(window="0900") not in html  # full
    assert "Full" in html


@pytest.mark.django_db
def test_closed_and_unreleased_days_explain_themselves(client, office):
    html = client.get(reverse("web:day", args=["KRW", "online", "2026-12-31"])).content.decode()
    assert "The office is closed on this day: " in html  # cuti bersama, by its name
    html = client.get(reverse("web:day", args=["KRW", "online", "2026-12-01"])).content.decode()
    assert "This day cannot be booked" in html  # today: too soon, not closed
    html = client.get(reverse("web:day", args=["KRW", "online", "2027-01-04"])).content.decode()
    assert "Places for this day are released on Saturday 5 December 2026, 00:00 WIB." in html


@pytest.mark.django_db
def test_booking_form_needs_a_logged_in_account(client, office):
    response = client.get(details_url())
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


@pytest.mark.django_db
def test_booking_form_without_people_asks_to_add_one(web):
    html = web.get(details_url()).content.decode()
    assert "First add the person" in html
    assert reverse("web:applicant_add") + "?next=" + details_url() in html


@pytest.mark.django_db
def test_booking_form_errors(web, person):
    html = web.post(details_url(), {}).content.decode()
    assert "There is a problem" in html
    for field in ("applicant_0", "application_type_0", "purpose", "passport_type_0"):
        assert f'href="#id_{field}"' in html
    # Lost and damaged are not choices online: they go to the office.
    html = choose(web, person, application_type="lost").content.decode()
    assert 'href="#id_application_type_0"' in html


@pytest.mark.django_db
def test_book_check_pay_and_get_the_proof(web, person, account):
    """The journey: details, check your answers, hold, pay (simulated), proof with a QR."""
    assert web.get(details_url()).status_code == 200
    response = choose(web, person)
    assert response.url == reverse("web:check")
    html = web.get(reverse("web:check")).content.decode()
    for text in (
        "Thursday, 3 December 2026",
        "09:00 to 10:00 WIB",
        "Budi Santoso",
        "new passport",
        "apprenticeship",
        "ordinary passport",
    ):
        assert text in html
    assert not Booking.objects.exists()  # nothing is held before confirming

    response = web.post(reverse("web:check"))
    booking = Booking.objects.get(account=account)
    assert response.url == reverse("web:pay", args=[booking.code])
    html = web.get(response.url).content.decode()
    assert booking.billing_code in html
    assert "Rp650.000" in html
    assert "1 December 2026 11:00 WIB" in html
    assert 'data-seconds-left="7200"' in html
    assert "Simulate payment" in html

    response = web.post(reverse("web:simulate_payment", args=[booking.code]))
    assert response.url == reverse("web:proof", args=[booking.code])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    html = web.get(response.url).content.decode()
    assert booking.application_number in html
    assert "<svg" in html and "What to bring" in html and "@media print" not in html
    assert "Thursday, 3 December 2026" in html
    # The draft is gone: confirming again does not book twice.
    assert web.post(reverse("web:check")).url == reverse("web:choose_office")


@pytest.mark.django_db
def test_qr_on_the_proof_is_the_signed_payload(web, confirmed):
    from loket.booking.proofs import qr_payload, verify_qr

    html = web.get(reverse("web:proof", args=[confirmed.code])).content.decode()
    assert "<svg" in html
    assert verify_qr(qr_payload(confirmed)).pk == confirmed.pk


@pytest.mark.django_db
def test_pay_and_proof_send_to_the_right_page(web, held):
    assert web.get(reverse("web:proof", args=[held.code])).url == reverse(
        "web:pay", args=[held.code]
    )
    assert web.get(reverse("web:booking", args=[held.code])).url == reverse(
        "web:pay", args=[held.code]
    )
    pay(held)
    assert web.get(reverse("web:pay", args=[held.code])).url == reverse(
        "web:proof", args=[held.code]
    )


@pytest.mark.django_db
def test_payment_status_fragment_tells_when_paid(web, held):
    url = reverse("web:payment_status", args=[held.code])
    assert "every 10s" in web.get(url).content.decode()
    pay(held)
    assert reverse("web:proof", args=[held.code]) in web.get(url).content.decode()


@pytest.mark.django_db
def test_full_window_refused_on_the_check_page(web, person, online, other_account, now):
    """Someone takes the last place meanwhile: the check page says so and offers other times."""
    CapacityOverride.objects.create(channel=online, date=APPOINTMENT, capacity=7, reason="test")
    choose(web, person)
    from django.db import transaction

    from loket.accounts.services import save_applicant

    with transaction.atomic():
        other = save_applicant(
            account=other_account,
            nik=make_nik(dt.date(1980, 1, 1), serial=7),
            name="Lain",
            birth_date=dt.date(1980, 1, 1),
            sex="M",
            phone="081200000007",
            domicile_regency="3215",
            today=now.date(),
        )
    book(other_account, online, other)
    html = web.post(reverse("web:check")).content.decode()
    assert "No places are left in this window" in html
    assert reverse("web:day", args=["KRW", "online", DAY]) in html
    assert not Booking.objects.filter(applicant=person).exists()


@pytest.mark.django_db
def test_second_active_booking_for_a_nik_refused(web, held, person):
    choose(web, person)
    html = web.post(reverse("web:check")).content.decode()
    assert "already has an active booking" in html
    assert reverse("web:my_bookings") in html


@pytest.mark.django_db
def test_payment_after_the_deadline_is_refused(web, held, now):
    with clock.frozen_at(now + dt.timedelta(hours=3)):
        html = web.get(reverse("web:pay", args=[held.code])).content.decode()
        assert "The time to pay has run out" in html
        assert "Simulate payment" not in html
        response = web.post(reverse("web:simulate_payment", args=[held.code]), follow=True)
    assert "payment deadline of this billing code has passed" in response.content.decode()
    held.refresh_from_db()
    assert held.status == BookingStatus.AWAITING_PAYMENT


@pytest.mark.django_db
def test_simulated_payment_can_be_switched_off(web, held, settings):
    settings.LOKET_DEMO_PAYMENTS = False
    assert "Simulate payment" not in web.get(reverse("web:pay", args=[held.code])).content.decode()
    assert web.post(reverse("web:simulate_payment", args=[held.code])).status_code == 404


@pytest.mark.django_db
def test_my_bookings_and_cancel(web, confirmed):
    html = web.get(reverse("web:my_bookings")).content.decode()
    assert confirmed.code in html and "confirmed" in html
    assert reverse("web:cancel", args=[confirmed.code]) in html
    assert reverse("web:reschedule", args=[confirmed.code]) in html
    assert "Yes, cancel" in web.get(reverse("web:cancel", args=[confirmed.code])).content.decode()
    response = web.post(reverse("web:cancel", args=[confirmed.code]))
    assert response.url == reverse("web:my_bookings")
    confirmed.refresh_from_db()
    assert confirmed.status == BookingStatus.CANCELLED
    html = web.get(reverse("web:my_bookings")).content.decode()
    assert reverse("web:cancel", args=[confirmed.code]) not in html
    html = web.post(reverse("web:cancel", args=[confirmed.code])).content.decode()
    assert "no longer active" in html


@pytest.mark.django_db
def test_reschedule_once(web, confirmed):
    """A booking moves once; the second attempt is refused with the rule explained."""
    html = web.get(reverse("web:reschedule", args=[confirmed.code])).content.decode()
    assert "You can reschedule once" in html
    new_day = reverse("web:reschedule_day", args=[confirmed.code, "2026-12-04"])
    assert new_day in html
    assert "10:00 to 11:00" in web.get(new_day).content.decode()
    html = web.post(new_day, {}).content.decode()
    assert "Choose an arrival window." in html
    response = web.post(new_day, {"window": "1000"})
    assert response.url == reverse("web:booking", args=[confirmed.code])
    confirmed.refresh_from_db()
    assert (confirmed.date, confirmed.window_start) == (dt.date(2026, 12, 4), dt.time(10, 0))
    html = web.get(reverse("web:reschedule", args=[confirmed.code])).content.decode()
    assert "already been rescheduled once" in html
    html = web.get(reverse("web:my_bookings")).content.decode()
    assert "already been rescheduled once" in html
    html = web.post(new_day, {"window": "1100"}).content.decode()
    assert "already been rescheduled once" in html


@pytest.mark.django_db
def test_reschedule_refused_on_the_appointment_day(web, confirmed, now):
    """After H-1 the page explains the rule, and a POST sent anyway is refused."""
    on_the_day = dt.datetime(2026, 12, 3, 7, 0, tzinfo=now.tzinfo)
    with clock.frozen_at(on_the_day):
        html = web.get(reverse("web:reschedule", args=[confirmed.code])).content.decode()
        assert "no later than the day before the appointment" in html
        response = web.post(
            reverse("web:reschedule_day", args=[confirmed.code, "2026-12-07"]), {"window": "1000"}
        )
        assert "no later than the day before" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.date == APPOINTMENT


@pytest.mark.django_db
def test_reschedule_allowed_on_the_day_before(web, confirmed, now):
    """H-1 is the last day a booking may move (the foundation's rule)."""
    day_before = dt.datetime(2026, 12, 2, 15, 0, tzinfo=now.tzinfo)
    with clock.frozen_at(day_before):
        response = web.post(
            reverse("web:reschedule_day", args=[confirmed.code, "2026-12-07"]), {"window": "1000"}
        )
    assert response.status_code == 302


@pytest.mark.django_db
def test_another_accounts_booking_is_404(client, confirmed, other_account):
    client.force_login(other_account)
    for name in ("web:pay", "web:proof", "web:cancel", "web:reschedule", "web:booking"):
        assert client.get(reverse(name, args=[confirmed.code])).status_code == 404
    assert client.post(reverse("web:cancel", args=[confirmed.code])).status_code == 404
    assert client.post(reverse("web:simulate_payment", args=[confirmed.code])).status_code == 404


@pytest.mark.django_db
def test_csrf_is_enforced_on_booking_actions(account, held, person):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(account)
    posts = [
        details_url(),
        reverse("web:check"),
        reverse("web:simulate_payment", args=[held.code]),
        reverse("web:cancel", args=[held.code]),
        reverse("web:reschedule_day", args=[held.code, "2026-12-04"]),
        reverse("web:applicant_add"),
        reverse("web:logout"),
    ]
    for url in posts:
        assert csrf_client.post(url, {"window": "1000"}).status_code == 403, url
    held.refresh_from_db()
    assert held.status == BookingStatus.AWAITING_PAYMENT


@pytest.mark.django_db
def test_errors_in_indonesian(client, office):
    """A service's refusal is shown in the user's language (here Django's own password rules)."""
    client.post(reverse("web:set_language"), {"language": "id"})
    html = client.post(
        reverse("web:register"), {"email": "ani@contoh.id", "password": "12345678901"}
    ).content.decode()
    assert '<html lang="id">' in html
    assert "Kata sandi ini seluruhnya terdiri dari angka." in html


@pytest.mark.django_db
def test_a_closed_day_is_refused_by_the_service(web, person):
    """A hand-made address for a closed day gets as far as the check page, which refuses it."""
    web.post(
        reverse("web:details", args=["KRW", "online", "2026-12-31", "0900"]),
        {
            "applicant": person.pk,
            "application_type": "new",
            "purpose": "tourism",
            "passport_type": "ordinary",
        },
    )
    html = web.post(reverse("web:check")).content.decode()
    assert "The office is closed on this date" in html
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_reschedule_into_a_full_window_keeps_the_old_place(
    web, confirmed, online, other_account, now
):
    """If the new window filled up meanwhile, the page says so and the booking stays put."""
    from django.db import transaction

    from loket.accounts.services import save_applicant

    new_day = dt.date(2026, 12, 4)
    CapacityOverride.objects.create(channel=online, date=new_day, capacity=7, reason="test")
    with transaction.atomic():
        other = save_applicant(
            account=other_account,
            nik=make_nik(dt.date(1980, 1, 1), serial=7),
            name="Lain",
            birth_date=dt.date(1980, 1, 1),
            sex="M",
            phone="081200000007",
            domicile_regency="3215",
            today=now.date(),
        )
    book(other_account, online, other, day=new_day, window=dt.time(10, 0))
    html = web.post(
        reverse("web:reschedule_day", args=[confirmed.code, new_day.isoformat()]),
        {"window": "1000"},
    ).content.decode()
    assert "No places are left in this window" in html
    confirmed.refresh_from_db()
    assert (confirmed.date, confirmed.reschedule_count) == (APPOINTMENT, 0)


@pytest.mark.django_db
def test_pay_page_of_a_cancelled_booking_says_so(web, held, account):
    from loket.booking.services import cancel_booking

    cancel_booking(account=account, code=held.code)
    html = web.get(reverse("web:pay", args=[held.code])).content.decode()
    assert "This booking is cancelled." in html
    assert "Simulate payment" not in html


@pytest.mark.django_db
def test_a_full_day_shows_full_and_leads_to_its_waiting_list(client, online, account, person):
    """When every window of a day is taken, the calendar says "full"; the day's page has no
    window to choose, only the waiting list."""
    CapacityOverride.objects.create(channel=online, date=APPOINTMENT, capacity=1, reason="test")
    book(account, online, person, window=dt.time(8, 0))
    html = client.get(reverse("web:calendar", args=["KRW", "online"])).content.decode()
    assert "Thursday 3 December: full" in html
    assert reverse("web:day", args=["KRW", "online", DAY]) in html
    html = client.get(reverse("web:day", args=["KRW", "online", DAY])).content.decode()
    assert "This day is full." in html
    assert reverse("web:waitlist_join", args=["KRW", "online", DAY]) in html
    assert f"/book/KRW/online/{DAY}/0800/" not in html
