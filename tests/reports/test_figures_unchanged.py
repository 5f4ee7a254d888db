"""Every report figure on a generated office history, against a recorded copy.

The copy (generated_figures.json) was recorded when the reports still read cancellations,
expiries and reschedules from audit action strings; they now read the typed BookingEvent rows,
and each figure must come out the same (the one change since: the generator no longer
reschedules walk-ins, which are same-day). After a deliberate change of a figure, record it again:
`LOKET_RECORD_FIGURES=1 pytest tests/reports/test_figures_unchanged.py`.
"""

import datetime as dt
import json
import os
from pathlib import Path

from loket.booking import lifecycle
from loket.booking.models import MOVE_KINDS, Booking, BookingEvent, BookingStatus
from loket.reports import generator, selectors
from loket.reports.selectors import period_for

RECORDED = Path(__file__).parent / "generated_figures.json"
PERIODS = [
    ("month", dt.date(2026, 11, 1)),
    ("week", dt.date(2026, 11, 12)),
    ("week", dt.date(2026, 12, 8)),
    ("year", dt.date(2026, 6, 1)),
]


def _figures(office) -> dict:
    out = {}
    for kind, day in PERIODS:
        period = period_for(kind, day)
        for figure in selectors.list_figures(office, period):
            shown = figure.as_dict()
            shown.pop("definition")  # the text beside the figure says where it reads from
            if kind == "year":  # the year's rows repeat the month's; its sums are enough
                shown = {"summary": shown["summary"]}
            out[f"{kind} {day} {figure.key}"] = shown
    return json.loads(json.dumps(out, default=str))


def test_every_figure_of_a_generated_history_is_unchanged(db, now):
    """Six weeks of a large office (cancelled, expired, rescheduled, attended, missed,
    queue days): every figure of every report page equals the recorded one."""
    office = generator.ensure_large_office("BESAR")
    generator.generate_year(
        office=office,
        year=2026,
        bookings=2500,
        seed=13,
        days=(dt.date(2026, 11, 1), dt.date(2026, 12, 12)),
    )
    figures = _figures(office)
    if os.environ.get("LOKET_RECORD_FIGURES"):
        RECORDED.write_text(json.dumps(figures, indent=0, sort_keys=True) + "\n")
    recorded = json.loads(RECORDED.read_text())
    assert figures.keys() == recorded.keys()
    for key, figure in recorded.items():
        assert figures[key] == figure, key


def test_the_generated_facts_replay_to_each_bookings_status(db, now):
    """Each generated booking's events, in time order, are transitions of the lifecycle's
    table from `awaiting_payment` to the status the booking holds, none before it was made."""
    office = generator.ensure_large_office("BESAR")
    generator.generate_year(office=office, year=2026, bookings=800, seed=13, month=11, queue=False)
    facts: dict[int, list] = {}
    for event in BookingEvent.objects.filter(office=office).order_by("at", "id"):
        facts.setdefault(event.booking_id, []).append(event)
    bookings = list(Booking.objects.filter(office=office))
    assert {e.kind for events in facts.values() for e in events} == {
        "confirmed", "rescheduled", "cancelled", "expired", "checked_in", "completed", "no_show",
    }  # fmt: skip
    for booking in bookings:
        status = BookingStatus.AWAITING_PAYMENT
        for event in facts.get(booking.pk, []):
            assert event.at >= booking.created_at
            assert event.from_status == status
            if event.kind in MOVE_KINDS:
                assert event.from_date != event.date == booking.date
            else:
                assert lifecycle.may_become(Booking(status=status), event.kind)
                status = event.kind
        assert status == booking.status, booking.code
