"""Personal data: an applicant downloads their own data; closed cases are anonymised after the
retention period while the figures stay."""

import dataclasses
import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from ninja import NinjaAPI
from ninja.testing import TestClient

from loket.accounts.api import BearerToken
from loket.accounts.models import Applicant
from loket.booking.models import Booking, BookingStatus
from loket.booking.services import cancel_booking, expire_overdue_holds
from loket.capacity.integrity import find_drift
from loket.core import clock
from loket.core.api import router
from loket.core.models import AuditEvent
from loket.core.personal_data import (
    ANONYMISED_NAME,
    BOOKING_NIK_PLACEHOLDER,
    anonymise_closed_cases,
    applicant_nik_placeholder,
)
from tests.conftest import DEFAULT_NOW
from tests.helpers import THURSDAY, book, pay, person

FIGURES = (
    "code",
    "status",
    "office_id",
    "channel_id",
    "slot_id",
    "date",
    "window_start",
    "application_type",
    "purpose",
    "passport_type",
    "validity_years",
    "amount",
    "paid_at",
    "application_number",
    "created_at",
    "updated_at",
)


def figures():
    return sorted(Booking.objects.values_list(*FIGURES))


# --- Download of one's own data ---------------------------------------------------------------


def get_my_data(token):
    """GET /api/v1/me/data where it is mounted; through a test API with the router otherwise."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        resolve("/api/v1/me/data")
    except Resolver404:
        client = TestClient(NinjaAPI(auth=BearerToken(), urls_namespace="me-test"))
        client.router_or_app.add_router("/me", router)
        response = client.get("/me/data", headers=headers)
        return response.status_code, response, response.json()
    from django.test import Client

    response = Client().get(
        "/api/v1/me/data", **({"HTTP_AUTHORIZATION": headers["Authorization"]} if token else {})
    )
    return response.status_code, response, response.json()


def test_applicant_downloads_their_own_data(online, account, other_account, token):
    """The download holds the account, its applicants with full NIK and phone, its bookings
    with payments, and the audit trail about them; nothing of another account."""
    paid = pay(book(account, online, applicant=person(serial=1, name="Budi Santoso")))
    book(account, online, applicant=person(serial=2, name="Ani Santoso", sex="F"))
    book(other_account, online, applicant=person(serial=3, name="Orang Lain"))

    status, response, data = get_my_data(token)

    assert status == 200
    assert "attachment" in response["Content-Disposition"]
    assert data["account"]["email"] == "budi@contoh.id"
    assert sorted(a["name"] for a in data["applicants"]) == ["Ani Santoso", "Budi Santoso"]
    nik = Applicant.objects.get(account=account, name="Budi Santoso").nik
    assert nik in [a["nik"] for a in data["applicants"]]
    assert {a["phone"] for a in data["applicants"]} == {"081234567890"}
    assert len(data["bookings"]) == 2
    paid_out = next(b for b in data["bookings"] if b["code"] == paid.code)
    assert paid_out["payment"]["amount"] == paid.amount
    assert paid_out["application_number"] == paid.application_number
    actions = {(e["action"], e["object_id"]) for e in data["audit_events"]}
    assert ("booking.created", paid.code) in actions
    assert ("booking.paid", paid.code) in actions
    assert "you" in {e["by"] for e in data["audit_events"]}
    assert not [e for e in data["audit_events"] if "@" in e["by"]]  # no staff names
    assert "Orang Lain" not in json.dumps(data)
    assert "siti@contoh.id" not in json.dumps(data)


def test_data_download_needs_a_token(db):
    """Without a valid token there is no data."""
    assert get_my_data(None)[0] == 401
    assert get_my_data("not-a-token")[0] == 401


# --- Retention -------------------------------------------------------------------------------


def later(days: int, hours: int = 0):
    return clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=days, hours=hours))


@pytest.fixture
def cases(online, account):
    """Budi's booking is cancelled; Ani's expired unpaid; Citra's first booking is cancelled
    and her second is still active; Dewi's is paid and active."""
    budi = book(account, online, applicant=person(serial=1, name="Budi"))
    cancel_booking(account=account, code=budi.code)
    ani = book(account, online, applicant=person(serial=2, name="Ani", sex="F"))
    citra_first = book(account, online, applicant=person(serial=3, name="Citra", sex="F"))
    cancel_booking(account=account, code=citra_first.code)
    with later(1):
        assert expire_overdue_holds() == 1
    citra_active = book(
        account, online, day=THURSDAY, applicant=person(serial=3, name="Citra", sex="F")
    )
    dewi = pay(book(account, online, applicant=person(serial=4, name="Dewi", sex="F")))
    return {
        "budi": budi,
        "ani": ani,
        "citra_first": citra_first,
        "citra_active": citra_active,
        "dewi": dewi,
    }


