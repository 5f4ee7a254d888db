"""An office node whose processes are killed mid-day (SIGKILL: a power cut) loses nothing it
committed, and sends nothing twice: the desk's process and the sync process are separate
processes on the node's SQLite database, as `make run` starts them."""

import datetime as dt
import os
import signal
import time

import pytest
from django.db import connection

from tests.sync.link import CentralSite, office_node, popen

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="an office node runs on the embedded SQLite database"
)
DAY = dt.date(2026, 12, 8)


def read_tickets(process, count: int, timeout: float = 60) -> list[int]:
    found = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ticket "):
            found.append(int(line.split()[1]))
    return found


def test_a_node_killed_mid_day_loses_nothing_committed(tmp_path):
    """The desk's process is killed after some check-ins, the sync process is killed while it
    runs; both restarted, the central site ends with exactly the node's tickets."""
    central = CentralSite(data_dir=tmp_path / "central", day=DAY.isoformat())
    central.manage("migrate", "--noinput", "-v0")
    bookings = central.call("prepare", DAY.isoformat(), 10)["bookings"]
    central.start()
    node = office_node(data_dir=tmp_path / "node", day=DAY.isoformat(), central=central)
    try:
        node.manage("migrate", "--noinput", "-v0")
        node.manage("run_sync", "--once")
        sync = popen(node, ["manage.py", "run_sync", "--interval", "0.2"], "sync.log")
        code = (
            "import django, json; django.setup(); from tests.sync import central_site; "
            f"central_site.desk_day({DAY.isoformat()!r}, {bookings!r}, 10)"
        )
        desk = popen(node, ["-c", code], "desk.log")
        committed = read_tickets(desk, 9)
        os.killpg(desk.pid, signal.SIGKILL)  # the power goes mid-morning
        os.killpg(sync.pid, signal.SIGKILL)
        desk.wait()
        sync.wait()
        assert len(committed) == 9
        node.manage("run_sync", "--once")
        node.manage("run_sync", "--once")
        here = node.call("day_figures", DAY.isoformat())
        there = central.call("day_figures", DAY.isoformat())
    finally:
        central.stop()
    ids_here = [row[0] for row in here["tickets"]]
    assert set(committed) <= set(ids_here)
    assert there["tickets"] == here["tickets"]
    assert there["reports"] == here["reports"]
    assert there["ticket_event_ids"] == here["ticket_event_ids"]
    assert there["office_audit"] == here["office_audit"]
    assert there["drift"] == [] and here["drift"] == []
