"""Emergency cases at an office node: the central site's cases of the office reach the node
(snapshot and feed), the desk checks one in at the node by its DR code, and the check-in (the
case's ticket) reaches the central site once, for the office's own cases and its own field."""

import datetime as dt
import json

import pytest
from django.core import serializers
from django.db import connection

from loket.accounts.services import create_verified_account
from loket.capacity.models import LivePlace
from loket.core import clock
from loket.demo import queue as queue_demo
from loket.offices.models import Office
from loket.outreach import hotline
from loket.outreach.models import EmergencyCase
from loket.queue import bridge as desk_codes
from loket.queue.models import Ticket, TicketEvent
from loket.staff.models import StaffRole
from loket.staff.services import grant_role
from loket.sync import client as node
from loket.sync.apply import apply_central_items
from loket.sync.capture import drop_triggers, install_triggers, reserve_office_ids
from loket.sync.models import AppliedChange, CentralChange
from loket.sync.ownership import ID_RANGE, office_id_base
from tests.conftest import make_nik
from tests.helpers import WEDNESDAY, at

node_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="an office node runs on the embedded SQLite database"
)

KEY = "kunci-uji-karawang-0123456789"
NIK = make_nik(dt.date(1980, 4, 2))


@pytest.fixture
def central(settings, office):
    settings.LOKET_SYNC_KEYS = f"KRW={KEY}"
    queue_demo.load_queue_demo()
    return office


@pytest.fixture
def hotline_officer(office):
    user = create_verified_account(email="hotline@contoh.id", password="rahasia-staf-panjang")
    grant_role(user=user, office=office, role=StaffRole.HOTLINE)
    return user


def staff(office, role):
    return office.staff_memberships.get(role=role).user


def record(office, officer) -> EmergencyCase:
    return hotline.record_emergency_case(
        office=office,
        actor=officer,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik=NIK,
        applicant_name="Pak Darto",
        domicile_regency="3215",
        reason="medical_abroad",
    )


def approve(case: EmergencyCase, office) -> EmergencyCase:
    return hotline.approve_emergency_case(
        case=case,
        actor=staff(office, StaffRole.SUPERVISOR),
        service_date=WEDNESDAY,
        reason="Surat rumah sakit lengkap",
    )


def get(client, path):
    return client.get(f"/api/v1/sync/KRW{path}", HTTP_AUTHORIZATION=f"Office {KEY}")


def post(client, changes):
    return client.post(
        "/api/v1/sync/KRW/push",
        data=json.dumps({"changes": changes}, default=str),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Office {KEY}",
    )


def case_items(items, model="outreach.emergencycase"):
    return [i for i in items if i["model"] == model]


def test_a_case_reaches_the_node_in_the_feed_and_the_snapshot(client, central, hotline_officer):
    """Recording and approving are fed in order, the approved case with its live place; the
    snapshot holds the office's cases of the coming days; the node's desk then finds the case
    by its code."""
    with clock.frozen_at(at(WEDNESDAY, 8)):
        start = get(client, "/changes?after=0").json()["last"]
        case = record(central, hotline_officer)
        recorded = get(client, f"/changes?after={start}").json()
        assert recorded["last"] == start + 1
        assert [i["fields"]["status"] for i in case_items(recorded["items"])] == ["recorded"]
        case = approve(case, central)
        approved = get(client, f"/changes?after={recorded['last']}").json()
        assert approved["last"] == recorded["last"] + 1
        [fed] = case_items(approved["items"])
        assert (fed["fields"]["status"], fed["fields"]["code"]) == ("approved", case.code)
        [place] = case_items(approved["items"], "capacity.liveplace")
        assert place["holder"] == f"emergencycase:{case.pk}" and place["fields"]["nik"] == NIK
        # The hotline officer's account comes without a password unless they are the
        # office's staff (they are: they log in at the node with it).
        users = {u["pk"]: u for u in case_items(approved["items"], "accounts.user")}
        assert set(users) == {hotline_officer.pk, case.decided_by_id}
        assert users[hotline_officer.pk]["fields"]["password"] == hotline_officer.password

        snapshot = get(client, "/snapshot").json()
        assert [i["fields"]["code"] for i in case_items(snapshot["items"])] == [case.code]

        # At a node that has never seen it (this database, the case taken away): the snapshot
        # brings it back, and the desk finds it by its code.
        LivePlace.objects.filter(holder=f"emergencycase:{case.pk}").delete()
        EmergencyCase.objects.filter(pk=case.pk).delete()
        apply_central_items(snapshot["items"], pulled_seq=snapshot["seq"])
        arrival = desk_codes.find_arrival(office=central, code=case.code)
        assert (arrival.kind, arrival.nik, arrival.date) == ("emergency", NIK, WEDNESDAY)
        assert LivePlace.objects.get(holder=f"emergencycase:{case.pk}").nik == NIK


