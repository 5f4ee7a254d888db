"""Outreach meets the office day: emergency tickets, Eazy Passport mobile sites, staff roles."""

import datetime as dt

import pytest
from django.urls import reverse

from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.errors import PermissionDenied
from loket.offices.models import Office
from loket.outreach import bridge, eazy_passport, errors
from loket.outreach import hotline as outreach_hotline
from loket.queue import counter_actions, office_setup
from loket.queue import errors as queue_errors
from loket.queue.models import Counter, LaneKind, StaffRole
from tests.conftest import WIB
from tests.outreach.conftest import make_staff
from tests.outreach.test_emergency import TOMORROW, record
from tests.outreach.test_requests import VISIT, csv_of, data


@pytest.fixture
def office_counter(office):
    """The office's counter 1 at the document check, serving every lane it has."""
    office_setup.ensure_office_queue(office=office)
    return office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])


@pytest.fixture
def approved_visit(office, coordinator, team, office_counter):
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(25)
    )
    return eazy_passport.approve_outreach_request(
        request=request, visit_date=VISIT, team=team, actor=coordinator
    )


def on(day: dt.date, hour: int = 9):
    return clock.frozen_at(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=WIB))


# --- emergency ------------------------------------------------------------------------------


def test_a_case_approved_for_today_gets_its_ticket_on_arrival_not_at_approval(
    office, hotline, supervisor, desk, office_counter
):
    """Approved for today, the case has no ticket until the desk checks the person in: a ticket
    issued at approval would be called at a counter while the person is still on the way."""
    case = record(office, hotline)
    today = clock.local_today(office.time_zone)
    approved = outreach_hotline.approve_emergency_case(
        case=case, actor=supervisor, service_date=today, reason="Operasi terjadwal"
    )
    assert approved.code.startswith("DR") and approved.ticket is None
    with pytest.raises(queue_errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=office_counter, officer=supervisor)
    ticket = bridge.check_in_by_code(
        office=office, code=approved.code, confirmed_nik=approved.nik, officer=desk
    )
    assert ticket.lane.kind == LaneKind.EMERGENCY and ticket.display == "D001"
    assert ticket.slot is None  # outside every quota: no ledger place
    called = counter_actions.call_next_ticket(counter=office_counter, officer=supervisor)
    assert called.pk == ticket.pk


def test_a_case_for_a_later_day_is_checked_in_by_its_code_on_that_day(
    office, hotline, supervisor, desk, office_counter
):
    case = outreach_hotline.approve_emergency_case(
        case=record(office, hotline),
        actor=supervisor,
        service_date=TOMORROW,
        reason="Berangkat lusa",
    )
    assert case.ticket is None
    with pytest.raises(queue_errors.NotBookedToday):
        bridge.check_in_by_code(office=office, code=case.code, confirmed_nik=case.nik, officer=desk)
    with on(TOMORROW):
        with pytest.raises(queue_errors.NikMismatch):
            bridge.check_in_by_code(
                office=office, code=case.code, confirmed_nik="3215010101010001", officer=desk
            )
        ticket = bridge.check_in_by_code(
            office=office, code=case.code.lower(), confirmed_nik=case.nik, officer=desk
        )
        assert ticket.lane.kind == LaneKind.EMERGENCY and ticket.date == TOMORROW
        with pytest.raises(queue_errors.AlreadyCheckedIn):
            bridge.check_in_by_code(
                office=office, code=case.code, confirmed_nik=case.nik, officer=desk
            )
        assert (
            counter_actions.call_next_ticket(counter=office_counter, officer=desk).pk == ticket.pk
        )
    case.refresh_from_db()
    assert case.ticket_id == ticket.pk


def test_a_recorded_or_rejected_case_gets_no_ticket(office, hotline, supervisor, desk):
    case = outreach_hotline.reject_emergency_case(
        case=record(office, hotline), actor=supervisor, reason="Bukan darurat"
    )
    assert case.code is None
    with pytest.raises(queue_errors.BookingNotFoundHere):
        bridge.check_in_by_code(office=office, code="DRXXXXXX", confirmed_nik="", officer=desk)


