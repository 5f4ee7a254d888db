"""The central site's sync endpoints: the office key, the feed numbered per office, pushes
applied once, and what an office node refuses and shows."""

import datetime as dt

import pytest
from django.core import serializers
from django.template import Context, Template

from loket.booking.models import BookingStatus
from loket.core import clock
from loket.demo import queue as queue_demo
from loket.queue.models import Ticket
from loket.sync.apply import apply_central_items
from loket.sync.models import AppliedChange, CentralChange, NodeState, SyncFlag
from tests.helpers import WEDNESDAY, at, book, pay, person
from tests.sync import office_day as queue

KEY = "kunci-uji-karawang-0123456789"


@pytest.fixture
def central(settings, office):
    settings.LOKET_SYNC_KEYS = f"KRW={KEY}"
    queue_demo.load_queue_demo()
    return office


def get(client, path, key=KEY):
    headers = {"HTTP_AUTHORIZATION": f"Office {key}"} if key is not None else {}
    return client.get(f"/api/v1/sync/KRW{path}", **headers)


def post(client, body, key=KEY):
    return client.post(
        "/api/v1/sync/KRW/push",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Office {key}",
    )


@pytest.mark.parametrize("key", [None, "", "salah", KEY + "x", "kunci-kantor-lain-0123456789"])
def test_the_feed_answers_only_the_offices_own_key(client, central, key):
    """No key, a wrong key, or another office's key: 401, and nothing about the office."""
    answer = get(client, "/changes?after=0", key=key)
    assert answer.status_code == 401
    assert answer.json()["code"] == "office_key_invalid"
    assert "KRW" not in answer.content.decode()


def test_an_unknown_office_is_refused_like_a_wrong_key(client, central):
    answer = client.get("/api/v1/sync/XYZ/changes", HTTP_AUTHORIZATION=f"Office {KEY}")
    assert answer.status_code == 401


def test_the_snapshot_holds_the_office_its_staff_and_the_coming_bookings(
    client, central, account, online
):
    booking = pay(book(account, online))
    answer = get(client, "/snapshot")
    assert answer.status_code == 200
    models = {item["model"] for item in answer.json()["items"]}
    assert {"offices.office", "queue.lane", "staff.staffmembership", "booking.booking"} <= models
    booked = [i for i in answer.json()["items"] if i["model"] == "booking.booking"]
    assert [b["fields"]["code"] for b in booked] == [booking.code]
    users = [i for i in answer.json()["items"] if i["model"] == "accounts.user"]
    applicant_account = next(u for u in users if u["pk"] == account.pk)
    assert applicant_account["fields"]["password"] == "!"  # an applicant never logs in there


def test_each_booking_change_of_the_office_is_numbered_in_order(client, central, account, online):
    """Confirming and cancelling are fed in order; reading again from a number gives only what
    came after; the items carry the row as it is now."""
    start = get(client, "/changes?after=0").json()["last"]
    booking = pay(book(account, online))
    first = get(client, f"/changes?after={start}").json()
    assert first["last"] == start + 1
    assert [i["fields"]["status"] for i in first["items"] if i["model"] == "booking.booking"] == [
        "confirmed"
    ]
    from loket.booking.services import cancel_booking

    cancel_booking(account=account, code=booking.code)
    second = get(client, f"/changes?after={first['last']}").json()
    assert second["last"] == first["last"] + 1
    place = [i for i in second["items"] if i["model"] == "capacity.liveplace"]
    assert place == [
        {"model": "capacity.liveplace", "holder": f"booking:{booking.code}", "fields": None}
    ]
    assert get(client, f"/changes?after={second['last']}").json()["items"] == []


def test_offices_without_a_node_record_no_changes(settings, office, account, online):
    """The booking path writes nothing more for an office that runs no node."""
    settings.LOKET_SYNC_KEYS = ""
    pay(book(account, online))
    assert not CentralChange.objects.exists()


@pytest.mark.parametrize("after", ["abc", "-1", "1e9"])
def test_a_bad_number_is_a_422_not_a_500(client, central, after):
    assert get(client, f"/changes?after={after}").status_code == 422


def test_paging_the_feed(client, central, account, online):
    start = get(client, "/changes?after=0").json()["last"]
    for serial in range(3):
        pay(book(account, online, applicant=person(serial=serial + 1)))
    page = get(client, f"/changes?after={start}&limit=2").json()
    assert page["more"] is True and page["last"] == start + 2
    rest = get(client, f"/changes?after={page['last']}&limit=2").json()
    assert rest["more"] is False and rest["last"] == start + 3


