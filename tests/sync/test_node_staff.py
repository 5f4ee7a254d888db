"""Staff at the office node: two-factor devices come from the central site (the node asks for
the code and checks it, but never turns two-factor on or off), and the supervisor sees and
closes the flags the link raised.

Central and node share this test's database: a test takes the central site's feed, then
plays the node (LOKET_ROLE=office) applying it, as in test_feed.py."""

import pytest
from django.core import serializers
from django.db import connection
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.core import clock
from loket.core.errors import PermissionDenied
from loket.core.models import AuditEvent
from loket.staff import two_factor
from loket.sync.apply import apply_central_items
from loket.sync.capture import drop_triggers, install_triggers
from loket.sync.feed import DEVICE, FLAG
from loket.sync.flags import close_flag
from loket.sync.models import FlagKind, NodeChange, NodeState, SyncFlag
from tests.helpers import WEDNESDAY, at
from tests.sync.test_feed import central, get, post  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("central")  # the demo office, its staff, a node's key
SUPERVISOR = ("supervisor@contoh.id", "supervisor-demo-2026")
CENTRAL_ONLY = "Two-factor login is turned on and off on the central site only."


def code(device, *, ahead: int = 0) -> str:
    """The device's code now, or `ahead` 30-second steps later (accepted one step ahead)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=ahead)
    return f"{value:06d}"


def supervisor_user():
    from loket.accounts.models import User

    return User.objects.get(email=SUPERVISOR[0])


def turn_on_centrally() -> TOTPDevice:
    user = supervisor_user()
    device = two_factor.pending_device(user)
    return two_factor.turn_on(user=user, code=code(device))


def as_node(settings) -> None:
    settings.LOKET_ROLE = "office"
    NodeState.objects.get_or_create(pk=1)


def log_in(client):
    return client.post("/office/login/", {"username": SUPERVISOR[0], "password": SUPERVISOR[1]})


def test_a_supervisor_with_two_factor_on_logs_in_at_the_node_with_the_code(settings, client):
    """Turned on centrally, the device comes down with the office's feed; the node's login asks
    for the code and accepts the app's code, once (a code used at this node is refused again)."""
    start = get(client, "/changes?after=0").json()["last"]
    two_factor.pending_device(supervisor_user())  # set-up begun, not confirmed: not sent
    assert get(client, f"/changes?after={start}").json()["last"] == start
    assert DEVICE not in {i["model"] for i in get(client, "/snapshot").json()["items"]}

    device = turn_on_centrally()
    answer = get(client, f"/changes?after={start}").json()
    assert answer["last"] == start + 1
    sent = [i for i in answer["items"] if i["model"] == DEVICE]
    assert [(d["pk"], d["fields"]["confirmed"]) for d in sent] == [(device.pk, True)]
    assert [i["pk"] for i in get(client, "/snapshot").json()["items"] if i["model"] == DEVICE] == [
        device.pk
    ]

    TOTPDevice.objects.all().delete()  # the node has none yet
    as_node(settings)
    apply_central_items(answer["items"], pulled_seq=answer["last"])
    at_node = TOTPDevice.objects.get(user=supervisor_user(), confirmed=True)
    assert at_node.key == device.key

    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/office/login/code/"
    assert client.get("/office/KRW/supervisor/").status_code == 302  # not in yet
    used = code(at_node, ahead=1)
    assert client.post("/office/login/code/", {"code": used}).status_code == 302
    assert client.get("/office/KRW/supervisor/").status_code == 200

    # The same code at this node again: refused, also after the configuration comes again
    # with the central site's older counter.
    client.logout()
    apply_central_items(answer["items"], pulled_seq=answer["last"])
    log_in(client)
    assert client.post("/office/login/code/", {"code": used}).status_code == 400
    assert TOTPDevice.objects.get(pk=device.pk).last_t > device.last_t


