"""A release of unclaimed priority places at an office node reaches the central site: its
typed fact (capacity.ChannelMove) is captured by the node's triggers with an id from the
office's range, and the central site stores it with that id, for the office's channels only."""

import json

import pytest
from django.db import connection

from loket.capacity.models import ChannelMove
from loket.core import clock
from loket.demo import queue as queue_demo
from loket.offices.models import Channel, Office
from loket.queue import walk_ins
from loket.sync import client as node
from loket.sync.capture import drop_triggers, install_triggers, reserve_office_ids
from loket.sync.ownership import ID_RANGE, office_id_base
from tests.helpers import WEDNESDAY, at

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="an office node runs on the embedded SQLite database"
)

KEY = "kunci-uji-karawang-0123456789"
FACT = ("id", "office", "date", "from_channel", "to_channel", "count", "at", "officer")


@pytest.fixture
def central(settings, office):
    settings.LOKET_SYNC_KEYS = f"KRW={KEY}"
    queue_demo.load_queue_demo()  # unclaimed priority places go to lost/damaged from 12:00
    return office


def post(client, body):
    return client.post(
        "/api/v1/sync/KRW/push",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Office {KEY}",
    )


def test_a_release_at_the_node_reaches_the_central_site_with_its_id(client, central, settings):
    settings.LOKET_OFFICE_CODE = "KRW"
    desk = central.staff_memberships.get(role="desk").user
    install_triggers()
    reserve_office_ids(central.pk)
    try:
        with clock.frozen_at(at(WEDNESDAY, 12)):
            assert walk_ins.release_unclaimed_priority(office=central, officer=desk) == 20
        done = list(ChannelMove.objects.values_list(*FACT))
        base = office_id_base(central.pk)
        assert len(done) == 1 and base <= done[0][0] < base + ID_RANGE
        changes = [c for c in node.pending_changes(10_000) if c["model"] == "capacity.channelmove"]
        assert [c["pk"] for c in changes] == [done[0][0]]
    finally:
        drop_triggers()

    # The central site (this database, as if it had never seen the row) stores it as it is.
    ChannelMove.objects.all().delete()
    change = {**changes[0], "seq": 1, "key": "KRW:1"}
    assert post(client, json.dumps({"changes": [change]}, default=str)).json() == {
        "applied_through": 1
    }
    assert list(ChannelMove.objects.values_list(*FACT)) == done

    # A move into another office's channel, or an id outside the office's range: refused.
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    elsewhere = Channel.objects.create(office=other, code="online", kind="online")
    for seq, wrong in enumerate(
        (
            {
                **change,
                "pk": change["pk"] + 1,
                "fields": {**change["fields"], "to_channel": elsewhere.pk},
            },
            {**change, "pk": 5, "fields": change["fields"]},
            {**change, "pk": change["pk"] + 2, "fields": {**change["fields"], "to_channel": "x"}},
        ),
        start=2,
    ):
        body = json.dumps({"changes": [{**wrong, "seq": seq, "key": f"KRW:{seq}"}]}, default=str)
        assert post(client, body).json()["code"] == "sync_change_refused"
    assert ChannelMove.objects.count() == 1
