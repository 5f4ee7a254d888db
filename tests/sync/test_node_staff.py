"""Staff at the office node: two-factor devices come from the central site (the node asks for
the code and checks it, but never turns two-factor on or off), and the supervisor sees and
closes the flags the link raised.

Central and node share this test's database: a test takes the central site's feed, then
plays the node (LOKET_ROLE=office) applying it, as in test_feed.py."""

import pytest
from django.core import serializers
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.staff import two_factor
from loket.sync.apply import apply_central_items
from loket.sync.feed import DEVICE
from loket.sync.models import NodeState
from tests.sync.test_feed import central, get  # noqa: F401  (fixtures)

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
