"""Bookings, applicants, payments and accounts over the JSON API."""

import datetime as dt
import json
import re

import pytest

from loket.booking.models import Booking
from loket.booking.payments import sign_payment_notice
from loket.core import clock
from loket.notifications.models import OutboxMessage
from loket.offices.models import CapacityOverride
from tests.api.test_booking_flow import booking_body
from tests.conftest import make_nik
from tests.helpers import (
    CHRISTMAS,
    FRIDAY,
    NOT_RELEASED_DAY,
    THURSDAY,
    WEDNESDAY,
    assert_ledger_matches_bookings,
    at,
)


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def create(client, auth, day=WEDNESDAY, key=None, **overrides):
    headers = {**auth, **({"HTTP_IDEMPOTENCY_KEY": key} if key else {})}
    return post(client, "/api/v1/bookings", booking_body(day, **overrides), **headers)


def applicant(birth=dt.date(1990, 5, 12), sex="M", serial=1, **overrides):
    body = {
        "nik": make_nik(birth, sex, serial=serial),
        "name": "Budi Santoso",
        "birth_date": birth.isoformat(),
        "sex": sex,
        "phone": "081234567890",
        "domicile_regency": "32.15",
    }
    body.update(overrides)
    return body


@pytest.fixture
def other_auth(other_account):
    from loket.accounts.services import issue_token

    token = issue_token(email="siti@contoh.id", password="rahasia-panjang-2")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def notify(client, body: dict, signature: str | None = None):
    raw = json.dumps(body).encode()
    return client.post(
        "/api/v1/payments/notify",
        raw,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign_payment_notice(raw) if signature is None else signature,
    )


def test_a_booking_is_created_awaiting_payment(client, office, auth):
    """POST /bookings answers 201 with code, status, billing code, amount and deadline."""
    response = create(client, auth)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "awaiting_payment"
    assert (body["date"], body["window"], body["window_end"]) == ("2026-12-02", "09:00", "10:00")
    assert re.fullmatch(r"\d{15}", body["billing_code"])
    assert body["amount"] == 650_000
    assert dt.datetime.fromisoformat(body["pay_before"]) == clock.now() + dt.timedelta(hours=2)
    assert body["applicant"]["nik"] == "3215**********01"
    assert body["reschedules_left"] == 1
    assert body["qr"] is None
    assert_ledger_matches_bookings()


def test_a_child_pays_the_five_year_fee(client, office, auth):
    """A child's ordinary passport (5 years) costs Rp350.000."""
    birth = dt.date(2015, 3, 10)
    response = create(client, auth, applicant=applicant(birth))
    assert (response.json()["validity_years"], response.json()["amount"]) == (5, 350_000)


def test_sex_may_be_given_as_l_or_p(client, office, auth):
    """Laki-laki (L) and perempuan (P) are understood."""
    response = create(client, auth, applicant={**applicant(dt.date(1992, 8, 3), "F"), "sex": "P"})
    assert response.status_code == 201, response.json()
    assert response.json()["applicant"]["sex"] == "F"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"application_type": "lost"}, 422, "walk_in_only"),
        ({"application_type": "damaged"}, 422, "walk_in_only"),
        ({"channel": "priority"}, 422, "channel_not_bookable"),
        ({"channel": "nope"}, 404, "channel_not_found"),
        ({"office": "XYZ"}, 404, "office_not_found"),
        ({"window": "08:30"}, 404, "window_not_found"),
        ({"date": "2026-11-30"}, 422, "date_past"),
        ({"date": "2026-12-01"}, 422, "date_too_soon"),
        ({"date": CHRISTMAS.isoformat()}, 422, "office_closed"),
        ({"date": NOT_RELEASED_DAY.isoformat()}, 422, "not_released"),
        ({"date": "2027-02-10"}, 422, "beyond_horizon"),
        ({"applicant": applicant(nik="3215011205900000")}, 422, "nik_invalid"),
        ({"applicant": applicant(birth_date="1990-05-13")}, 422, "nik_invalid"),
        ({"applicant": applicant(domicile_regency="99.99")}, 422, "regency_invalid"),
        ({"applicant": {**applicant(), "sex": "F"}}, 422, "nik_invalid"),
        ({"window": "25:00"}, 422, "invalid_input"),
        ({"date": "2026-02-30"}, 422, "invalid_input"),
        ({"purpose": "holiday"}, 422, "invalid_input"),
    ],
)
def test_refused_bookings_answer_with_a_stable_code(client, office, auth, overrides, status, code):
    """Each refusal has its status and code, and a message for people."""
    response = create(client, auth, **overrides)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Booking.objects.exists()


