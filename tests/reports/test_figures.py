import datetime as dt

import pytest

from loket.booking.models import Booking, BookingEvent, BookingStatus
from loket.booking.services import cancel_booking, expire_overdue_holds, reschedule_booking
from loket.core import clock
from loket.offices.models import CapacityOverride, Channel, Closure
from loket.reports import selectors
from loket.reports.selectors import period_for
from tests.reports.conftest import pay, wib

DEC = dt.date(2026, 12, 1)


def rows_by(figure, *keys):
    index = [c.key for c in figure.columns]
    return {
        tuple(r[index.index(k)] for k in keys): dict(zip(index, r, strict=True))
        for r in figure.rows
    }


def summary(figure):
    return {str(label): value for label, value in figure.summary}


def test_periods_are_local_calendar_ranges():
    """Week is Monday to Sunday; month and year are whole; a custom range is at most 366 days."""
    day = dt.date(2026, 12, 3)
    assert period_for("day", day).start == period_for("day", day).end == day
    week = period_for("week", day)
    assert (week.start, week.end) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    month = period_for("month", dt.date(2027, 2, 14))
    assert (month.start, month.end) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert period_for("year", day).days == 365
    custom = period_for("custom", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert custom.days == 365
    with pytest.raises(selectors.PeriodInvalid):
        period_for("custom", start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 2))
    with pytest.raises(selectors.PeriodInvalid):
        period_for("custom", start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(selectors.PeriodInvalid):
        period_for("fortnight", day)
    start, end = period_for("day", day).moments("Asia/Jakarta")
    assert start.utcoffset() == dt.timedelta(hours=7)
    assert end - start == dt.timedelta(days=1)


def test_capacity_use_counts_places_taken_against_the_ledger_and_the_configuration(
    office, online, book
):
    """Taken = bookings not cancelled or expired; capacity from the ledger where it has rows,
    from the configuration elsewhere; closed days listed with their reason."""
    thursday = dt.date(2026, 12, 3)
    book(thursday, paid=True)
    book(thursday, "10:00")
    cancelled = book(thursday, "11:00")
    cancel_booking(account=cancelled.account, code=cancelled.code)
    figure = selectors.capacity_use(office, period_for("month", DEC))
    rows = rows_by(figure, "date", "channel")
    online_row = rows[(thursday, online.name)]
    assert (online_row["capacity"], online_row["taken"]) == (170, 2)  # ledger: 7 windows
    assert online_row["use"] == pytest.approx(1.2)
    priority = Channel.objects.get(office=office, code="priority")
    assert rows[(thursday, priority.name)]["capacity"] == 20  # configuration, no ledger rows
    assert rows[(thursday, priority.name)]["use"] == 0.0
    assert not any(day == dt.date(2026, 12, 5) for day, _ in rows)  # Saturday: no places
    assert rows[(dt.date(2026, 12, 25), "")]["closed"] == "Christmas Day"
    assert rows[(dt.date(2026, 12, 31), "")]["capacity"] == 0  # the office's own closure
    assert "Tutup buku" in rows[(dt.date(2026, 12, 31), "")]["closed"]
    totals = summary(figure)
    assert totals["taken"] == 2
    assert totals["places"] == sum(r[2] for r in figure.rows)
    assert figure.chart["labels"][0] == "2026-12-01"


def test_a_date_override_and_a_no_show_show_in_capacity_use(office, online, book):
    CapacityOverride.objects.create(channel=online, date=dt.date(2026, 12, 4), capacity=35)
    thursday = dt.date(2026, 12, 3)
    booking = book(thursday, paid=True)
    # The office-day queue will mark no-shows; until it exists, the status is set directly.
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.NO_SHOW)
    figure = selectors.capacity_use(office, period_for("week", thursday))
    rows = rows_by(figure, "date", "channel")
    assert rows[(dt.date(2026, 12, 4), online.name)]["capacity"] == 35
    assert rows[(thursday, online.name)]["no_show"] == 1
    assert rows[(thursday, online.name)]["taken"] == 1
    outcomes = selectors.outcomes(office, period_for("week", thursday))
    assert summary(outcomes)["no-shows"] == 1
    assert summary(outcomes)["no-show %"] == 100.0


