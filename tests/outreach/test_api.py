"""The outreach API router, served here by a test API with the project's auth and errors
(config/api.py mounts the same router at /api/v1/outreach)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import NinjaAPI
from ninja.testing import TestClient

from config import api as project_api
from loket.accounts.api import BearerToken
from loket.core.errors import DomainError
from loket.outreach import service_days
from loket.outreach.api import router
from loket.outreach.models import OutreachRequest
from tests.conftest import make_nik
from tests.outreach.test_participant_file import HEADER, person

test_api = NinjaAPI(urls_namespace="outreach-api-test", auth=BearerToken())
test_api.add_exception_handler(DomainError, project_api.domain_error)
test_api.add_router("/outreach", router)


@pytest.fixture
def client():
    return TestClient(test_api)


@pytest.fixture
def friday(paten_rule):
    return service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 12)
    )[0]


def test_anyone_sees_upcoming_service_days_with_places_left(client, friday):
    response = client.get("/outreach/service-days?office=KRW")
    assert response.status_code == 200
    first = response.json()[0]
    assert (first["name"], first["date"], first["remaining"], first["capacity"]) == (
        "PATEN",
        "2026-12-04",
        10,
        10,
    )
    assert first["application_types"] == ["new", "replacement"]


def test_a_logged_in_account_books_a_place(client, friday, token):
    birth = dt.date(1990, 5, 12)
    body = {
        "application_type": "new",
        "purpose": "apprenticeship",
        "passport_type": "ordinary",
        "applicant": {
            "nik": make_nik(birth, serial=7),
            "name": "Budi",
            "birth_date": birth.isoformat(),
            "sex": "M",
            "phone": "081234567890",
            "domicile_regency": "32.15",
        },
    }
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        f"/outreach/service-days/{friday.pk}/bookings", json=body, headers=headers
    )
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "paten" and response.json()["date"] == "2026-12-04"
    again = client.post(f"/outreach/service-days/{friday.pk}/bookings", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "active_booking_exists"
    assert client.get("/outreach/service-days").json()[0]["remaining"] == 9
    assert client.post(f"/outreach/service-days/{friday.pk}/bookings", json=body).status_code == 401


FORM = {
    "office": "KRW",
    "organisation": "Universitas Singaperbangsa Karawang",
    "contact_person": "Dr. Rina",
    "email": "humas@unsika.ac.id",
    "phone": "0267123456",
    "location": "Kampus Telukjambe",
    "regency": "32.15",
    "preferred_dates": "2026-12-15,2026-12-16",
    "expected_applicants": "20",
}


def test_an_institution_submits_a_request_with_its_file(client, office):
    csv = (HEADER + "".join(person(i) for i in range(1, 21))).encode()
    response = client.post(
        "/outreach/requests",
        data=FORM,
        FILES={"participants": SimpleUploadedFile("peserta.csv", csv, "text/csv")},
    )
    assert response.status_code == 201, response.content
    assert response.json()["participants"] == 20


def test_a_bad_file_returns_every_error_and_saves_nothing(client, office):
    csv = (HEADER + person(1) + person(1) + "x,y,z,w\n").encode()
    response = client.post(
        "/outreach/requests",
        data={**FORM, "regency": "3273"},
        FILES={"participants": SimpleUploadedFile("peserta.csv", csv, "text/csv")},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["regency"] + ["participants"] * 3
    assert "row 4, application_type" in errors[2]["message"]
    assert "row 3, nik" in errors[1]["message"]
    assert OutreachRequest.objects.count() == 0