def test_an_office_without_a_node_records_no_case_change(settings, office, hotline_officer):
    """The hotline writes nothing more for an office that runs no node."""
    settings.LOKET_SYNC_KEYS = ""
    queue_demo.load_queue_demo()  # the supervisor
    with clock.frozen_at(at(WEDNESDAY, 8)):
        approve(record(office, hotline_officer), office)
    assert not CentralChange.objects.exists()


def checked_in_at_the_node(central, settings, case) -> tuple[EmergencyCase, Ticket, list[dict]]:
    """The desk checks the case in at the node by its code; returns the node's changes."""
    settings.LOKET_OFFICE_CODE = "KRW"
    install_triggers()
    reserve_office_ids(central.pk)
    try:
        with clock.frozen_at(at(WEDNESDAY, 9)):
            ticket = desk_codes.check_in_at_desk(
                office=central, code=case.code, confirmed_nik=NIK, officer=staff(central, "desk")
            )
        changes = node.pending_changes(10_000)
    finally:
        drop_triggers()
    return case, ticket, changes


@node_only
def test_a_check_in_at_the_node_reaches_the_central_site_once(
    client, central, hotline_officer, settings
):
    with clock.frozen_at(at(WEDNESDAY, 8)):
        case = approve(record(central, hotline_officer), central)
    case, ticket, changes = checked_in_at_the_node(central, settings, case)
    base = office_id_base(central.pk)
    assert base <= ticket.pk < base + ID_RANGE and ticket.lane.kind == "emergency"
    [update] = [c for c in changes if c["model"] == "outreach.emergencycase"]
    assert (update["pk"], update["op"], update["fields"]["ticket"]) == (case.pk, "U", ticket.pk)
    models = [c["model"] for c in changes]
    assert models.index("queue.ticket") < models.index("outreach.emergencycase")

    # The central site (this database, as before the check-in) takes the ticket and the link.
    events = TicketEvent.objects.filter(ticket=ticket).count()
    EmergencyCase.objects.filter(pk=case.pk).update(ticket=None)
    TicketEvent.objects.filter(ticket=ticket).delete()
    Ticket.objects.filter(pk=ticket.pk).delete()
    last = changes[-1]["seq"]
    with clock.frozen_at(at(WEDNESDAY, 9, 5)):
        assert post(client, changes).json() == {"applied_through": last}
    assert EmergencyCase.objects.get(pk=case.pk).ticket_id == ticket.pk
    assert Ticket.objects.filter(pk=ticket.pk, office=central).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket).count() == events

    # The same push again (its answer lost): nothing applied twice.
    applied = AppliedChange.objects.count()
    with clock.frozen_at(at(WEDNESDAY, 9, 6)):
        assert post(client, changes).json() == {"applied_through": last}
    assert AppliedChange.objects.count() == applied
    assert EmergencyCase.objects.get(pk=case.pk).ticket_id == ticket.pk
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def case_change(case: EmergencyCase, seq: int, **overrides) -> dict:
    fields = serializers.serialize("python", [case])[0]["fields"]
    fields.update(overrides)
    return {
        "seq": seq,
        "key": f"KRW:{seq}",
        "model": "outreach.emergencycase",
        "pk": case.pk,
        "op": "U",
        "holder": "",
        "fields": fields,
    }