def test_purposes_passport_types_application_types_and_origins(office, online, book):
    """Counted: bookings with their appointment in the period, not cancelled or expired."""
    day = dt.date(2026, 12, 8)
    book(day, purpose="apprenticeship", regency="3215")
    book(day, purpose="apprenticeship", regency="32.14", passport_type="electronic")
    book(day, purpose="tourism", regency="3216", application_type="replacement")
    book(dt.date(2026, 12, 9), purpose="umrah", regency="3215")
    gone = book(day, purpose="umrah", regency="3173")
    cancel_booking(account=gone.account, code=gone.code)
    book(dt.date(2027, 1, 6), at=wib(dt.date(2026, 12, 10), 9), purpose="hajj")  # next month
    period = period_for("month", DEC)

    purposes = selectors.purposes(office, period)
    assert [(r[0], r[2]) for r in purposes.rows] == [
        ("apprenticeship", 2),
        ("tourism", 1),
        ("umrah", 1),
    ]
    assert purposes.rows[0][3] == 50.0

    passports = rows_by(selectors.passport_types(office, period), "passport_type", "validity")
    assert sum(r["bookings"] for r in passports.values()) == 4
    assert [r["bookings"] for k, r in passports.items() if "electronic" in k[0]] == [1]

    types = selectors.application_types(office, period)
    assert sorted((r[1], r[2]) for r in types.rows) == [
        ("new passport", 3),
        ("replacement (expired or full)", 1),
    ]

    origins = selectors.origins(office, period)
    by_code = {r[0]: r for r in origins.rows}
    assert by_code["32.15"][1] == "Kab. Karawang" and by_code["32.15"][3] == 2
    assert by_code["32.14"][1] == "Kab. Purwakarta"
    assert "32.73" not in by_code  # the cancelled booking
    totals = summary(origins)
    assert (totals["inside the working area"], totals["outside the working area"]) == (3, 1)
    assert totals["inside %"] == 75.0


def test_outcomes_fall_on_the_office_day_at_midnight(office, online, book):
    """Made, cancelled, expired and rescheduled count on the WIB day they happened: 23:30 WIB
    is still that day, 06:30 WIB is the next day although it is the previous day in UTC."""
    dec2 = dt.date(2026, 12, 2)
    book(dt.date(2026, 12, 4), at=wib(DEC, 10))
    moved = book(dt.date(2026, 12, 4), "10:00", at=wib(DEC, 10), paid=True)
    with clock.frozen_at(wib(DEC, 12, 30)):
        assert expire_overdue_holds() == 1
    book(dt.date(2026, 12, 3), at=wib(DEC, 23, 30))
    early = book(dt.date(2026, 12, 3), "10:00", at=wib(dec2, 6, 30))
    assert early.created_at.astimezone(dt.UTC).date() == DEC
    with clock.frozen_at(wib(dec2, 9)):
        reschedule_booking(
            account=moved.account,
            code=moved.code,
            day=dt.date(2026, 12, 10),
            window_start=dt.time(9),
        )
    figure = selectors.outcomes(office, period_for("week", DEC))
    rows = rows_by(figure, "date")
    assert (rows[(DEC,)]["made"], rows[(DEC,)]["expired"]) == (3, 1)
    assert (rows[(dec2,)]["made"], rows[(dec2,)]["rescheduled"]) == (1, 1)
    assert rows[(DEC,)]["rescheduled"] == 0
    assert rows[(dt.date(2026, 12, 6),)]["made"] == 0  # an empty day is listed as 0


def test_cancellation_just_after_midnight_counts_on_the_new_day(office, online, book):
    dec2 = dt.date(2026, 12, 2)
    booking = book(dt.date(2026, 12, 3), at=wib(DEC, 23, 30), paid=True)
    with clock.frozen_at(wib(dec2, 0, 15)):
        cancel_booking(account=booking.account, code=booking.code)
    rows = rows_by(selectors.outcomes(office, period_for("week", DEC)), "date")
    assert rows[(DEC,)]["made"] == 1
    assert rows[(DEC,)]["cancelled"] == 0
    assert rows[(dec2,)]["cancelled"] == 1
    totals = summary(selectors.outcomes(office, period_for("week", DEC)))
    assert totals["cancellation %"] == 100.0
    assert totals["expiry %"] == 0.0


