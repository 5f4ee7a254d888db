"""The waiting list's pages: join from a full day, see the place in line, answer an offer."""

import datetime as dt

import pytest

from loket.booking.services import cancel_booking
from loket.core import clock
from loket.core.models import AuditEvent
from loket.offices.models import CapacityOverride
from loket.waitlist.models import EntryStatus, WaitlistEntry
from tests.conftest import DEFAULT_NOW
from tests.waitlist.conftest import EIGHT, THURSDAY, add_person, join, new_account
from tests.web.conftest import book

DAY_URL = f"/book/KRW/online/{THURSDAY.isoformat()}/"
JOIN_URL = DAY_URL + "waitlist/"


@pytest.fixture
def full_day(online):
    """Thursday's one place is held by someone else."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    holder = new_account(7)
    return holder, book(holder, online, add_person(holder, 70), day=THURSDAY, window=EIGHT)


def join_form(person):
    return {
        "applicant": person.pk,
        "application_type": "new",
        "purpose": "tourism",
        "passport_type": "ordinary",
    }


def test_a_full_day_offers_the_waiting_list(web, full_day):
    page = web.get(DAY_URL).content.decode()
    assert "This day is full." in page
    assert JOIN_URL in page


def test_an_open_day_does_not_offer_the_waiting_list(web, office):
    assert JOIN_URL not in web.get(DAY_URL).content.decode()


def test_joining_needs_a_logged_in_account(client, full_day):
    r = client.get(JOIN_URL)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_join_then_see_the_place_in_line(web, full_day, person):
    """Joining leads to "My bookings", which shows the entry and its place in line."""
    assert "Wait for a place on this day" in web.get(JOIN_URL).content.decode()
    r = web.post(JOIN_URL, join_form(person))
    assert r.status_code == 302 and r["Location"].endswith("/bookings/#waiting-lists")
    page = web.get("/bookings/").content.decode()
    assert "My waiting lists" in page
    assert "Place in line" in page
    assert WaitlistEntry.objects.get().status == EntryStatus.WAITING


def test_joining_a_day_with_places_shows_the_reason(web, office, online, person):
    r = web.post(JOIN_URL, join_form(person))
    assert r.status_code == 200
    assert "This day still has free places" in r.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_a_missing_answer_is_pointed_at(web, full_day, person):
    r = web.post(JOIN_URL, {"applicant": person.pk})
    page = r.content.decode()
    assert "There is a problem" in page and "Choose the purpose of travel." in page


def test_an_offer_shows_a_countdown_and_can_be_accepted(web, account, full_day, person, online):
    """After a cancellation the offer is on "My bookings"; accepting leads to the payment."""
    holder, held = full_day
    entry = join(account, online, person)
    cancel_booking(account=holder, code=held.code)
    page = web.get("/bookings/").content.decode()
    assert "Accept the place" in page and 'data-seconds-left="7200"' in page
    assert "web/loket.js" in page
    r = web.post(f"/waitlist/{entry.pk}/accept/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACCEPTED
    assert r["Location"] == f"/bookings/{entry.booking.code}/pay/"


def test_a_lapsed_offer_cannot_be_accepted(web, account, full_day, person, online):
    holder, held = full_day
    entry = join(account, online, person)
    cancel_booking(account=holder, code=held.code)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=3)):
        r = web.post(f"/waitlist/{entry.pk}/accept/", follow=True)
    assert "This offer is no longer open" in r.content.decode()


def test_decline_and_leave_from_my_bookings(web, account, full_day, person, online):
    holder, held = full_day
    entry = join(account, online, person)
    r = web.post(f"/waitlist/{entry.pk}/decline/", follow=True)
    assert "This offer is no longer open" in r.content.decode()
    r = web.post(f"/waitlist/{entry.pk}/leave/", follow=True)
    assert "You have left the waiting list." in r.content.decode()
    assert AuditEvent.objects.filter(action="waitlist.left").exists()


def test_answers_need_post(web, account, full_day, person, online):
    entry = join(account, online, person)
    assert web.get(f"/waitlist/{entry.pk}/leave/").status_code == 405


def test_another_account_s_entry_cannot_be_answered(web, full_day, online):
    stranger = new_account(8)
    entry = join(stranger, online, add_person(stranger, 80))
    r = web.post(f"/waitlist/{entry.pk}/leave/", follow=True)
    assert "There is no such waiting-list entry." in r.content.decode()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING


def test_a_person_is_removed_from_the_family_page(web, person):
    assert f"/accounts/family/{person.pk}/remove/" in web.get("/accounts/family/").content.decode()
    assert (
        "Remove Budi Santoso from your list?"
        in web.get(f"/accounts/family/{person.pk}/remove/").content.decode()
    )
    r = web.post(f"/accounts/family/{person.pk}/remove/")
    assert r.status_code == 302
    assert web.get(f"/accounts/family/{person.pk}/remove/").status_code == 404


def test_a_person_with_a_booking_is_not_removed(web, account, person, online):
    book(account, online, person)
    r = web.post(f"/accounts/family/{person.pk}/remove/")
    assert r.status_code == 409
    assert "has an active booking" in r.content.decode()


def test_the_waiting_list_speaks_bahasa_indonesia_by_default(account, full_day, person, online):
    """Without a language choice the pages are in Bahasa Indonesia, offer and buttons included."""
    from django.test import Client

    holder, held = full_day
    join(account, online, person)
    cancel_booking(account=holder, code=held.code)
    client = Client()
    client.force_login(account)
    page = client.get("/bookings/").content.decode()
    assert "Daftar tunggu saya" in page and "Terima tempat ini" in page and "Tolak" in page
    assert "Sisa waktu untuk menjawab" in page
    calendar = client.get("/book/KRW/online/?month=2026-12").content.decode()
    assert "buka hari itu untuk masuk daftar tunggunya" in calendar
    assert "Masuk daftar tunggu" in client.get(DAY_URL).content.decode()


def test_my_bookings_reads_entries_in_a_fixed_number_of_queries(web, account, full_day, online):
    """More waiting-list entries do not mean more queries (no N+1 in the template)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.web.conftest import BIRTH

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web.get("/bookings/").status_code == 200
        return len(ctx.captured_queries)

    join(account, online, add_person(account, 31, BIRTH))
    one = count()
    for serial in (32, 33):
        join(account, online, add_person(account, serial, BIRTH))
    assert count() == one


def test_the_calendar_links_a_full_day_to_its_waiting_list(web, full_day):
    """A full day on the month calendar opens the day page, where the waiting list is."""
    page = web.get("/book/KRW/online/?month=2026-12").content.decode()
    assert f'href="{DAY_URL}"' in page
    assert "open the day to join its waiting list" in page
