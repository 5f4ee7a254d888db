"""The waiting list: FIFO offers that hold a freed place, accepted into a booking or passed on."""

import datetime as dt

import pytest
from django.db import transaction

from loket.accounts.services import save_applicant
from loket.booking.models import BookingStatus
from loket.booking.services import (
    ActiveBookingExists,
    cancel_booking,
    expire_overdue_holds,
    reschedule_booking,
)
from loket.capacity.integrity import find_drift
from loket.core import clock
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from loket.offices.models import CapacityOverride
from loket.offices.services import apply_capacity_configuration
from loket.waitlist import selectors
from loket.waitlist.models import EntryStatus, WaitlistEntry
from loket.waitlist.services import (
    AlreadyWaiting,
    ApplicantNotFound,
    DayNotFull,
    EntryNotOpen,
    OfferNotOpen,
    accept_offer,
    decline_offer,
    expire_lapsed_offers,
    leave_waitlist,
)
from tests.conftest import DEFAULT_NOW
from tests.helpers import book, pay, person, slot_of
from tests.waitlist.conftest import EIGHT, THURSDAY, add_person, join, new_account

FRIDAY = dt.date(2026, 12, 4)


@pytest.fixture
def full_day(online, one_place, account):
    """Thursday's one place is booked (unpaid) by `account`'s first person."""
    return book(account, online, day=THURSDAY, window=EIGHT, serial=1)


@pytest.fixture
def waiters(online, full_day):
    """Two other accounts wait for Thursday, in this order."""
    first, second = new_account(1), new_account(2)
    a = join(first, online, add_person(first, 11))
    b = join(second, online, add_person(second, 12))
    return a, b


def refreshed(entry):
    return WaitlistEntry.objects.get(pk=entry.pk)


def test_a_day_with_free_places_cannot_be_waited_for(online, one_place, account):
    """Joining while a place is free is refused: book it instead."""
    with pytest.raises(DayNotFull):
        join(account, online, add_person(account, 5))
    assert WaitlistEntry.objects.count() == 0


def test_joining_a_full_day_puts_people_in_line_in_join_order(online, waiters):
    """Each person's position is their place in line by join order."""
    a, b = waiters
    positions = {e.pk: e.position for e in selectors.list_account_entries(account=a.account)}
    assert positions == {a.pk: 1}
    assert selectors.list_account_entries(account=b.account)[0].position == 2
    assert AuditEvent.objects.filter(action="waitlist.joined").count() == 2


def test_one_entry_per_nik_per_day(online, waiters):
    """The same person cannot join the same day twice."""
    a, _ = waiters
    with pytest.raises(AlreadyWaiting):
        join(a.account, online, a.applicant)


def test_a_person_with_an_active_booking_cannot_wait(online, full_day, account):
    """A NIK that already holds a booking is refused a place in line."""
    with pytest.raises(ActiveBookingExists):
        join(account, online, full_day.applicant)


def test_only_the_account_s_own_people_can_wait(online, full_day):
    """Another account's person is not found."""
    stranger = new_account(9)
    with pytest.raises(ApplicantNotFound):
        join(stranger, online, full_day.applicant)


def test_a_cancellation_offers_the_place_to_the_first_in_line(online, full_day, waiters, account):
    """The freed place goes straight to the first person waiting and stays taken for them."""
    a, b = waiters
    cancel_booking(account=account, code=full_day.code)
    a, b = refreshed(a), refreshed(b)
    assert a.status == EntryStatus.OFFERED
    assert a.slot == slot_of(online, THURSDAY, EIGHT)
    assert a.offer_expires_at == DEFAULT_NOW + dt.timedelta(hours=2)
    assert b.status == EntryStatus.WAITING
    assert selectors.list_account_entries(account=b.account)[0].position == 1
    assert slot_of(online, THURSDAY, EIGHT).used == 1  # held by the offer
    assert find_drift() == []
    mail = OutboxMessage.objects.get(recipient=a.account.email)
    # In the site's language (Bahasa Indonesia), whoever's request freed the place.
    assert mail.subject == "Ada tempat kosong untuk Pemohon 11 pada 03-12-2026"
    assert "sampai 1 Desember 2026 11:00 WIB" in mail.body and "08:00" in mail.body
    assert "http://127.0.0.1:8000/bookings/" in mail.body  # where to accept it
    assert AuditEvent.objects.filter(action="waitlist.offered", object_id=str(a.pk)).exists()


def test_an_offer_can_be_configured_to_hold_longer(online, full_day, waiters, account, settings):
    """LOKET_WAITLIST_OFFER_MINUTES sets how long an offer holds its place."""
    settings.LOKET_WAITLIST_OFFER_MINUTES = 30
    cancel_booking(account=account, code=full_day.code)
    a = refreshed(waiters[0])
    assert a.offer_expires_at == DEFAULT_NOW + dt.timedelta(minutes=30)


