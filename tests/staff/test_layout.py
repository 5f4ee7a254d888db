"""The staff pages' shared layout (staff/base.html): the staff app's own pages, the queue's
pages and the audit trail draw it; banners other apps register appear on each of them."""

import datetime as dt

from django.urls import reverse

from loket.core import clock
from loket.sync.models import NodeState

OFFLINE_AT = dt.datetime(2026, 12, 1, 3, 5, tzinfo=dt.UTC)


def test_staff_and_queue_pages_share_the_staff_layout(client, queue_office, supervisor):
    anonymous = client.get(reverse("staff:login")).content.decode()
    client.force_login(supervisor)
    pages = [
        anonymous,
        client.get(reverse("staff:index")).content.decode(),
        client.get(reverse("audit:search") + "?office=KRW").content.decode(),
        client.get(reverse("queue:supervisor", args=["KRW"])).content.decode(),
    ]
    for body in pages:
        assert "/static/staff/staff.css" in body and "/static/staff/staff.js" in body
        assert '<header class="bar">' in body and '<main id="main">' in body
    queue_page = pages[-1]
    assert "/static/queue/queue.css" in queue_page  # the queue's own styles on top
    assert reverse("queue:ledger", args=["KRW"]) in queue_page


def test_the_office_node_banner_is_on_staff_pages_and_the_board(
    client, settings, queue_office, supervisor
):
    settings.LOKET_ROLE = "office"
    NodeState.objects.create(pk=1, offline_since=OFFLINE_AT)
    with clock.frozen_at(OFFLINE_AT + dt.timedelta(minutes=55)):
        client.force_login(supervisor)
        for url in (
            reverse("staff:index"),
            reverse("queue:supervisor", args=["KRW"]),
            reverse("queue:board", args=["KRW"]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert "Kantor sedang offline sejak 10:05" in body, url
    settings.LOKET_ROLE = "central"
    assert "sync-banner" not in client.get(reverse("staff:index")).content.decode()