@node_only
def test_a_push_for_another_offices_case_or_the_central_decision_is_refused(
    client, central, hotline_officer, settings
):
    with clock.frozen_at(at(WEDNESDAY, 8)):
        waiting = record(central, hotline_officer)
        case = approve(record(central, hotline_officer), central)
    case, ticket, _changes = checked_in_at_the_node(central, settings, case)
    EmergencyCase.objects.filter(pk=case.pk).update(ticket=None)
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    theirs = EmergencyCase.objects.create(
        office=other,
        caller_name="Pak Budi",
        caller_phone="081211112222",
        nik=make_nik(dt.date(1975, 1, 9), district="327301"),
        applicant_name="Bu Ani",
        domicile_regency="3273",
        reason="serious_illness",
        in_working_area=True,
        recorded_by=hotline_officer,
        recorded_at=clock.now(),
    )
    other_ticket = Ticket.objects.create(
        **{
            f.name: getattr(ticket, f.name)
            for f in Ticket._meta.concrete_fields
            if f.name not in ("id", "office", "number")
        },
        office=other,
        number=ticket.number,
    )
    wrong = (
        case_change(theirs, 1, ticket=ticket.pk),  # another office's case
        case_change(case, 1, office=other.pk, ticket=ticket.pk),  # named for another office
        case_change(case, 1, status="rejected", ticket=ticket.pk),  # the central decision
        case_change(case, 1, service_date="2026-12-03", ticket=ticket.pk),
        case_change(waiting, 1, status="approved", code="DR999999"),  # approved at the node
        case_change(case, 1, ticket=other_ticket.pk),  # a ticket of another office
        case_change(case, 1, ticket=999),
    )
    with clock.frozen_at(at(WEDNESDAY, 9, 5)):
        for change in wrong:
            answer = post(client, [change])
            assert answer.status_code == 400
            assert answer.json()["code"] == "sync_change_refused"
        assert EmergencyCase.objects.get(pk=case.pk).ticket_id is None
        assert EmergencyCase.objects.get(pk=waiting.pk).status == "recorded"
        assert EmergencyCase.objects.get(pk=theirs.pk).ticket_id is None
        assert not AppliedChange.objects.exists()

        # The office's own field only: the check-in is taken, a changed name is not.
        taken = case_change(case, 1, ticket=ticket.pk, applicant_name="Nama Lain")
        assert post(client, [taken]).json() == {"applied_through": 1}
    case.refresh_from_db()
    assert (case.ticket_id, case.applicant_name) == (ticket.pk, "Pak Darto")


@node_only
def test_the_node_keeps_its_check_in_when_the_case_comes_down_again(
    client, central, hotline_officer, settings
):
    """The ticket is the office's: the central row fed again (before the node's check-in
    reached it) leaves the node's ticket on the case; a ticket the node does not hold is not
    linked there."""
    with clock.frozen_at(at(WEDNESDAY, 8)):
        case = approve(record(central, hotline_officer), central)
        fed = get(client, "/snapshot").json()
    case, ticket, _changes = checked_in_at_the_node(central, settings, case)
    apply_central_items(fed["items"], pulled_seq=fed["seq"])
    assert EmergencyCase.objects.get(pk=case.pk).ticket_id == ticket.pk

    [row] = case_items(fed["items"])
    EmergencyCase.objects.filter(pk=case.pk).update(ticket=None)
    apply_central_items([{**row, "fields": {**row["fields"], "ticket": 999}}], pulled_seq=1)
    assert EmergencyCase.objects.get(pk=case.pk).ticket_id is None


def test_an_office_node_refuses_outreach_and_says_so(settings, client, office):
    """Recording and deciding cases, requests and service days stay central (a row made at the
    node would never reach the central site); the desk's code page stays at the node."""
    settings.LOKET_ROLE = "office"
    for path in (
        "/outreach/hotline/",
        "/outreach/hotline/1/",
        "/outreach/eazy-passport/",
        "/outreach/staff/requests/",
        "/outreach/staff/service-days/1/",
        "/outreach/service-days/1/book/",
    ):
        page = client.post(path, data={})
        assert page.status_code == 503, path
        assert "central site only" in page.content.decode()
    refused = client.post("/api/v1/outreach/service-days/1/bookings", data={})
    assert refused.status_code == 503
    assert refused.json()["code"] == "online_booking_central_only"
    assert client.get("/outreach/staff/check-in/").status_code != 503
    settings.LOKET_ROLE = "central"
    assert client.get("/outreach/hotline/").status_code != 503


def test_an_office_nodes_portal_does_not_offer_the_pages_it_refuses(settings, office):
    """At a node the portal leaves out outreach's central pages (they answer 503 there) and
    keeps the desk's code page and the office day's pages."""
    from django.urls import reverse

    from loket.staff import portal

    def urls():
        permissions = {"outreach.hotline", "outreach.plan", "outreach.check_in_case", "desk.view"}
        sections = portal.sections_for(office, permissions)
        return [link["url"] for section in sections for link in section["links"]]

    query = f"?office={office.code}"
    central = urls()
    assert reverse("outreach:hotline") + query in central
    assert reverse("outreach:staff_requests") + query in central
    settings.LOKET_ROLE = "office"
    node = urls()
    assert reverse("outreach:hotline") + query not in node
    assert reverse("outreach:staff_requests") + query not in node
    assert reverse("outreach:check_in") + query in node
    assert set(node) - set(central) == set()