def test_a_full_window_answers_quota_exhausted(client, online, auth, other_auth):
    """When the window is full the next booking gets 409 quota_exhausted."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    assert create(client, auth, THURSDAY, window="08:00").status_code == 201
    response = create(client, other_auth, THURSDAY, window="08:00", applicant=applicant(serial=2))
    assert response.status_code == 409
    assert response.json()["code"] == "quota_exhausted"
    assert_ledger_matches_bookings()


def test_a_second_booking_for_a_nik_answers_active_booking_exists(client, office, auth):
    """The same NIK again gets 409 active_booking_exists."""
    assert create(client, auth).status_code == 201
    response = create(client, auth, THURSDAY)
    assert response.status_code == 409
    assert response.json()["code"] == "active_booking_exists"


def test_a_nik_holding_a_walk_in_answers_live_place_exists(client, office, auth):
    """A person with an emergency ticket today cannot also book online: 409
    live_place_exists, naming only the channel that holds the place."""
    from loket.queue import office_setup, walk_ins
    from tests.queue.conftest import make_staff

    office_setup.ensure_office_queue(office=office)
    walk_ins.issue_walk_in_ticket(
        office=office,
        lane_kind="emergency",
        name="Someone Else's Name",
        nik=make_nik(dt.date(1990, 5, 12)),
        officer=make_staff(office, "spv@contoh.id", "supervisor"),
    )
    response = create(client, auth)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "live_place_exists"
    assert "emergency" in body["detail"] and "Someone" not in json.dumps(body)


def test_a_sixth_person_answers_applicant_limit_reached(client, office, auth):
    """An account books for at most five people."""
    for serial in range(1, 6):
        assert create(client, auth, applicant=applicant(serial=serial)).status_code == 201
    response = create(client, auth, applicant=applicant(serial=6))
    assert response.status_code == 409
    assert response.json()["code"] == "applicant_limit_reached"


def test_a_retried_post_with_the_same_key_books_once(client, office, auth):
    """The same Idempotency-Key and body replays the first answer; nothing is booked twice."""
    first = create(client, auth, key="abc-1")
    again = create(client, auth, key="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(client, office, auth):
    """The key of one booking cannot be used for another."""
    assert create(client, auth, key="abc-1").status_code == 201
    response = create(client, auth, THURSDAY, key="abc-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_different_keys_are_different_requests(client, office, auth):
    """A new key is a new request (and here the NIK already has its booking)."""
    assert create(client, auth, key="a").status_code == 201
    response = create(client, auth, key="b")
    assert response.json()["code"] == "active_booking_exists"


def test_bookings_are_listed_for_their_own_account_only(client, office, auth, other_auth):
    """Each account sees its own bookings, newest first, and nobody else's."""
    mine = create(client, auth).json()
    theirs = create(client, other_auth, applicant=applicant(serial=2)).json()
    listed = client.get("/api/v1/bookings", **auth).json()
    assert [b["code"] for b in listed] == [mine["code"]]
    assert client.get(f"/api/v1/bookings/{mine['code']}", **auth).json()["code"] == mine["code"]
    response = client.get(f"/api/v1/bookings/{theirs['code']}", **auth)
    assert response.status_code == 404
    assert response.json()["code"] == "booking_not_found"


def test_another_accounts_booking_cannot_be_cancelled_or_moved(client, office, auth, other_auth):
    """Cancelling or rescheduling someone else's booking answers 404 and changes nothing."""
    theirs = create(client, other_auth).json()
    cancel = client.post(f"/api/v1/bookings/{theirs['code']}/cancel", **auth)
    move = post(
        client,
        f"/api/v1/bookings/{theirs['code']}/reschedule",
        {"date": THURSDAY.isoformat(), "window": "09:00"},
        **auth,
    )
    assert cancel.status_code == move.status_code == 404
    assert Booking.objects.get(code=theirs["code"]).status == "awaiting_payment"


