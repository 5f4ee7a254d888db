"""Eazy Passport requests: submitted whole or not at all; reviewed by the coordinator."""

import datetime as dt

import pytest

from loket.core.errors import PermissionDenied
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from loket.outreach import eazy_passport, errors
from loket.outreach.models import OutreachParticipant, OutreachRequest, OutreachSettings
from tests.outreach.test_participant_file import HEADER, person

VISIT = dt.date(2026, 12, 16)


def data(**overrides) -> eazy_passport.RequestData:
    base = dict(
        organisation="Universitas Singaperbangsa Karawang",
        contact_person="Dr. Rina",
        email="humas@unsika.ac.id",
        phone="0267 123 4567",
        location="Jl. HS. Ronggo Waluyo, Telukjambe Timur",
        regency="32.15",
        preferred_dates=[dt.date(2026, 12, 15), VISIT],
        expected_applicants=25,
    )
    base.update(overrides)
    return eazy_passport.RequestData(**base)


def csv_of(n: int) -> bytes:
    return (HEADER + "".join(person(i) for i in range(1, n + 1))).encode()


@pytest.fixture
def request_(office):
    return eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(25)
    )


def test_a_campus_request_is_recorded_with_its_participants(request_):
    assert request_.status == "submitted"
    assert request_.regency_code == "3215"
    assert request_.participants.count() == 25
    assert OutboxMessage.objects.filter(recipient="humas@unsika.ac.id").count() == 1
    assert AuditEvent.objects.filter(action="outreach_request.submitted").count() == 1


def test_every_error_is_listed_and_nothing_is_saved(office):
    bad_file = csv_of(3) + b"12345,Pendek,2001-08-17,new\n"
    with pytest.raises(errors.RequestInvalid) as err:
        eazy_passport.submit_outreach_request(
            office=office,
            data=data(regency="3273", expected_applicants=5, email="bukan-email"),
            participants_file=bad_file,
        )
    fields = [f for f, _m in err.value.errors]
    assert fields == ["email", "regency", "expected_applicants", "participants"]
    assert "row 5, nik" in err.value.errors[-1][1]
    assert OutreachRequest.objects.count() == 0 == OutreachParticipant.objects.count()


def test_the_minimum_group_is_an_office_setting(office):
    OutreachSettings.objects.create(office=office, min_applicants=50)
    with pytest.raises(errors.RequestInvalid) as err:
        eazy_passport.submit_outreach_request(
            office=office, data=data(), participants_file=csv_of(3)
        )
    assert "at least 50" in err.value.errors[0][1]


def test_approval_books_the_team_and_gives_each_participant_a_code(request_, coordinator, team):
    eazy_passport.approve_outreach_request(
        request=request_, visit_date=VISIT, team=team, actor=coordinator
    )
    request_.refresh_from_db()
    assert (request_.status, request_.visit_date, request_.team) == ("approved", VISIT, team)
    codes = list(request_.participants.values_list("code", flat=True))
    assert len(set(codes)) == 25 and all(c and c.startswith("EP") for c in codes)
    mail = OutboxMessage.objects.get(subject__contains="approved")
    assert mail.recipient == "humas@unsika.ac.id" and codes[0] in mail.body
    assert team.assignments.get().date == VISIT
    with pytest.raises(errors.RequestAlreadyDecided):
        eazy_passport.reject_outreach_request(request=request_, reason="x", actor=coordinator)


def test_approval_on_a_busy_team_day_is_refused_naming_the_clash(
    office, request_, coordinator, team
):
    other = eazy_passport.submit_outreach_request(
        office=office, data=data(organisation="Desa Cikampek"), participants_file=csv_of(20)
    )
    eazy_passport.approve_outreach_request(
        request=other, visit_date=VISIT, team=team, actor=coordinator
    )
    with pytest.raises(errors.TeamBusy) as err:
        eazy_passport.approve_outreach_request(
            request=request_, visit_date=VISIT, team=team, actor=coordinator
        )
    assert "Desa Cikampek" in str(err.value)
    request_.refresh_from_db()
    assert request_.status == "submitted"
    assert not request_.participants.filter(code__isnull=False).exists()


def test_propose_then_approve_and_reject_needs_a_reason(office, request_, coordinator, team):
    eazy_passport.propose_outreach_date(
        request=request_,
        proposed_date=dt.date(2026, 12, 22),
        message="Tim penuh",
        actor=coordinator,
    )
    assert OutboxMessage.objects.filter(subject__contains="can we come").exists()
    with pytest.raises(errors.ReasonRequired):
        eazy_passport.reject_outreach_request(request=request_, reason="", actor=coordinator)
    eazy_passport.approve_outreach_request(
        request=request_, visit_date=dt.date(2026, 12, 22), team=team, actor=coordinator
    )


def test_only_a_coordinator_reviews(request_, account, team):
    with pytest.raises(PermissionDenied):
        eazy_passport.approve_outreach_request(
            request=request_, visit_date=VISIT, team=team, actor=account
        )


def test_a_rejection_tells_the_institution_why(request_, coordinator):
    eazy_passport.reject_outreach_request(
        request=request_, reason="Di luar jadwal", actor=coordinator
    )
    assert "Di luar jadwal" in OutboxMessage.objects.get(subject__contains="cannot").body
