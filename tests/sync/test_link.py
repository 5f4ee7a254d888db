"""An office node against a real central site (a server process of its own): the link is cut
in the middle of a day, the office keeps working for an hour, the link comes back, and the
central site has every visit of the day once.

The node is this test's own database (SQLite, LOKET_ROLE=office); the central site is a
gunicorn process on its own database (SQLite in a temporary directory; PostgreSQL with
DATABASE_URL, database `<name>_central`)."""

import datetime as dt
import json
import os
import urllib.request

import pytest
from django.db import connection
from django.template import Context, Template
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.booking.models import Booking, BookingStatus
from loket.capacity.integrity import find_drift
from loket.core import clock
from loket.offices.models import Office
from loket.queue.models import Counter, LaneKind, Ticket
from loket.sync import client as node
from loket.sync.models import NodeChange, NodeState, SyncFlag
from tests.conftest import WIB
from tests.sync import central_site
from tests.sync import office_day as queue
from tests.sync.link import OFFICE_KEY, CentralSite, recreate_database

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="an office node runs on the embedded SQLite database"
)

DAY = dt.date(2026, 12, 8)  # a Tuesday, no holiday near
BOOKINGS = 12
SUPERVISOR = ("supervisor@contoh.id", "supervisor-demo-2026")


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=WIB)


