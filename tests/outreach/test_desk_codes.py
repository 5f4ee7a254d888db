"""The information desk's one field: bookings, emergency case codes (DR...) and Eazy Passport
participant codes (EP...) are all found and checked in from the same box."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from loket.core import clock
from loket.offices.models import Office
from loket.outreach import bridge as outreach_bridge
from loket.outreach import eazy_passport
from loket.outreach import hotline as outreach_hotline
from loket.queue import bridge, office_setup
from loket.queue.models import LaneKind, StaffRole, Ticket
from tests.conftest import WIB
from tests.outreach.conftest import make_staff
from tests.outreach.test_emergency import TOMORROW, record
from tests.outreach.test_requests import VISIT, csv_of, data

pytestmark = pytest.mark.django_db


def on(day: dt.date, hour: int = 9):
    return clock.frozen_at(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=WIB))


@pytest.fixture
def case(office, hotline, supervisor):
    """An emergency case approved for tomorrow: it waits for the desk to check it in."""
    office_setup.ensure_office_queue(office=office)
    return outreach_hotline.approve_emergency_case(
        case=record(office, hotline), actor=supervisor, service_date=TOMORROW, reason="Operasi"
    )


@pytest.fixture
def participant(office, coordinator, team):
    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(25)
    )
    approved = eazy_passport.approve_outreach_request(
        request=request, visit_date=VISIT, team=team, actor=coordinator
    )
    return approved.participants.order_by("row_number").first()


def test_the_desk_finds_an_emergency_case_and_checks_it_in(client, case, desk):
    """A DR code typed at the desk shows the case (NIK masked); the KTP's NIK issues D001."""
    with on(TOMORROW):
        client.force_login(desk)  # on that day (staff sessions time out)
        found = client.get(reverse("queue:desk", args=["KRW"]), {"code": case.code.lower()})
        body = found.content.decode()
        assert found.status_code == 200
        assert "Pak Darto" in body and case.code in body
        assert case.nik not in body  # masked at the desk
        assert "Check the emergency case" in body
        done = client.post(
            reverse("queue:check_in", args=["KRW"]), {"code": case.code, "nik": case.nik}
        )
    assert done.status_code == 200
    assert "D001" in done.content.decode()
    case.refresh_from_db()
    assert case.ticket.lane.kind == LaneKind.EMERGENCY


def test_a_wrong_nik_for_a_case_is_shown_beside_the_field(client, case, desk):
    """The NIK mismatch is reported on the case's card; no ticket is issued."""
    with on(TOMORROW):
        client.force_login(desk)  # on that day (staff sessions time out)
        wrong = client.post(
            reverse("queue:check_in", args=["KRW"]),
            {"code": case.code, "nik": "3215010101900009"},
        )
    assert wrong.status_code == 422
    body = wrong.content.decode()
    assert "does not match" in body and "Pak Darto" in body
    case.refresh_from_db()
    assert case.ticket_id is None


def test_a_case_for_another_day_is_refused_with_its_day(client, case, desk):
    """Checked in the day before its service day, the case says which day it is for."""
    client.force_login(desk)
    response = client.post(
        reverse("queue:check_in", args=["KRW"]), {"code": case.code, "nik": case.nik}
    )
    assert response.status_code == 409
    assert f"{TOMORROW:%d-%m-%Y}" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_desk_checks_an_eazy_passport_participant_in_on_the_visit_day(
    client, participant, desk
):
    """An EP code at the desk gives the participant a ticket in the mobile-site lane."""
    with on(VISIT):
        client.force_login(desk)  # on that day (staff sessions time out)
        found = client.get(reverse("queue:desk", args=["KRW"]), {"code": participant.code})
        body = found.content.decode()
        assert participant.name in body and "Check the Eazy Passport participant" in body
        assert participant.nik not in body
        done = client.post(
            reverse("queue:check_in", args=["KRW"]),
            {"code": participant.code, "nik": participant.nik},
        )
    assert done.status_code == 200
    assert "K001" in done.content.decode()
    participant.refresh_from_db()
    assert participant.ticket.lane.kind == LaneKind.WALK_IN


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("DRZZZZZZ", "No emergency case at this office has the code DRZZZZZZ"),
        ("EPZZZZZZZZ", "No Eazy Passport participant at this office has the code EPZZZZZZZZ"),
        ("XYZ", "Nothing at this office has this code"),
    ],
)
def test_an_unknown_code_says_what_was_looked_for(client, office, desk, code, message):
    """Each kind of code has its own message beside the field."""
    office_setup.ensure_office_queue(office=office)
    client.force_login(desk)
    response = client.get(reverse("queue:desk", args=["KRW"]), {"code": code})
    body = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in body and message in body


def test_the_messages_are_in_bahasa_indonesia_by_default(client, office, desk):
    """Without the English cookie the desk speaks Indonesian, errors included."""
    office_setup.ensure_office_queue(office=office)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(desk)
    response = client.get(reverse("queue:desk", args=["KRW"]), {"code": "DRZZZZZZ"})
    body = response.content.decode()
    assert "Tidak ada kasus darurat di kantor ini dengan kode DRZZZZZZ" in body
    assert "kode kasus darurat (DR…)" in body  # the field's hint


def test_a_case_of_another_office_is_not_found_here(client, case, office):
    """A desk officer of another office cannot find (or check in) this office's case."""
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    office_setup.ensure_office_queue(office=other)
    officer = make_staff("meja-bdg@contoh.id", other, StaffRole.DESK)
    with on(TOMORROW):
        client.force_login(officer)  # on that day (staff sessions time out)
        response = client.get(reverse("queue:desk", args=["BDG"]), {"code": case.code})
        assert "No emergency case at this office" in response.content.decode()
        with pytest.raises(outreach_bridge.EmergencyCaseNotFound):
            bridge.check_in_at_desk(
                office=other, code=case.code, confirmed_nik=case.nik, officer=officer
            )
    case.refresh_from_db()
    assert case.ticket_id is None


def test_outreach_registers_its_codes_with_the_desk():
    """The desk's field knows DR... and EP... codes because outreach registered them in its
    ready(); the queue itself imports nothing of outreach for it."""
    registered = {(r.prefix, r.kind) for r in bridge.code_resolvers()}
    assert registered >= {("DR", "emergency"), ("EP", "participant")}
    by_prefix = {r.prefix: r for r in bridge.code_resolvers()}
    assert by_prefix["DR"].check_in is outreach_bridge.check_in_emergency_case
    assert by_prefix["EP"].check_in is outreach_bridge.check_in_participant