def test_accepting_an_offer_books_the_held_place(online, full_day, waiters, account):
    """Accepting creates a booking awaiting payment in the held place; no place is taken twice."""
    a, _ = waiters
    cancel_booking(account=account, code=full_day.code)
    booking = accept_offer(account=a.account, entry_id=a.pk)
    assert booking.status == BookingStatus.AWAITING_PAYMENT
    assert (booking.date, booking.window_start) == (THURSDAY, EIGHT)
    assert booking.nik == a.nik
    assert refreshed(a).status == EntryStatus.ACCEPTED
    assert refreshed(a).booking == booking
    assert slot_of(online, THURSDAY, EIGHT).used == 1
    assert find_drift() == []
    assert pay(booking).status == BookingStatus.CONFIRMED
    with pytest.raises(OfferNotOpen):
        accept_offer(account=a.account, entry_id=a.pk)


def test_declining_passes_the_place_to_the_next(online, full_day, waiters, account):
    """A declined offer is offered to the next person in line, still holding the same place."""
    a, b = waiters
    cancel_booking(account=account, code=full_day.code)
    decline_offer(account=a.account, entry_id=a.pk)
    assert refreshed(a).status == EntryStatus.DECLINED
    assert refreshed(b).status == EntryStatus.OFFERED
    assert slot_of(online, THURSDAY, EIGHT).used == 1
    with pytest.raises(OfferNotOpen):
        decline_offer(account=a.account, entry_id=a.pk)


def test_an_unanswered_offer_passes_on_when_it_expires(online, full_day, waiters, account):
    """After the offer's time the worker passes the place to the next; a late accept fails."""
    a, b = waiters
    cancel_booking(account=account, code=full_day.code)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=1)):
        assert expire_lapsed_offers() == 0
    later = DEFAULT_NOW + dt.timedelta(hours=2, minutes=1)
    with clock.frozen_at(later):
        with pytest.raises(OfferNotOpen):
            accept_offer(account=a.account, entry_id=a.pk)
        assert expire_lapsed_offers() == 1
        assert refreshed(a).status == EntryStatus.EXPIRED
        b = refreshed(b)
        assert b.status == EntryStatus.OFFERED
        assert b.offer_expires_at == later + dt.timedelta(hours=2)
    assert slot_of(online, THURSDAY, EIGHT).used == 1


def test_with_nobody_left_the_place_returns_to_the_ledger(online, full_day, waiters, account):
    """When the last person declines, the place is free again for anyone to book."""
    a, b = waiters
    cancel_booking(account=account, code=full_day.code)
    decline_offer(account=a.account, entry_id=a.pk)
    leave_waitlist(account=b.account, entry_id=b.pk)
    assert refreshed(b).status == EntryStatus.LEFT
    assert slot_of(online, THURSDAY, EIGHT).used == 0
    booking = book(account, online, day=THURSDAY, window=EIGHT, serial=3)
    assert booking.status == BookingStatus.AWAITING_PAYMENT


def test_a_cancellation_with_nobody_waiting_frees_the_place(online, full_day, account):
    """No waiting list: the place simply returns."""
    cancel_booking(account=account, code=full_day.code)
    assert slot_of(online, THURSDAY, EIGHT).used == 0


def test_leaving_twice_is_refused(online, waiters):
    """An entry that has left cannot leave again."""
    a, _ = waiters
    leave_waitlist(account=a.account, entry_id=a.pk)
    with pytest.raises(EntryNotOpen):
        leave_waitlist(account=a.account, entry_id=a.pk)


def test_an_expired_payment_hold_offers_its_place(online, full_day, waiters):
    """An unpaid booking that runs out frees its place into the first offer."""
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=2, minutes=1)):
        assert expire_overdue_holds() == 1
    assert refreshed(waiters[0]).status == EntryStatus.OFFERED
    assert slot_of(online, THURSDAY, EIGHT).used == 1


def test_rescheduling_away_offers_the_old_place(online, full_day, waiters, account):
    """A booking moved to another day frees its old place into an offer."""
    reschedule_booking(account=account, code=full_day.code, day=FRIDAY, window_start=EIGHT)
    assert refreshed(waiters[0]).status == EntryStatus.OFFERED
    assert slot_of(online, THURSDAY, EIGHT).used == 1
    assert find_drift() == []