# A PostgreSQL central site: LOKET_TEST_CENTRAL_DATABASE_URL (a database this test drops and
# creates), e.g. postgres://postgres@127.0.0.1:5432/loket_node_central.
CENTRAL_PG = os.environ.get("LOKET_TEST_CENTRAL_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request, tmp_path):
    database_url = ""
    if request.param == "postgresql":
        if not CENTRAL_PG:
            pytest.skip("a PostgreSQL central site needs LOKET_TEST_CENTRAL_DATABASE_URL")
        database_url = recreate_database(CENTRAL_PG)
    site = CentralSite(data_dir=tmp_path, day=DAY.isoformat(), database_url=database_url)
    site.manage("migrate", "--noinput", "-v0")
    site.prepared = site.call("prepare", DAY.isoformat(), BOOKINGS)
    site.start()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def office_node(db, settings, central):
    settings.LOKET_ROLE = "office"
    settings.LOKET_CENTRAL_URL = central.url
    settings.LOKET_OFFICE_CODE = "KRW"
    settings.LOKET_OFFICE_KEY = OFFICE_KEY
    settings.LOKET_SYNC_TIMEOUT = 30  # a stopped central site refuses at once; a loaded one is slow
    return central


def desk():
    from loket.accounts.models import User

    return User.objects.get(email="meja@contoh.id")


def counter_officer():
    from loket.accounts.models import User

    return User.objects.get(email="loket1@contoh.id")


def serve_next(office: Office) -> Ticket | None:
    """Counter 1 calls the next person, serves and completes them."""
    counter = Counter.objects.get(office=office, number=1)
    try:
        ticket = queue.call_next_ticket(counter=counter, officer=counter_officer())
    except Exception:  # noqa: BLE001  (an empty queue)
        return None
    queue.start_service(counter=counter, officer=counter_officer())
    queue.complete_ticket(counter=counter, officer=counter_officer())
    return ticket


def elderly(serial: int) -> tuple[str, dt.date]:
    birth = dt.date(1950, 3, 14)
    return f"321501{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}", birth


def banner() -> str:
    return Template("{% load sync %}{% sync_banner %}").render(Context({}))


def test_the_office_keeps_serving_through_a_cut_and_the_central_site_gets_every_visit_once(
    office_node, client
):
    """Mid-day the central site goes down: the node keeps checking in, issuing priority tickets
    and serving for an hour, shows since when it is offline, and refuses online bookings. A
    booking cancelled centrally meanwhile is served (and flagged). When the link comes back,
    everything reaches the central site once: the same tickets, events and statuses on both
    sides, nothing doubled by a repeated push, the ledger clean on both sides."""
    central = office_node
    bookings = central.prepared["bookings"]
    # The supervisor has two-factor login on (turned on centrally, before the node starts).
    key = central.call("turn_on_two_factor", SUPERVISOR[0])["key"]

    with clock.frozen_at(at(7, 55)):
        result = node.sync_once()
        assert result.ok, result.error
    office = Office.objects.get(code="KRW")
    assert Booking.objects.filter(date=DAY, status=BookingStatus.CONFIRMED).count() == BOOKINGS
    assert banner().strip() == ""

    # Link up: the first four check in, two priority walk-ins, two people served.
    for i, booking in enumerate(bookings[:4]):
        with clock.frozen_at(at(8, 5 + i)):
            queue.check_in_booking(
                office=office, code=booking["code"], confirmed_nik=booking["nik"], officer=desk()
            )
    for serial in (1, 2):
        nik, birth = elderly(serial)
        with clock.frozen_at(at(8, 15 + serial)):
            queue.issue_walk_in_ticket(
                office=office,
                lane_kind=LaneKind.PRIORITY,
                name=f"Lansia {serial}",
                nik=nik,
                birth_date=birth,
                officer=desk(),
            )
    with clock.frozen_at(at(8, 20)):
        serve_next(office)
        serve_next(office)
        result = node.sync_once()
        assert result.ok and result.pushed > 0, result.error
    assert NodeChange.objects.count() == 0

    # The link is cut at 08:30. Meanwhile the central site cancels booking 6 (the node never
    # sees it before the person stands at the desk).
    central.stop()
    central.call("cancel", bookings[6]["code"], at(8, 40).isoformat())
    with clock.frozen_at(at(8, 31)):
        assert not node.sync_once().ok
    for minute in range(0, 60, 6):  # an hour offline: check-ins, walk-ins, calls
        moment = at(8, 32) + dt.timedelta(minutes=minute)
        with clock.frozen_at(moment):
            index = 4 + minute // 6
            if index < len(bookings):
                b = bookings[index]
                queue.check_in_booking(
                    office=office, code=b["code"], confirmed_nik=b["nik"], officer=desk()
                )
            if minute % 12 == 0:
                nik, birth = elderly(10 + minute)
                queue.issue_walk_in_ticket(
                    office=office,
                    lane_kind=LaneKind.PRIORITY,
                    name="Lansia",
                    nik=nik,
                    birth_date=birth,
                    officer=desk(),
                )
            serve_next(office)
            assert not node.sync_once().ok
    with clock.frozen_at(at(9, 31)):
        shown = banner()
        assert "Kantor sedang offline sejak 08:20" in shown  # the last good contact
        assert "The office is offline since 08:20" in shown
        refused = client.post("/api/v1/bookings", data={}, content_type="application/json")
        assert refused.status_code == 503
        assert refused.json()["code"] == "online_booking_central_only"
    pending = NodeChange.objects.count()
    assert pending > 50
    assert Booking.objects.get(code=bookings[6]["code"]).status == BookingStatus.CHECKED_IN

    # The link is back: everything goes up once, the cancellation comes down.
    central.start()
    with clock.frozen_at(at(9, 32)):
        batch = node.pending_changes(limit=10_000)
        result = node.sync_once()
        assert result.ok, result.error
        assert result.pushed == pending
    assert NodeChange.objects.count() == 0
    shown = banner()
    assert "offline" not in shown
    assert "1 kasus untuk supervisor" in shown  # the served cancellation, at the node too
    # The desk's word stands at the node; the supervisor is told on both sides.
    assert Booking.objects.get(code=bookings[6]["code"]).status == BookingStatus.CHECKED_IN
    assert SyncFlag.objects.filter(object_id=bookings[6]["code"]).exists()

    # A push whose answer was lost is sent again: nothing is applied twice.
    request = urllib.request.Request(
        f"{central.url}/api/v1/sync/KRW/push",
        data=json.dumps({"changes": batch}, default=str).encode(),
        method="POST",
        headers={"Authorization": f"Office {OFFICE_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["applied_through"] == NodeState.objects.get().pushed_seq

    # The supervisor logs in at the node with the app's code and closes the case there; the
    # closing reaches the central site with the node's next round.
    assert TOTPDevice.objects.get(user__email=SUPERVISOR[0]).key == key
    login = client.post("/office/login/", {"username": SUPERVISOR[0], "password": SUPERVISOR[1]})
    assert login["Location"] == "/office/login/code/"
    device = TOTPDevice.objects.get(key=key)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=1)
    assert client.post("/office/login/code/", {"code": f"{code:06d}"}).status_code == 302
    assert bookings[6]["code"] in client.get("/office/KRW/flags/").content.decode()
    case = SyncFlag.objects.get(object_id=bookings[6]["code"], kind="cancelled_served")
    closed = client.post("/office/KRW/flags/", {"flag": case.pk, "note": "Refund stopped."})
    assert closed.status_code == 302
    with clock.frozen_at(at(9, 40)):
        assert node.sync_once().ok
    assert ["cancelled_served", bookings[6]["code"], True, "Refund stopped.", SUPERVISOR[0]] in (
        central.call("flags")
    )
    assert "kasus untuk supervisor" not in banner()

    there = central.call("day_figures", DAY.isoformat())
    here = central_site.day_figures(DAY.isoformat())
    assert there["tickets"] == here["tickets"]
    assert there["reports"] == here["reports"]  # waits, service times, counters, priority quota
    assert here["reports"]["counter_throughput"]["rows"]
    assert len(here["tickets"]) == BOOKINGS + 2 + 5
    assert there["ticket_events"] == here["ticket_events"]
    assert there["ticket_event_ids"] == here["ticket_event_ids"]
    assert there["issuances"] == here["issuances"]
    assert there["bookings"] == here["bookings"]
    assert there["office_audit"] == here["office_audit"]
    # The central site also holds its own facts (the payments' confirmations, the cancellation
    # of booking 6), and overrode the cancellation: the person was served.
    assert there["booking_events"] == {
        **here["booking_events"],
        "confirmed": BOOKINGS,
        "cancelled": 1,
    }
    assert there["overridden"] == [bookings[6]["code"]]
    assert ["cancelled_served", bookings[6]["code"]] in there["flags"]
    assert there["drift"] == []
    assert here["drift"] == [] and find_drift() == []