def test_a_service_days_move_is_not_counted_as_a_reschedule(office, online, book):
    """The office moving a service day (PATEN) moves its bookings, but only the applicant's
    own move to another day is a reschedule; cancelling the day cancels its bookings."""
    from loket.accounts.services import create_verified_account
    from loket.booking.services import ApplicantData
    from loket.outreach import planning, service_days
    from loket.outreach.models import ServiceDayKind
    from loket.queue.models import StaffRole
    from loket.queue.staff_roles import grant_role
    from tests.conftest import make_nik

    dec2 = dt.date(2026, 12, 2)
    coordinator = book(dt.date(2026, 12, 4)).account  # any account, made a coordinator
    grant_role(user=coordinator, office=office, role=StaffRole.OUTREACH)
    paten = Channel.objects.get(office=office, code="paten")
    rule = service_days.create_service_day_rule(
        office=office,
        channel=paten,
        name="PATEN",
        weekday=4,
        valid_from=dt.date(2023, 1, 1),
        valid_until=None,
        location="Kecamatan Telukjambe Timur",
        quota=10,
        team=planning.create_team(office=office, name="Tim A", size=4),
        kind=ServiceDayKind.EVENT,
    )
    friday, next_friday = service_days.generate_occurrences(
        rule=rule, start=dt.date(2026, 12, 4), end=dt.date(2026, 12, 11)
    )
    with clock.frozen_at(wib(DEC, 11)):
        for n, occurrence in enumerate((friday, friday, next_friday), start=100):
            service_days.book_service_day(
                account=create_verified_account(
                    email=f"warga{n}@contoh.id", password=f"rahasia-panjang-{n}"
                ),
                occurrence=occurrence,
                application_type="new",
                purpose="tourism",
                passport_type="ordinary",
                applicant=ApplicantData(
                    nik=make_nik(dt.date(1980, 1, 1), serial=n),
                    name=f"Warga {n}",
                    birth_date=dt.date(1980, 1, 1),
                    sex="M",
                    phone="081234567890",
                    domicile_regency="3215",
                ),
            )
    mine = book(dt.date(2026, 12, 4), "10:00", at=wib(DEC, 10), paid=True)
    with clock.frozen_at(wib(dec2, 9)):
        reschedule_booking(
            account=mine.account, code=mine.code, day=dt.date(2026, 12, 10), window_start=dt.time(9)
        )
        service_days.move_occurrence(
            occurrence=friday, day=dt.date(2026, 12, 9), reason="Aula dipakai", actor=coordinator
        )
        service_days.cancel_occurrence(occurrence=next_friday, reason="Hujan", actor=coordinator)
    assert Booking.objects.filter(channel=paten, date=dt.date(2026, 12, 9)).count() == 2
    facts = BookingEvent.objects.filter(at=wib(dec2, 9)).values_list("booking__channel", "kind")
    assert sorted(facts) == sorted(
        [
            (online.pk, "rescheduled"),
            (paten.pk, "moved"),
            (paten.pk, "moved"),
            (paten.pk, "cancelled"),
        ]
    )
    rows = rows_by(selectors.outcomes(office, period_for("week", DEC)), "date")
    assert (rows[(dec2,)]["rescheduled"], rows[(dec2,)]["cancelled"]) == (1, 1)
    assert rows[(DEC,)]["made"] == 5


def test_lead_time_is_counted_in_local_days(office, online, book):
    """Days from the local day a booking was made to its appointment; p50/p90 by rank."""
    book(dt.date(2026, 12, 3))  # made 1 Dec: 2 days
    book(dt.date(2026, 12, 11), paid=True)  # 10 days
    book(dt.date(2026, 12, 3), "10:00", at=wib(dt.date(2026, 12, 2), 6, 30))  # 1 day in WIB
    gone = book(dt.date(2026, 12, 30))
    cancel_booking(account=gone.account, code=gone.code)
    figure = selectors.lead_time(office, period_for("month", DEC))
    assert [(r[0], r[1]) for r in figure.rows] == [(1, 1), (2, 1), (10, 1)]
    totals = summary(figure)
    assert (totals["p50 (days)"], totals["p90 (days)"]) == (2, 10)
    assert totals["mean (days)"] == pytest.approx(4.3)


