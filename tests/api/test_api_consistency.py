"""One language and one code per kind of fault across the API, and a schema that says what the
API takes and answers."""

import json

import pytest
from django.test import Client

from config.api import api
from tests.api.test_bookings_api import applicant, create
from tests.web.test_abuse import PASSWORD, ask_token, limits  # noqa: F401  (fixture)


@pytest.fixture
def schema():
    return api.get_openapi_schema()


def component(schema, name):
    return schema["components"]["schemas"][name]


def test_the_schema_gives_sex_nik_and_window_their_values(schema):
    person = component(schema, "ApplicantIn")["properties"]
    assert set(person["sex"]["enum"]) == {"M", "F", "L", "P"}
    assert person["nik"]["pattern"] == "^[0-9]{16}$"
    booking = component(schema, "BookingIn")["properties"]
    assert booking["window"]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
    assert component(schema, "RescheduleIn")["properties"]["window"]["pattern"]
    out = component(schema, "BookingOut")["properties"]
    assert "cancelled" in out["status"]["enum"]
    assert component(schema, "ApplicantOut")["properties"]["sex"]["enum"] == ["M", "F"]
    room = component(schema, "WaitingRoomJoinIn")["properties"]
    assert room["nik"]["pattern"] == "^[0-9]{16}$"
    # The waiting list's join (one of the account's people) is its own component, not hidden
    # behind the waiting room's under one name.
    assert "applicant_id" in component(schema, "WaitlistJoinIn")["properties"]


def test_every_rate_limited_operation_declares_429(schema):
    """An operation with a throttle can answer 429: its schema says so."""
    throttled = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                if operation.throttle_objects:
                    throttled.update(
                        (m.lower(), operation.view_func.__name__) for m in operation.methods
                    )
    assert throttled
    declared = [
        (method, op["operationId"], {str(code) for code in op["responses"]})
        for ops in schema["paths"].values()
        for method, op in ops.items()
    ]
    for method, name in throttled:
        codes = [c for m, op_id, c in declared if m == method and op_id.endswith(name)]
        assert codes and all("429" in c for c in codes), (method, name)


@pytest.mark.django_db
def test_a_sex_or_birth_date_contradicting_the_nik_gives_the_same_code(client, office, auth):
    sex = create(client, auth, applicant={**applicant(), "sex": "F"}).json()
    birth = create(client, auth, applicant=applicant(birth_date="1990-05-13")).json()
    assert sex["code"] == birth["code"] == "nik_invalid"


def test_401_is_in_indonesian_unless_english_is_asked_for(db):
    answer = Client().get("/api/v1/bookings").json()
    assert answer["code"] == "unauthorized" and "Kirim bearer token" in answer["detail"]
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/bookings").json()
    assert answer["detail"].startswith("Send a valid bearer token")


@pytest.mark.django_db
def test_validation_details_are_in_indonesian_unless_english_is_asked_for(client, auth):
    answer = (
        Client()
        .post(
            "/api/v1/auth/token",
            json.dumps({"email": "a@contoh.id"}),
            content_type="application/json",
        )
        .json()
    )
    assert answer["code"] == "invalid_input"
    assert answer["detail"] == "payload.password: Wajib diisi."
    answer = (
        Client(HTTP_ACCEPT_LANGUAGE="en")
        .post(
            "/api/v1/auth/token",
            json.dumps({"email": "a@contoh.id"}),
            content_type="application/json",
        )
        .json()
    )
    assert answer["detail"] == "payload.password: This field is required."


@pytest.mark.django_db
def test_a_bad_window_is_explained_in_indonesian(office, auth):
    answer = create(Client(), auth, window="25:00").json()
    assert answer["code"] == "invalid_input" and "Gunakan JJ:MM" in answer["detail"]


@pytest.mark.django_db
def test_429_is_in_indonesian(account, limits):  # noqa: F811
    limits("api_token", "1/m")
    ask_token(PASSWORD)
    refused = ask_token(PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["detail"] == "Terlalu banyak permintaan. Coba lagi sebentar lagi."


@pytest.mark.django_db
def test_a_cancelled_booking_has_its_status_and_no_qr(client, office, auth):
    from loket.booking.models import Booking
    from tests.helpers import pay

    code = create(client, auth).json()["code"]
    pay(Booking.objects.get(code=code))
    assert client.get(f"/api/v1/bookings/{code}", **auth).json()["qr"]
    client.post(f"/api/v1/bookings/{code}/cancel", **auth)
    answer = client.get(f"/api/v1/bookings/{code}", **auth).json()
    assert answer["status"] == "cancelled" and answer["qr"] is None