def test_raising_capacity_offers_the_new_places_in_order(online, full_day, waiters):
    """Two more places on the day: both people waiting get an offer at once."""
    CapacityOverride.objects.filter(channel=online, date=THURSDAY).update(capacity=3)
    apply_capacity_configuration(channel=online)
    assert {refreshed(e).status for e in waiters} == {EntryStatus.OFFERED}
    assert sum(s.used for s in online.slots.filter(date=THURSDAY)) == 3
    assert find_drift() == []


def test_a_person_who_booked_elsewhere_is_skipped(online, full_day, waiters, account):
    """Someone in line who meanwhile booked another day is passed over, keeping their entry."""
    a, b = waiters
    same = person(dt.date(1990, 1, 1), serial=11, name="Pemohon 11")  # as on the list
    other = book(a.account, online, day=FRIDAY, applicant=same)
    cancel_booking(account=account, code=full_day.code)
    assert refreshed(a).status == EntryStatus.WAITING
    assert refreshed(b).status == EntryStatus.OFFERED
    assert other.status == BookingStatus.AWAITING_PAYMENT


def test_accepting_closes_the_person_s_other_places_in_line(online, full_day, waiters, account):
    """Once booked through an offer, the person's other waiting entries are closed."""
    a, _ = waiters
    CapacityOverride.objects.create(channel=online, date=FRIDAY, capacity=1)
    book(account, online, day=FRIDAY, window=EIGHT, serial=2)
    friday_entry = join(a.account, online, a.applicant, day=FRIDAY)
    cancel_booking(account=account, code=full_day.code)
    accept_offer(account=a.account, entry_id=a.pk)
    assert refreshed(friday_entry).status == EntryStatus.CLOSED


def test_the_worker_expires_lapsed_offers(online, full_day, waiters, account, monkeypatch):
    """One round of the background worker passes an unanswered offer on."""
    from io import StringIO

    from django.core.management import call_command

    from loket.notifications.management.commands import run_worker

    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    a, b = waiters
    cancel_booking(account=account, code=full_day.code)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=3)):
        out = StringIO()
        call_command("run_worker", "--once", stdout=out)
    assert "1 waiting-list offer(s)" in out.getvalue()
    assert refreshed(a).status == EntryStatus.EXPIRED
    assert refreshed(b).status == EntryStatus.OFFERED


def test_check_ledger_counts_open_offers_as_holders(online, full_day, waiters, account):
    """`manage.py check_ledger` finds no drift while an offer holds a place."""
    from io import StringIO

    from django.core.management import call_command

    cancel_booking(account=account, code=full_day.code)
    out = StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on any drift
    assert "Ledger clean" in out.getvalue()
    assert slot_of(online, THURSDAY, EIGHT).used == 1


@pytest.mark.parametrize(
    "change",
    [
        {"application_type": "lost"},
        {"application_type": "diplomatic"},
        {"purpose": "holiday"},
        {"passport_type": "golden"},
        {"day": dt.date(2026, 11, 30)},
        {"day": dt.date(2026, 12, 25)},
        {"day": dt.date(2027, 3, 1)},
    ],
)
def test_the_waiting_list_refuses_what_booking_refuses(online, change):
    """Joining a waiting list and booking run the same check_bookable: the same refusal."""
    from loket.booking.services import book_appointment
    from loket.waitlist.services import join_waitlist
    from tests.helpers import person

    account = new_account(99)
    applicant = add_person(account, 99)
    args = {
        "channel": online,
        "day": THURSDAY,
        "application_type": "new",
        "purpose": "tourism",
        "passport_type": "ordinary",
        **change,
    }
    with pytest.raises(Exception) as booking_refusal:
        book_appointment(
            account=account, window_start=dt.time(8, 0), applicant=person(serial=99), **args
        )
    with pytest.raises(Exception) as waitlist_refusal:
        join_waitlist(account=account, applicant_id=applicant.pk, **args)
    assert type(waitlist_refusal.value) is type(booking_refusal.value)
    assert str(waitlist_refusal.value) == str(booking_refusal.value)


def test_a_stranger_s_waitlist_join_does_not_reveal_a_live_booking(online, full_day):
    """Another account adding the same NIK (any name) to its family list and joining the
    waiting list is told only that the identity is not confirmed, as for a wrong name."""
    from loket.identity.registry import IdentityNotConfirmed

    stranger = new_account(8)
    booked = full_day.applicant
    with transaction.atomic():
        same_person = save_applicant(
            account=stranger,
            nik=booked.nik,
            name=booked.name,
            birth_date=booked.birth_date,
            sex=booked.sex,
            phone="081234567890",
            domicile_regency="3215",
            today=dt.date(2026, 12, 1),
        )
    with pytest.raises(IdentityNotConfirmed):
        join(stranger, online, same_person)