def test_only_a_supervisor_at_the_case_office_decides(office, hotline):
    case = record(office, hotline)
    with pytest.raises(PermissionDenied):
        outreach_hotline.approve_emergency_case(
            case=case, actor=hotline, service_date=TOMORROW, reason="x"
        )
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    elsewhere = make_staff("spv-bdg@contoh.id", other, StaffRole.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        outreach_hotline.approve_emergency_case(
            case=case, actor=elsewhere, service_date=TOMORROW, reason="x"
        )


# --- Eazy Passport: places in the ledger, a mobile site on the day -------------------------


def test_approved_participants_hold_their_places_in_the_ledger(office, approved_visit):
    slots = CapacitySlot.objects.filter(channel__code="outreach", date=VISIT)
    assert sum(s.used for s in slots) == 25 == sum(s.capacity for s in slots)
    assert approved_visit.participants.filter(slot__isnull=True).count() == 0
    assert find_drift() == []


def test_the_visit_runs_its_own_counters_and_the_office_counters_never_call_it(
    office, approved_visit, coordinator, office_counter
):
    counters = list(bridge.site_counters(approved_visit))
    assert len(counters) == approved_visit.team.size
    assert all(not c.is_active and approved_visit.code in c.name for c in counters)
    participant = approved_visit.participants.order_by("row_number").first()
    with on(VISIT):
        ticket = bridge.check_in_by_code(
            office=office, code=participant.code, confirmed_nik=participant.nik, officer=coordinator
        )
        assert ticket.lane.kind == LaneKind.WALK_IN and ticket.stage.code == "document_check"
        assert ticket.slot is None  # the participant holds the place, not the ticket
        assert Counter.objects.filter(pk__in=[c.pk for c in counters], is_active=False).count() == 0
        with pytest.raises(queue_errors.NobodyWaiting):
            counter_actions.call_next_ticket(counter=office_counter, officer=coordinator)
        called = counter_actions.call_next_ticket(counter=counters[0], officer=coordinator)
        assert called.pk == ticket.pk
        counter_actions.start_service(counter=counters[0], officer=coordinator)
        done = counter_actions.complete_ticket(counter=counters[0], officer=coordinator)
        assert done.stage.code == "photo_interview"  # the office's stages, in order
    assert find_drift() == []


def test_a_participant_is_checked_in_only_on_the_visit_day(office, approved_visit, coordinator):
    participant = approved_visit.participants.first()
    with pytest.raises(queue_errors.NotBookedToday):
        bridge.check_in_participant(
            office=office, code=participant.code, confirmed_nik=participant.nik, officer=coordinator
        )


def test_one_mobile_site_a_day_per_office(office, approved_visit, coordinator, team_b):
    second = eazy_passport.submit_outreach_request(
        office=office, data=data(organisation="Desa Cikampek"), participants_file=csv_of(20)
    )
    with pytest.raises(errors.VisitDayTaken) as err:
        eazy_passport.approve_outreach_request(
            request=second, visit_date=VISIT, team=team_b, actor=coordinator
        )
    assert "Universitas Singaperbangsa" in str(err.value)
    second.refresh_from_db()
    assert second.status == "submitted"
    assert not team_b.assignments.exists()


def test_approval_without_an_outreach_channel_is_refused(office, coordinator, team):
    office.channels.filter(code="outreach").update(is_active=False)
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(20)
    )
    with pytest.raises(errors.OutreachChannelMissing):
        eazy_passport.approve_outreach_request(
            request=request, visit_date=VISIT, team=team, actor=coordinator
        )


# --- roles on the pages ---------------------------------------------------------------------


def test_staff_of_another_office_do_not_see_this_office_s_requests(client, office, approved_visit):
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    client.force_login(make_staff("koor-bdg@contoh.id", other, StaffRole.OUTREACH))
    assert client.get(reverse("outreach:staff_requests")).status_code == 200
    detail = reverse("outreach:staff_request", args=[approved_visit.code])
    assert client.get(detail).status_code == 404
    assert client.get(reverse("outreach:staff_requests") + "?office=KRW").status_code == 403


def test_the_desk_checks_a_participant_in_on_the_page(client, office, approved_visit, desk):
    participant = approved_visit.participants.first()
    client.force_login(desk)
    url = reverse("outreach:check_in")
    assert client.get(reverse("outreach:staff_requests")).status_code == 403
    with on(VISIT):
        client.force_login(desk)  # the visit's day: a new session (staff sessions time out)
        page = client.post(
            url, {"office": "KRW", "code": participant.code, "nik": participant.nik}
        ).content.decode()
    assert "K001" in page
