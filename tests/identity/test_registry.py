"""Someone else's NIK: only the person the registry knows by NIK, name and birth date can be
booked; the refusal does not tell a stranger whether the NIK has a live booking; the desk
releases a place another account holds when the KTP's owner shows up."""

import datetime as dt
import json

import pytest

from loket.booking.models import BookingStatus
from loket.core.models import AuditEvent
from loket.identity import registry
from loket.identity.models import ResidentRecord
from loket.queue.models import StaffRole
from tests.conftest import make_nik
from tests.helpers import WEDNESDAY, assert_ledger_matches_bookings, book, pay, person, slot_of

OWNER = person(name="Dewi Lestari", sex="F", birth=dt.date(1995, 6, 25), serial=7)


@pytest.fixture
def resident(db, now):
    """The registry knows the NIK's owner (the demo's people are recorded the same way)."""
    registry.LocalRegistry().record_checked_ktp(
        nik=OWNER.nik, name=OWNER.name, birth_date=OWNER.birth_date, source="demo"
    )


def as_someone_else(name="Orang Lain"):
    from dataclasses import replace

    return replace(OWNER, name=name)


def test_a_stranger_cannot_book_someone_elses_nik(online, account, resident):
    """Before: any account could book any valid NIK. Now the name must match the registry."""
    with pytest.raises(registry.IdentityNotConfirmed) as exc:
        book(account, online, applicant=as_someone_else())
    assert (exc.value.code, exc.value.status) == ("identity_not_confirmed", 422)
    assert not account.bookings.exists()


def test_the_owner_books_names_compared_loosely(online, account, resident):
    booking = book(account, online, applicant=as_someone_else("  dewi   LESTARI "))
    assert booking.status == BookingStatus.AWAITING_PAYMENT


def test_a_wrong_birth_date_is_refused(online, account, resident):
    from dataclasses import replace

    other_day = replace(OWNER, birth_date=dt.date(1995, 6, 26), nik=OWNER.nik)
    with pytest.raises(Exception) as exc:  # the NIK's own date disagrees first
        book(account, online, applicant=other_day)
    assert exc.value.code in ("nik_invalid", "identity_not_confirmed")
    assert not registry.LocalRegistry().check(
        nik=OWNER.nik, name=OWNER.name, birth_date=dt.date(1995, 6, 26)
    )


def test_the_refusal_is_the_same_whether_or_not_the_nik_is_booked(
    client, online, account, other_account, resident, token
):
    """A stranger gets one answer for "wrong name" and for "booked by another account": the
    answer tells nothing about anyone's bookings. Only the account holding the booking hears
    `active_booking_exists`."""
    from loket.accounts.services import issue_token

    def attempt(tok, applicant):
        body = {
            "office": "KRW",
            "channel": "online",
            "date": "2026-12-03",
            "window": "09:00",
            "application_type": "new",
            "purpose": "tourism",
            "passport_type": "ordinary",
            "applicant": {
                "nik": applicant.nik,
                "name": applicant.name,
                "birth_date": applicant.birth_date.isoformat(),
                "sex": applicant.sex,
                "phone": applicant.phone,
                "domicile_regency": applicant.domicile_regency,
            },
        }
        r = client.post(
            "/api/v1/bookings",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tok}",
        )
        return r.status_code, r.json()

    stranger = issue_token(email="siti@contoh.id", password="rahasia-panjang-2")
    before = attempt(stranger, as_someone_else())
    book(account, online, applicant=OWNER)
    wrong_name = attempt(stranger, as_someone_else())
    right_name = attempt(stranger, OWNER)
    assert before == wrong_name == right_name
    assert before[0] == 422 and before[1]["code"] == "identity_not_confirmed"
    own = attempt(token, OWNER)
    assert own[0] == 409 and own[1]["code"] == "active_booking_exists"