def test_nothing_is_anonymised_within_the_retention_period(cases):
    """Closed cases younger than the retention period keep their personal data."""
    before = list(Applicant.objects.values_list("name", "nik", "phone").order_by("pk"))
    with later(729):
        result = anonymise_closed_cases()
    assert (result.bookings, result.applicants) == (0, 0)
    assert list(Applicant.objects.values_list("name", "nik", "phone").order_by("pk")) == before


def test_closed_cases_are_anonymised_after_retention_and_figures_stay(cases):
    """After the retention period the NIK of closed bookings and the personal data of people
    with no open case are gone; dates, office, channel, purpose, status and amounts remain."""
    before = figures()
    with later(732):
        result = anonymise_closed_cases()

    assert (result.bookings, result.applicants) == (3, 2)  # Budi, Ani, Citra's first; Budi, Ani
    assert figures() == before
    for key in ("budi", "ani", "citra_first"):
        assert Booking.objects.get(pk=cases[key].pk).nik == BOOKING_NIK_PLACEHOLDER
    for key in ("citra_active", "dewi"):
        assert Booking.objects.get(pk=cases[key].pk).nik == cases[key].nik

    for key in ("budi", "ani"):
        applicant = Applicant.objects.get(pk=cases[key].applicant_id)
        assert applicant.name == ANONYMISED_NAME
        assert applicant.phone == ""
        assert applicant.nik == applicant_nik_placeholder(applicant.pk)
        assert applicant.birth_date == dt.date(cases[key].applicant.birth_date.year, 1, 1)
        assert applicant.sex == cases[key].applicant.sex
        assert applicant.domicile_regency == cases[key].applicant.domicile_regency
    kept = Applicant.objects.filter(name__in=["Citra", "Dewi"])
    assert kept.count() == 2 and all(a.phone == "081234567890" for a in kept)
    assert find_drift() == []
    assert AuditEvent.objects.filter(action="booking.anonymised").count() == 3
    assert AuditEvent.objects.filter(action="applicant.anonymised").count() == 2


def test_retention_is_configurable_and_idempotent(cases, settings):
    """LOKET_RETENTION_DAYS sets the period; a second run finds nothing left to do."""
    settings.LOKET_RETENTION_DAYS = 30
    with later(29):
        assert anonymise_closed_cases().bookings == 0
    with later(32):
        first = anonymise_closed_cases()
        second = anonymise_closed_cases()
    assert (first.bookings, first.applicants) == (3, 2)
    assert (second.bookings, second.applicants) == (0, 0)


def test_audit_snapshots_lose_the_personal_values(online, account):
    """A change of phone number recorded in the audit trail is scrubbed with the applicant."""
    first = book(account, online, applicant=person(serial=1, name="Budi"))
    cancel_booking(account=account, code=first.code)
    # (The name stays: the identity check binds a NIK to its registered name.)
    changed = dataclasses.replace(person(serial=1, name="Budi"), phone="089999999999")
    cancel_booking(account=account, code=book(account, online, applicant=changed).code)
    update = AuditEvent.objects.get(action="applicant.updated")
    assert "089999999999" in json.dumps(update.after)

    with later(732):
        anonymise_closed_cases()

    update.refresh_from_db()
    text = json.dumps([update.before, update.after])
    assert "089999999999" not in text and "Budi" not in text
    assert ANONYMISED_NAME in text


def test_command_reports_and_dry_run_changes_nothing(cases, capsys):
    """The command says what it would do with --dry-run, then does it."""
    with later(732):
        call_command("anonymise_closed_cases", "--dry-run")
        assert "Would anonymise 3 booking(s) and 2 applicant(s)" in capsys.readouterr().out
        assert not Applicant.objects.filter(name=ANONYMISED_NAME).exists()
        call_command("anonymise_closed_cases")
        assert "Anonymised 3 booking(s) and 2 applicant(s)" in capsys.readouterr().out
        call_command("anonymise_closed_cases", "--days", "0")
        assert "Anonymised 0 booking(s)" in capsys.readouterr().out
    assert Booking.objects.filter(status=BookingStatus.CANCELLED).count() == 2