def test_a_booking_code_that_does_not_exist_is_404(client, office, auth):
    """An unknown code is 404 like someone else's."""
    assert client.get("/api/v1/bookings/NOSUCHCODE", **auth).status_code == 404


def test_cancelling_frees_the_place(client, office, auth):
    """POST cancel answers the cancelled booking; the window has its place back."""
    code = create(client, auth).json()["code"]
    response = client.post(f"/api/v1/bookings/{code}/cancel", **auth)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reschedules_left"]) == ("cancelled", 0)
    again = client.post(f"/api/v1/bookings/{code}/cancel", **auth)
    assert (again.status_code, again.json()["code"]) == (409, "booking_not_active")
    assert_ledger_matches_bookings()


def test_rescheduling_moves_the_booking_once(client, office, auth):
    """POST reschedule moves the booking; a second reschedule is refused."""
    code = create(client, auth).json()["code"]
    url = f"/api/v1/bookings/{code}/reschedule"
    response = post(client, url, {"date": FRIDAY.isoformat(), "window": "13:00"}, **auth)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["date"], body["window"], body["reschedules_left"]) == ("2026-12-04", "13:00", 0)
    again = post(client, url, {"date": THURSDAY.isoformat(), "window": "13:00"}, **auth)
    assert (again.status_code, again.json()["code"]) == (409, "reschedule_not_allowed")
    assert_ledger_matches_bookings()


def test_rescheduling_on_the_day_is_refused(client, office, auth):
    """On the appointment day the reschedule is refused."""
    code = create(client, auth).json()["code"]
    with clock.frozen_at(at(WEDNESDAY, 7)):
        response = post(
            client,
            f"/api/v1/bookings/{code}/reschedule",
            {"date": FRIDAY.isoformat(), "window": "09:00"},
            **auth,
        )
    assert (response.status_code, response.json()["code"]) == (409, "reschedule_not_allowed")


def test_rescheduling_to_the_same_window_is_refused(client, office, auth):
    """Moving to where the booking already is answers same_slot."""
    code = create(client, auth).json()["code"]
    response = post(
        client,
        f"/api/v1/bookings/{code}/reschedule",
        {"date": WEDNESDAY.isoformat(), "window": "09:00"},
        **auth,
    )
    assert (response.status_code, response.json()["code"]) == (422, "same_slot")


def test_a_signed_payment_confirms_and_a_repeat_is_harmless(client, office, auth):
    """The gateway's notice confirms the booking; sending it again answers the same."""
    booking = create(client, auth).json()
    notice = {
        "billing_code": booking["billing_code"],
        "amount": 650_000,
        "paid_at": "2026-12-01T09:30:00+07:00",
    }
    first = notify(client, notice)
    again = notify(client, notice)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["status"] == "confirmed"
    detail = client.get(f"/api/v1/bookings/{booking['code']}", **auth).json()
    assert detail["application_number"] == first.json()["application_number"]
    assert detail["qr"]
    assert detail["paid_at"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"billing_code": "999999999999999"}, 404, "billing_code_unknown"),
        ({"paid_at": "2026-12-01T09:30:00"}, 422, "invalid_input"),
    ],
)
def test_doubtful_payment_notices_are_refused(client, office, auth, change, status, code):
    """An unknown code or a naive time is refused (a wrong amount is recorded, refund due:
    see tests/booking/test_money_never_vanishes.py)."""
    booking = create(client, auth).json()
    notice = {
        "billing_code": booking["billing_code"],
        "amount": 650_000,
        "paid_at": "2026-12-01T09:30:00+07:00",
        **change,
    }
    response = notify(client, notice)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Booking.objects.get(code=booking["code"]).status == "awaiting_payment"


@pytest.mark.parametrize("signature", ["", "deadbeef"])
def test_an_unsigned_or_badly_signed_notice_is_refused(client, office, auth, signature):
    """Without the right X-Signature the notice is refused with 401."""
    booking = create(client, auth).json()
    notice = {
        "billing_code": booking["billing_code"],
        "amount": 650_000,
        "paid_at": "2026-12-01T09:30:00+07:00",
    }
    response = notify(client, notice, signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "signature_invalid")


