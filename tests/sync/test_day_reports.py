"""The central site's reports of a day an office node lived through a cut equal those of the same
day without the cut.

The same office day (tests/sync/central_site.py, `_day_plan`: check-ins, priority and
lost/damaged walk-ins, the noon release of the priority places left, four counters calling,
serving and finishing, a no-show, a sync round every ten minutes), at the same frozen moments,
is run twice from the same starting point against a real central site (gunicorn; SQLite, or
PostgreSQL with LOKET_TEST_CENTRAL_DATABASE_URL): once with the central site stopped from 11:30
to 12:30, once without any cut. Every figure of the reports pages, for the day and for its
month, must come out the same. The central cancellation differs by nature between the two runs
(without the cut the desk would have refused the person), so it is not in this day: test_link.py
covers it.
"""

import datetime as dt
import os

import pytest

from tests.conftest import WIB
from tests.sync.link import CentralSite, copy_database, office_node, recreate_database

DAY = dt.date(2026, 12, 8)  # a Tuesday, no holiday near
BOOKINGS = 12
READ_AT = dt.datetime(2026, 12, 9, 9, 0, tzinfo=WIB)  # the next morning: the day is closed
CENTRAL_PG = os.environ.get("LOKET_TEST_CENTRAL_DATABASE_URL", "")
# Figures the office's own work makes: the node computes them the same from its own rows.
OFFICE_FIGURES = (
    "capacity_use",
    "stage_waits",
    "stage_service_times",
    "served_within_target",
    "stage_within_target",
    "counter_throughput",
    "counter_days",
    "priority_quota",
    "officer_throughput",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def start(request, tmp_path):
    """The starting point of both runs: a central site with the demo office and the day's
    bookings, and a migrated office node that has not met it yet."""
    database_url = ""
    if request.param == "postgresql":
        if not CENTRAL_PG:
            pytest.skip("a PostgreSQL central site needs LOKET_TEST_CENTRAL_DATABASE_URL")
        database_url = recreate_database(f"{CENTRAL_PG}_day0")
    central = CentralSite(
        data_dir=tmp_path / "start-central", day=DAY.isoformat(), database_url=database_url
    )
    central.manage("migrate", "--noinput", "-v0")
    bookings = central.call("prepare", DAY.isoformat(), BOOKINGS)["bookings"]
    node = office_node(data_dir=tmp_path / "start-node", day=DAY.isoformat(), central=central)
    node.manage("migrate", "--noinput", "-v0")
    return {"central": central, "node": node, "bookings": bookings, "tmp": tmp_path}


def run_day(start: dict, name: str, *, cut: bool) -> dict:
    """The day from the starting point, on copies of its databases; `cut`: the central site is
    stopped for the midday part."""
    template = start["central"]
    url = template.env.get("DATABASE_URL", "")
    central = CentralSite(
        data_dir=start["tmp"] / name / "central",
        day=DAY.isoformat(),
        database_url=f"{url.removesuffix('_day0')}_{name}" if url else "",
    )
    copy_database(template, central)
    node = office_node(data_dir=start["tmp"] / name / "node", day=DAY.isoformat(), central=central)
    copy_database(start["node"], node)
    central.start()
    parts = {}
    try:
        for part in ("morning", "midday", "afternoon"):
            if cut and part == "midday":
                central.stop()  # the link is cut at 11:30
            if cut and part == "afternoon":
                central.start()  # and back at 12:30
            parts[part] = node.call("node_day_part", DAY.isoformat(), start["bookings"], part)
        pending = node.call("pending")
    finally:
        central.stop()
    return {
        "parts": parts,
        "pending": pending,
        "central": central.call("day_reports", DAY.isoformat(), READ_AT.isoformat()),
        "node": node.call("day_reports", DAY.isoformat(), READ_AT.isoformat()),
    }


def test_the_central_reports_of_a_day_with_a_cut_equal_those_without(start):
    cut = run_day(start, "cut", cut=True)
    whole = run_day(start, "whole", cut=False)

    # The cut was real: every midday round failed in one run, none in the other.
    assert not any(cut["parts"]["midday"]["syncs"])
    assert all(cut["parts"]["morning"]["syncs"]) and all(cut["parts"]["afternoon"]["syncs"])
    assert all(all(p["syncs"]) for p in whole["parts"].values())
    # The desk did the same in both (and was refused the same, if anything).
    assert [p["refused"] for p in cut["parts"].values()] == [
        p["refused"] for p in whole["parts"].values()
    ]
    assert cut["pending"] == whole["pending"] == 0

    for period in ("day", "month"):
        assert cut["central"][period].keys() == whole["central"][period].keys()
        for key, figure in whole["central"][period].items():
            assert cut["central"][period][key] == figure, f"{period}: {key} differs"

    # The figures hold the day: 17 tickets, 16 people served (one no-show), 48 stages finished
    # at the counters, and the 16 priority places released at noon (4 of 20 used).
    day = whole["central"]["day"]
    assert day["served_within_target"]["rows"][0][1] == 17
    assert ["served", "people served", 16] == day["headline"]["rows"][1][:3]
    assert day["outcomes"]["rows"] == [[DAY.isoformat(), 0, 0, 0, 0, 1, 10]]
    assert day["counter_throughput"]["summary"] == [{"label": "stages finished", "value": 48}]
    assert day["priority_quota"]["rows"] == [[DAY.isoformat(), 4, 0, 4, 4, 16, 100.0]]
    # What the office did reads the same at the central site as at the node itself.
    for key in OFFICE_FIGURES:
        assert whole["central"]["day"][key] == whole["node"]["day"][key], key
        assert cut["central"]["day"][key] == cut["node"]["day"][key], key