def test_the_node_does_not_turn_two_factor_on_or_off(settings, client):
    """At the node the page says two-factor is changed centrally, shows no secret, and refuses
    a change with a clear message; the device stays."""
    device = turn_on_centrally()
    as_node(settings)
    log_in(client)
    client.post("/office/login/code/", {"code": code(device, ahead=1)})
    page = client.get("/office/two-factor/")
    assert page.status_code == 200
    assert CENTRAL_ONLY in page.content.decode()
    assert b"data:image/svg+xml" not in page.content and b'name="action"' not in page.content
    refused = client.post("/office/two-factor/", {"action": "off", "code": code(device)})
    assert refused.status_code == 409
    assert CENTRAL_ONLY in refused.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    with pytest.raises(two_factor.TwoFactorCentralOnly):
        two_factor.pending_device(supervisor_user())
    with translation.override("id"):
        assert str(two_factor.TwoFactorCentralOnly()).startswith(
            "Masuk dua langkah hanya dapat diaktifkan dan dinonaktifkan di situs pusat."
        )


@pytest.mark.parametrize("how", ["turned_off", "removed_in_the_admin"])
def test_a_device_turned_off_centrally_goes_at_the_node_too(settings, client, how):
    """The officer turns two-factor off (or an administrator removes a lost phone's device):
    the feed says the configuration changed, and the node that applies it forgets the device:
    the login asks for the password only."""
    device = turn_on_centrally()
    kept = serializers.serialize("python", [device])  # the node still has it
    start = get(client, "/changes?after=0").json()["last"]
    if how == "turned_off":
        two_factor.turn_off(user=supervisor_user(), code=code(device, ahead=1))
    else:
        TOTPDevice.objects.filter(pk=device.pk).delete()
    answer = get(client, f"/changes?after={start}").json()
    assert answer["last"] == start + 1
    assert DEVICE not in {i["model"] for i in answer["items"]}
    for obj in serializers.deserialize("python", kept):
        obj.save()
    as_node(settings)
    apply_central_items(answer["items"], pulled_seq=answer["last"])
    assert not TOTPDevice.objects.exists()
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/office/"


# --- the supervisor's flags -------------------------------------------------------------------


def raise_flags(office) -> list[SyncFlag]:
    """Two flags as the central site raises them when a node's changes come back."""
    with clock.frozen_at(at(WEDNESDAY, 10)):
        return [
            SyncFlag.objects.create(
                office=office,
                kind=FlagKind.CANCELLED_BUT_SERVED,
                object_id="K7Q2M9XPLA",
                detail={"office_status": "checked_in"},
                at=clock.now(),
            ),
            SyncFlag.objects.create(
                office=office,
                kind=FlagKind.LIVE_PLACE_CONFLICT,
                object_id="ticket:1000000000042",
                detail={"nik": "0123"},
                at=clock.now(),
            ),
        ]


def supervisor_client(client):
    client.force_login(supervisor_user())
    return client


def test_the_supervisor_sees_the_flags_and_closes_one_saying_what_was_done(client, office):
    """The page lists the open cases with what to do (a NIK only masked); closing one records
    who closed it, when and what was done, in the audit trail too; it then shows as closed."""
    served, both = raise_flags(office)
    page = supervisor_client(client).get("/office/KRW/flags/")
    assert page.status_code == 200
    text = page.content.decode()
    assert served.object_id in text and both.object_id in text
    assert "0123" not in text and "**************23" in text
    assert 'href="/office/KRW/flags/"' in client.get("/office/").content.decode()  # the portal

    answer = client.post("/office/KRW/flags/", {"flag": served.pk, "note": "Refund stopped."})
    assert answer.status_code == 302
    served.refresh_from_db()
    assert served.resolved_at is not None and served.resolved_by == supervisor_user()
    assert served.note == "Refund stopped."
    event = AuditEvent.objects.get(action="sync.flag_closed")
    assert event.actor_id == supervisor_user().pk and event.object_id == str(served.pk)
    assert event.after == {"closed": True, "note": "Refund stopped."}
    closed = client.get("/office/KRW/flags/").content.decode()
    assert "Refund stopped." in closed and "Supervisor Demo" in closed
    assert SyncFlag.objects.filter(resolved_at__isnull=True).get() == both


@pytest.mark.parametrize("flag", ["abc", "", "999999"])
def test_closing_an_unknown_case_is_refused_not_a_500(client, office, flag):
    raise_flags(office)
    answer = supervisor_client(client).post("/office/KRW/flags/", {"flag": flag})
    assert answer.status_code == 404
    assert not SyncFlag.objects.filter(resolved_at__isnull=False).exists()