def test_an_unknown_nik_is_refused_without_local_enrolment(online, account, settings):
    settings.LOKET_IDENTITY_LOCAL_ENROL = False
    with pytest.raises(registry.IdentityNotConfirmed):
        book(account, online, applicant=person(serial=3))


def test_local_enrolment_binds_the_first_details(online, account, other_account, settings):
    """Development: a NIK unknown locally is recorded by its first booking."""
    assert settings.LOKET_IDENTITY_LOCAL_ENROL is True
    book(account, online, applicant=person(serial=4, name="Budi"))
    assert ResidentRecord.objects.get(nik=person(serial=4).nik).source == "enrolled"
    assert not registry.LocalRegistry().check(
        nik=person(serial=4).nik, name="Bukan Budi", birth_date=person(serial=4).birth_date
    )


def test_the_verifier_is_chosen_by_a_setting(online, account, settings):
    settings.LOKET_IDENTITY_VERIFIER = "tests.identity.test_registry.RefuseAll"
    with pytest.raises(registry.IdentityNotConfirmed):
        book(account, online, applicant=person(serial=5))
    assert isinstance(registry.get_verifier(), registry.IdentityVerifier)


class RefuseAll:
    def check(self, *, nik, name, birth_date):
        return False


@pytest.fixture
def desk(office):
    from loket.accounts.models import User
    from loket.queue import staff_roles

    user = User.objects.create_user("meja@contoh.id", "rahasia-staf-123", is_staff=True)
    staff_roles.grant_role(user=user, office=office, role=StaffRole.DESK)
    return user


def test_the_desk_releases_a_squatted_place(client, online, account, other_account, desk, now):
    """Someone booked (and paid) with Dewi's NIK before she did; the desk checks her KTP and
    releases it: cancelled through the lifecycle, the place freed, the audit naming the
    account that held it, the payment on the refund list, and Dewi can book."""
    squatter = person(name="Nama Palsu", sex="F", birth=dt.date(1995, 6, 25), serial=7)
    held = pay(book(other_account, online, applicant=squatter))
    assert slot_of(online, WEDNESDAY).used == 1
    with pytest.raises(registry.IdentityNotConfirmed):  # the owner is refused online
        book(account, online, applicant=OWNER)
    client.force_login(desk)
    response = client.post(
        "/office/KRW/desk/release-nik/",
        {
            "nik": OWNER.nik,
            "name": OWNER.name,
            "birth_date": OWNER.birth_date.isoformat(),
            "ktp_checked": "on",
        },
    )
    assert response.status_code == 200, response.content.decode()[-800:]
    assert held.code in response.content.decode()
    held.refresh_from_db()
    assert held.status == BookingStatus.CANCELLED
    assert slot_of(online, WEDNESDAY).used == 0
    event = AuditEvent.objects.get(action="booking.released_at_desk")
    assert event.before["held_by"] == "siti@contoh.id"
    assert event.before["held_by_account"] == other_account.pk
    assert event.actor == desk
    from loket.booking.payments import list_refunds_due

    assert [p.booking_id for p in list_refunds_due(office=online.office)] == [held.pk]
    mine = book(account, online, applicant=OWNER)
    assert mine.status == BookingStatus.AWAITING_PAYMENT
    assert_ledger_matches_bookings()


def test_the_release_needs_the_ktp_checked(client, online, desk, now):
    client.force_login(desk)
    response = client.post(
        "/office/KRW/desk/release-nik/",
        {"nik": OWNER.nik, "name": OWNER.name, "birth_date": OWNER.birth_date.isoformat()},
    )
    assert response.status_code == 422


def test_nothing_to_release_says_so(client, online, desk, now):
    client.force_login(desk)
    response = client.post(
        "/office/KRW/desk/release-nik/",
        {
            "nik": make_nik(dt.date(1980, 1, 1), serial=9),
            "name": "Siapa",
            "birth_date": "1980-01-01",
            "ktp_checked": "on",
        },
    )
    assert response.status_code == 409
    assert "can book now" in response.content.decode()