def ticket_change(ticket: Ticket, seq: int, **overrides) -> dict:
    fields = serializers.serialize("python", [ticket])[0]["fields"]
    fields.update(overrides)
    return {
        "seq": seq,
        "key": f"KRW:{seq}",
        "model": "queue.ticket",
        "pk": ticket.office_id * 10**12 + ticket.pk,  # an id of the office node's range
        "op": "I",
        "holder": "",
        "fields": fields,
    }


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{",
        "[]",
        '{"changes": 1}',
        '{"changes": [{"seq": "1"}]}',
        '{"changes": [{"seq": 1, "model": "queue.ticket"}]}',
    ],
)
def test_a_malformed_push_is_refused_with_a_code(client, central, body):
    answer = post(client, body)
    assert answer.status_code in (400, 422)
    assert answer.json()["code"]


def test_a_push_is_applied_once_and_only_for_the_office(client, central, account, online):
    """A repeated push applies nothing twice; a row of another model or office is refused."""
    booking = pay(book(account, online, day=WEDNESDAY))
    desk = central.staff_memberships.get(role="desk").user
    with clock.frozen_at(at(WEDNESDAY, 9)):
        ticket = queue.check_in_booking(
            office=central, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
    import json

    change = ticket_change(ticket, 1, number=999, booking=None)  # as if issued at the node

    body = json.dumps({"changes": [change]}, default=str)
    assert post(client, body).json() == {"applied_through": 1}
    assert post(client, body).json() == {"applied_through": 1}
    assert AppliedChange.objects.filter(office=central).count() == 1
    assert Ticket.objects.filter(pk=central.pk * 10**12 + ticket.pk).count() == 1

    refused = json.dumps(
        {"changes": [{**change, "seq": 2, "key": "KRW:2", "model": "accounts.user"}]}, default=str
    )
    assert post(client, refused).json()["code"] == "sync_change_refused"
    outside = {**ticket_change(ticket, 2, number=998, booking=None), "pk": ticket.pk}
    answer = post(client, json.dumps({"changes": [outside]}, default=str))
    assert answer.json()["code"] == "sync_change_refused"  # not an id of the office's range
    other = ticket_change(ticket, 2, office=central.pk + 1, number=998, booking=None)
    answer = post(client, json.dumps({"changes": [other]}, default=str))
    assert answer.json()["code"] == "sync_change_refused"
    assert AppliedChange.objects.filter(office=central).count() == 1
    clash = ticket_change(ticket, 2)  # the same number as a ticket the central site holds
    answer = post(client, json.dumps({"changes": [clash]}, default=str))
    assert answer.status_code == 409 and answer.json()["code"] == "sync_conflict"


def test_the_node_keeps_a_person_it_checked_in_when_the_cancellation_arrives(
    settings, central, account, online
):
    """The rule: cancelled centrally while the office was cut off, checked in at the desk: the
    person is served, and the supervisor is told."""
    booking = pay(book(account, online, day=WEDNESDAY))
    desk = central.staff_memberships.get(role="desk").user
    with clock.frozen_at(at(WEDNESDAY, 9)):
        queue.check_in_booking(
            office=central, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
    row = serializers.serialize("python", [booking])[0]
    row["fields"]["status"] = BookingStatus.CANCELLED
    settings.LOKET_ROLE = "office"
    NodeState.objects.create(pk=1)
    apply_central_items([row], pulled_seq=7)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN
    assert SyncFlag.objects.filter(object_id=booking.code, kind="cancelled_served").exists()
    assert NodeState.objects.get().pulled_seq == 7


def test_an_office_node_refuses_online_booking_and_says_so(settings, client, office):
    settings.LOKET_ROLE = "office"
    api = client.post("/api/v1/bookings", data={}, content_type="application/json")
    assert api.status_code == 503 and api.json()["code"] == "online_booking_central_only"
    page = client.get("/book/")
    assert page.status_code == 503
    assert "central site" in page.content.decode()
    assert client.get("/office/login/").status_code == 200


def test_the_banner_says_since_when_the_office_is_offline(settings, db):
    render = lambda: Template("{% load sync %}{% sync_banner %}").render(Context({}))  # noqa: E731
    assert render().strip() == ""
    settings.LOKET_ROLE = "office"
    NodeState.objects.create(pk=1, offline_since=dt.datetime(2026, 12, 1, 3, 5, tzinfo=dt.UTC))
    with clock.frozen_at(dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)):
        shown = render()
    assert "Kantor sedang offline sejak 10:05" in shown  # WIB
    assert "The office is offline since 10:05" in shown


def test_a_role_taken_away_centrally_goes_at_the_node_too(settings, client, central):
    """The supervisor's role is removed at the central site: the feed says the configuration
    changed, and the node that takes it no longer knows the role."""
    from loket.staff.models import StaffMembership

    start = get(client, "/changes?after=0").json()["last"]
    supervisor = StaffMembership.objects.get(office=central, role="supervisor")
    supervisor.delete()
    answer = get(client, f"/changes?after={start}").json()
    assert answer["last"] == start + 1
    items = answer["items"]
    assert supervisor.pk not in [i["pk"] for i in items if i["model"] == "staff.staffmembership"]
    StaffMembership.objects.create(
        pk=supervisor.pk, office=central, user=supervisor.user, role="supervisor"
    )  # as the node still has it
    settings.LOKET_ROLE = "office"
    NodeState.objects.create(pk=1)
    apply_central_items(items, pulled_seq=answer["last"])
    assert not StaffMembership.objects.filter(pk=supervisor.pk).exists()
    assert StaffMembership.objects.filter(office=central, role="desk").exists()


def test_the_central_site_takes_the_walk_in_lanes_places_as_the_node_moved_them(client, central):
    """At noon the node moves the priority places left to the lost/damaged lane, whose walk-ins
    then use more places than its own quota: the central site takes both slots as the node
    has them (places and places taken), rather than refusing the push."""
    import json

    from loket.capacity.models import CapacitySlot
    from loket.capacity.services import ensure_day_slots
    from loket.offices.models import Channel

    slots = {}
    for code in ("priority", "lost-damaged"):
        channel = Channel.objects.get(office=central, code=code)
        ensure_day_slots(channel=channel, day=WEDNESDAY)
        slots[code] = CapacitySlot.objects.filter(channel=channel, date=WEDNESDAY).first()
    priority, lost = slots["priority"], slots["lost-damaged"]
    moved = priority.capacity - 4
    changes = []
    for seq, (slot, capacity, used) in enumerate(
        [(priority, 4, 4), (lost, lost.capacity + moved, lost.capacity + 3)], start=1
    ):
        fields = serializers.serialize("python", [slot])[0]["fields"]
        fields.update(capacity=capacity, used=used)
        changes.append(
            {
                "seq": seq,
                "key": f"KRW:{seq}",
                "model": "capacity.capacityslot",
                "pk": slot.pk,
                "op": "U",
                "holder": "",
                "fields": fields,
            }
        )
    answer = post(client, json.dumps({"changes": changes}, default=str))
    assert answer.json() == {"applied_through": 2}
    priority.refresh_from_db()
    assert (priority.capacity, priority.used) == (4, 4)
    capacity_before = lost.capacity
    lost.refresh_from_db()
    assert (lost.capacity, lost.used) == (capacity_before + moved, capacity_before + 3)


def test_a_day_pushed_after_midnight_is_in_the_months_report(client, central, account, online):
    """The month's report keeps the queue figures of closed days. A node back online the next
    morning pushes yesterday's tickets: the month's figures count them at the next reading."""
    import json

    from loket.queue.models import TicketEvent
    from loket.reports import selectors
    from tests.helpers import THURSDAY

    booking = pay(book(account, online, day=WEDNESDAY))
    desk = central.staff_memberships.get(role="desk").user
    with clock.frozen_at(at(WEDNESDAY, 9)):
        ticket = queue.check_in_booking(
            office=central, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
    month = selectors.period_for("month", WEDNESDAY)

    def issued_on_wednesday() -> int:
        with clock.frozen_at(at(THURSDAY, 8)):
            rows = selectors.get_figure("served_within_target", central, month).rows
        return next(row[1] for row in rows if row[0] == WEDNESDAY)

    assert issued_on_wednesday() == 1  # and the month's closed days are kept from now on
    issued = TicketEvent.objects.get(ticket=ticket)
    event = serializers.serialize("python", [issued])[0]["fields"]
    node_ticket = ticket_change(ticket, 1, number=999, booking=None)
    event.update(ticket=node_ticket["pk"], at=at(WEDNESDAY, 15))
    node_event = {**node_ticket, "seq": 2, "key": "KRW:2", "model": "queue.ticketevent"}
    node_event.update(pk=node_ticket["pk"], fields=event)
    with clock.frozen_at(at(THURSDAY, 8, 30)):
        body = json.dumps({"changes": [node_ticket, node_event]}, default=str)
        assert post(client, body).json() == {"applied_through": 2}
    assert issued_on_wednesday() == 2