def test_a_case_is_closed_once(client, office):
    served, _both = raise_flags(office)
    supervisor_client(client).post("/office/KRW/flags/", {"flag": served.pk})
    again = client.post("/office/KRW/flags/", {"flag": served.pk, "note": "again"})
    assert again.status_code == 409
    assert AuditEvent.objects.filter(action="sync.flag_closed").count() == 1


def test_only_supervisors_see_and_close_the_cases(client, office):
    from loket.accounts.models import User

    served, _both = raise_flags(office)
    client.force_login(User.objects.get(email="meja@contoh.id"))  # the desk
    assert client.get("/office/KRW/flags/").status_code == 403
    assert client.post("/office/KRW/flags/", {"flag": served.pk}).status_code == 403
    with pytest.raises(PermissionDenied):
        close_flag(
            office=office, flag_id=served.pk, officer=User.objects.get(email="meja@contoh.id")
        )
    assert SyncFlag.objects.get(pk=served.pk).resolved_at is None


def test_a_case_closed_centrally_is_closed_at_the_node(settings, client, office):
    served, _both = raise_flags(office)
    start = get(client, "/changes?after=0").json()["last"]
    close_flag(office=office, flag_id=served.pk, officer=supervisor_user(), note="ok")
    answer = get(client, f"/changes?after={start}").json()
    sent = [i for i in answer["items"] if i["model"] == FLAG]
    assert [(f["pk"], f["fields"]["note"]) for f in sent] == [(served.pk, "ok")]
    SyncFlag.objects.filter(pk=served.pk).update(resolved_at=None, resolved_by=None, note="")
    as_node(settings)
    apply_central_items(answer["items"], pulled_seq=answer["last"])
    served.refresh_from_db()
    assert served.resolved_at is not None and served.resolved_by == supervisor_user()


def test_a_case_closed_at_the_node_is_closed_centrally(settings, client, office):
    """The node's closing is pushed with its changes; the central site takes the first closing
    it learns of, and a later one changes nothing."""
    import json

    served, _both = raise_flags(office)
    with clock.frozen_at(at(WEDNESDAY, 11)):
        close_flag(office=office, flag_id=served.pk, officer=supervisor_user(), note="node")
    fields = serializers.serialize("python", [SyncFlag.objects.get(pk=served.pk)])[0]["fields"]
    SyncFlag.objects.filter(pk=served.pk).update(resolved_at=None, resolved_by=None, note="")
    change = {"seq": 1, "key": "KRW:1", "model": FLAG, "pk": 77, "op": "U", "holder": ""}

    def push(seq: int, values: dict) -> dict:
        entry = {**change, "seq": seq, "key": f"KRW:{seq}", "fields": values}
        return post(client, json.dumps({"changes": [entry]}, default=str)).json()

    assert push(1, fields) == {"applied_through": 1}
    served.refresh_from_db()
    assert served.note == "node" and served.resolved_by == supervisor_user()
    assert served.resolved_at == at(WEDNESDAY, 11)
    later = {**fields, "note": "later", "resolved_at": at(WEDNESDAY, 12)}
    body = json.dumps(
        {"changes": [{**change, "seq": 2, "key": "KRW:2", "fields": later}]}, default=str
    )
    assert post(client, body).json() == {"applied_through": 2}
    assert SyncFlag.objects.get(pk=served.pk).note == "node"
    other = {**fields, "office": office.pk + 1}
    body = json.dumps(
        {"changes": [{**change, "seq": 3, "key": "KRW:3", "fields": other}]}, default=str
    )
    assert post(client, body).json()["code"] == "sync_change_refused"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an office node runs on SQLite")
def test_the_node_captures_a_closing_to_send_it_up(settings, office):
    """At the node, closing a case writes the changes to push (the node's triggers)."""
    served, _both = raise_flags(office)
    as_node(settings)
    install_triggers()
    try:
        close_flag(office=office, flag_id=served.pk, officer=supervisor_user())
        closing = AuditEvent.objects.get(action="sync.flag_closed")
        assert list(NodeChange.objects.values_list("table", "row_id", "op")) == [
            ("sync_syncflag", served.pk, "U"),
            ("core_auditevent", closing.pk, "I"),  # who closed it, in the audit trail
        ]
    finally:
        drop_triggers()
