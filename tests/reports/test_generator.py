import datetime as dt
import io

from django.core.management import call_command
from django.db.models import F

from loket.booking.models import Booking, BookingEvent
from loket.capacity.models import CapacitySlot
from loket.offices.models import Office
from loket.queue.models import Ticket, TicketEvent
from loket.reports import selectors
from loket.reports.bench import bench_reports
from loket.reports.selectors import period_for


def test_generate_year_writes_a_realistic_year(db, now):
    """A few thousand bookings spread over the year's working days, within the ledger's
    places, with apprenticeship the first purpose and most people from the working area."""
    out = io.StringIO()
    call_command(
        "generate_year", "--bookings", "1500", "--year", "2026", stdout=out, stderr=io.StringIO()
    )
    office = Office.objects.get(code="BESAR")
    made = Booking.objects.filter(office=office).count()
    assert 1200 <= made <= 1800
    assert f"{made:,} bookings, " in out.getvalue()
    # The past days' completed bookings went through the office day: ~7 events a ticket.
    completed = Booking.objects.filter(office=office, status="completed").count()
    tickets = Ticket.objects.filter(office=office).count()
    events = TicketEvent.objects.filter(office=office).count()
    assert tickets == completed > 0
    assert 6.5 * tickets <= events <= 7.5 * tickets
    assert f"{tickets:,} queue tickets and {events:,} queue events" in out.getvalue()
    waits = selectors.get_figure("stage_waits", office, period_for("year", dt.date(2026, 6, 1)))
    whole = [r for r in waits.rows if r[1] == "sepanjang hari" or r[1] == "whole day"]
    assert len(whole) == 3 and all(r[3] <= r[4] for r in whole)  # p50 <= p90 per stage
    within = {
        str(k): v
        for k, v in selectors.get_figure(
            "served_within_target", office, period_for("year", dt.date(2026, 6, 1))
        ).summary
    }
    assert within["tickets issued"] == tickets
    assert not CapacitySlot.objects.filter(used__gt=F("capacity")).exists()
    assert Booking.objects.filter(office=office, date__week_day__in=[1, 7]).count() == 0
    assert Booking.objects.filter(office=office, date=dt.date(2026, 12, 25)).count() == 0
    year = period_for("year", dt.date(2026, 6, 1))
    purposes = selectors.purposes(office, year)
    assert purposes.rows[0][0] == "apprenticeship"
    origins = {str(k): v for k, v in selectors.origins(office, year).summary}
    assert origins["inside %"] > 60
    assert BookingEvent.objects.filter(office=office, kind="cancelled").exists()
    outcomes = {str(k): v for k, v in selectors.outcomes(office, year).summary}
    assert 2 < outcomes["cancellation %"] < 7
    lead = {str(k): v for k, v in selectors.lead_time(office, year).summary}
    assert 10 <= lead["p50 (days)"] <= 30
    again = io.StringIO()
    call_command(
        "generate_year", "--bookings", "1500", "--year", "2026", "--if-empty",
        stdout=again, stderr=io.StringIO(),
    )  # fmt: skip
    assert "skipped" in again.getvalue()
    assert Booking.objects.filter(office=office).count() == made
    timings = bench_reports(office_code="BESAR", year=2026)
    assert {t["report"] for t in timings} >= set(selectors.FIGURES)