def test_first_free_day_as_seen_on_each_day(office, online, book):
    """Seen at the close of each day: full days, closures and weekends are skipped; a
    cancellation frees its day from the day it happens."""
    dec2, dec3 = dt.date(2026, 12, 2), dt.date(2026, 12, 3)
    for day in (dec2, dec3):
        CapacityOverride.objects.create(channel=online, date=day, capacity=1)
    Closure.objects.create(office=office, date=dt.date(2026, 12, 4), reason="Rapat kerja")
    book(dec2, "08:00")
    second = book(dec3, "08:00", paid=True)
    with clock.frozen_at(wib(dec2, 8)):
        cancel_booking(account=second.account, code=second.code)
    period = period_for("custom", start=dt.date(2026, 11, 30), end=dec2)
    figure = selectors.first_free_day(office, period)
    assert [(r[0], r[2], r[3]) for r in figure.rows] == [
        (dt.date(2026, 11, 30), DEC, 1),
        (DEC, dt.date(2026, 12, 7), 6),  # 2 and 3 full, 4 closed, 5-6 weekend
        (dec2, dec3, 1),  # the cancellation freed the 3rd
    ]
    assert summary(figure)["days ahead, most"] == 6


def test_an_empty_period_gives_empty_figures_not_errors(office):
    period = period_for("month", dt.date(2027, 2, 1))
    figures = {f.key: f for f in selectors.list_figures(office, period)}
    assert set(figures) == set(selectors.FIGURES)
    assert summary(figures["purposes"])["bookings"] == 0
    assert figures["purposes"].rows == []
    assert summary(figures["lead_time"])["p50 (days)"] is None
    assert all(r[3] == 0 for r in figures["capacity_use"].rows)
    assert len(figures["outcomes"].rows) == 28
    for figure in figures.values():
        assert figure.definition and figure.as_dict()["key"] == figure.key


MAX_QUERIES = {
    # Three periods (this, the one before, a year earlier), each: the day table (9 queries,
    # see capacity_use), the waiting list (3), outreach (1), stages finished (1).
    "headline": 42,
    "capacity_use": 9,  # channels, plan (3), ledger, bookings, three kinds of walk-in
    "application_types": 1,
    "purposes": 1,
    "passport_types": 1,
    "origins": 2,
    "outcomes": 3,
    "lead_time": 2,
    "first_free_day": 7,
    # PostgreSQL: per read a savepoint, SET LOCAL work_mem, four queries, the release; a
    # year reads and keeps its closed days, then reads today live.
    "stage_waits": 20,
    "stage_service_times": 20,
    "served_within_target": 20,
    "stage_within_target": 20,
    "counter_throughput": 20,  # read with the waits (see above)
    "counter_days": 20,
    "priority_quota": 8,
    "service_days": 3,
    "outreach_requests": 4,
    "emergency_cases": 1,
    "waiting_list": 5,
    "officer_throughput": 1,
}


@pytest.mark.parametrize("key", list(selectors.FIGURES))
def test_each_figure_takes_a_fixed_number_of_queries(
    key, office, online, book, django_assert_max_num_queries
):
    """A year costs the same number of queries as a day."""
    for i, day in enumerate((dt.date(2026, 12, 3), dt.date(2026, 12, 8), dt.date(2026, 12, 9))):
        booking = book(
            day, purpose=["tourism", "umrah", "study"][i], regency=["3215", "3216", "3201"][i]
        )
        if i == 1:
            pay(booking)
    office.refresh_from_db()
    for period in (period_for("day", dt.date(2026, 12, 3)), period_for("year", DEC)):
        with django_assert_max_num_queries(MAX_QUERIES[key]):
            selectors.get_figure(key, office, period)


def test_the_page_shares_its_queries_and_gives_the_same_figures(
    office, online, book, django_assert_max_num_queries
):
    """All figures together cost fewer queries than one by one, with identical results."""
    book(dt.date(2026, 12, 3), purpose="tourism", regency="3216")
    book(dt.date(2026, 12, 8), paid=True)
    period = period_for("month", DEC)
    alone = [selectors.get_figure(key, office, period).as_dict() for key in selectors.FIGURES]
    # The headline reads two more periods (about 28 queries); one by one costs 100+.
    with django_assert_max_num_queries(82):  # PostgreSQL: savepoints around the queue reads
        together = [f.as_dict() for f in selectors.list_figures(office, period)]
    assert together == alone


def test_long_periods_chart_by_week_with_the_same_totals(office, online, book):
    book(dt.date(2026, 12, 3))
    book(dt.date(2026, 12, 8))
    year = period_for("year", DEC)
    figure = selectors.capacity_use(office, year)
    labels = figure.chart["labels"]
    assert labels[0] == "2025-12-29" and len(labels) == 53  # weeks from Monday
    taken = next(d for d in figure.chart["datasets"] if d["label"] == online.name)
    assert sum(taken["data"]) == 2
    month = selectors.capacity_use(office, period_for("month", DEC))
    assert len(month.chart["labels"]) == 31