def test_applicants_are_listed_and_added(client, office, auth):
    """An account lists and adds the people it applies for; NIKs are masked."""
    assert client.get("/api/v1/applicants", **auth).json() == []
    response = post(client, "/api/v1/applicants", applicant(), **auth)
    assert response.status_code == 201, response.json()
    assert response.json()["nik"] == "3215**********01"
    assert response.json()["domicile_regency"] == "32.15"
    listed = client.get("/api/v1/applicants", **auth).json()
    assert [a["name"] for a in listed] == ["Budi Santoso"]


def test_a_sixth_applicant_is_refused(client, office, auth):
    """The API refuses a sixth person with applicant_limit_reached."""
    for serial in range(1, 6):
        assert (
            post(client, "/api/v1/applicants", applicant(serial=serial), **auth).status_code == 201
        )
    response = post(client, "/api/v1/applicants", applicant(serial=6), **auth)
    assert (response.status_code, response.json()["code"]) == (409, "applicant_limit_reached")


def test_an_applicant_with_an_invalid_nik_is_refused(client, office, auth):
    """A malformed NIK answers 422 nik_invalid."""
    response = post(client, "/api/v1/applicants", applicant(nik="12345"), **auth)
    assert (response.status_code, response.json()["code"]) == (422, "nik_invalid")


def test_register_verify_and_log_in(client, db):
    """A new user registers, verifies with the e-mailed code and gets a token that works."""
    credentials = {"email": "ani@contoh.id", "password": "kuda-lari-pagi-7"}
    response = post(client, "/api/v1/auth/register", {**credentials, "full_name": "Ani"})
    assert response.status_code == 201
    assert response.json() == {"email": "ani@contoh.id", "verified": False}
    refused = post(client, "/api/v1/auth/token", credentials)
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    body = OutboxMessage.objects.get(recipient="ani@contoh.id").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    bad = post(client, "/api/v1/auth/verify", {"email": "ani@contoh.id", "code": wrong})
    assert (bad.status_code, bad.json()["code"]) == (400, "verification_failed")
    ok = post(client, "/api/v1/auth/verify", {"email": "ani@contoh.id", "code": code})
    assert ok.json() == {"email": "ani@contoh.id", "verified": True}
    token = post(client, "/api/v1/auth/token", credentials).json()["token"]
    mine = client.get("/api/v1/bookings", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert mine.status_code == 200


def test_a_second_registration_and_a_weak_password_are_refused(client, account):
    """A taken address answers 409 email_taken; a weak password 422 password_rejected."""
    taken = post(
        client, "/api/v1/auth/register", {"email": "budi@contoh.id", "password": "x-y-z-w-1234"}
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    weak = post(client, "/api/v1/auth/register", {"email": "baru@contoh.id", "password": "123"})
    assert (weak.status_code, weak.json()["code"]) == (422, "password_rejected")


def test_resending_a_code_answers_the_same_for_anyone(client, account):
    """The resend endpoint answers 202 whether or not the address has an account."""
    for email in ("budi@contoh.id", "nobody@contoh.id"):
        assert post(client, "/api/v1/auth/resend-code", {"email": email}).status_code == 202


def test_a_wrong_password_answers_invalid_credentials(client, account):
    """Wrong credentials answer 401 invalid_credentials."""
    response = post(
        client, "/api/v1/auth/token", {"email": "budi@contoh.id", "password": "salah-salah-1"}
    )
    assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/bookings"),
        ("post", "/api/v1/bookings"),
        ("get", "/api/v1/bookings/ABCDEFGHJK"),
        ("post", "/api/v1/bookings/ABCDEFGHJK/cancel"),
        ("post", "/api/v1/bookings/ABCDEFGHJK/reschedule"),
        ("get", "/api/v1/applicants"),
        ("post", "/api/v1/applicants"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Token abc", "Bearer "])
def test_without_a_valid_token_the_answer_is_401(client, db, method, url, header):
    """Account endpoints need a valid bearer token: 401 unauthorized otherwise."""
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = getattr(client, method)(url, **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
