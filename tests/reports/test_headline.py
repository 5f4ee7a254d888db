"""Capacity use from the ledger, the headline with its comparisons, the waiting list and
officers' throughput: each figure checked against a count computed here with raw SQL."""

import datetime as dt
import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from loket.booking.models import Booking, BookingStatus
from loket.booking.services import cancel_booking
from loket.core import clock
from loket.offices.models import CapacityOverride, Channel, ChannelKind
from loket.outreach import eazy_passport, service_days
from loket.reports import exports, headline, selectors
from loket.reports.selectors import period_for
from tests.reports.conftest import pay, wib

DEC = dt.date(2026, 12, 1)


def sql(query: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def rows_by(figure, *keys):
    index = [c.key for c in figure.columns]
    return {
        tuple(r[index.index(k)] for k in keys): dict(zip(index, r, strict=True))
        for r in figure.rows
    }


def ledger_day(channel_id: int, day: dt.date) -> tuple[int, int]:
    [(places, taken)] = sql(
        "SELECT COALESCE(SUM(capacity), 0), COALESCE(SUM(used), 0) FROM capacity_capacityslot "
        "WHERE channel_id = %s AND date = %s",
        channel_id,
        day,
    )
    return places, taken


def test_a_simpatik_day_counts_its_walk_ins_from_the_ledger(office):
    """Three people admitted on a Paspor Simpatik Saturday of three places: 3 of 3, 100%."""
    from loket.queue import office_setup
    from loket.queue.models import StaffRole
    from tests.outreach.conftest import make_staff

    office_setup.ensure_office_queue(office=office)
    boss = make_staff("spv@contoh.id", office, StaffRole.SUPERVISOR, StaffRole.DESK)
    saturday = dt.date(2026, 12, 5)
    channel = Channel.objects.create(
        office=office, code="simpatik", kind=ChannelKind.SIMPATIK, name="Paspor Simpatik"
    )
    occurrence = service_days.create_one_off_day(
        office=office, channel=channel, name="Simpatik", day=saturday, location="Aula", quota=3
    )
    for n in range(3):
        with clock.frozen_at(wib(saturday, 8, n)):
            service_days.admit_walk_in(occurrence=occurrence, name=f"Orang {n}", actor=boss)
    figure = selectors.capacity_use(office, period_for("week", saturday))
    row = rows_by(figure, "date", "channel")[(saturday, channel.name)]
    places, taken = ledger_day(channel.pk, saturday)
    [(admitted,)] = sql(
        "SELECT COUNT(*) FROM outreach_walkinadmission a JOIN capacity_capacityslot s "
        "ON s.id = a.slot_id WHERE s.channel_id = %s AND s.date = %s",
        channel.pk,
        saturday,
    )
    assert (places, taken, admitted) == (3, 3, 3)
    assert (row["capacity"], row["taken"], row["served"], row["booked"]) == (3, 3, 3, 0)
    assert row["use"] == 100.0 and row["served_share"] == 100.0


def test_an_event_channel_has_places_only_on_its_event_days(office):
    """PATEN's Friday figure is not a place on a Friday without an event; an event day's
    places are its quota, and its bookings count against them."""
    from loket.accounts.services import create_verified_account
    from loket.booking.services import ApplicantData
    from tests.conftest import make_nik

    paten = Channel.objects.get(office=office, code="paten")
    event_day = dt.date(2026, 12, 11)
    rule = service_days.create_service_day_rule(
        office=office,
        channel=paten,
        name="PATEN Telukjambe",
        weekday=4,
        valid_from=event_day,
        valid_until=event_day,
        location="Kantor Kecamatan",
        quota=10,
    )
    [occurrence] = service_days.generate_occurrences(
        rule=rule, start=DEC, end=dt.date(2026, 12, 31)
    )
    account = create_verified_account(email="warga@contoh.id", password="rahasia-panjang-9")
    service_days.book_service_day(
        account=account,
        occurrence=occurrence,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=ApplicantData(
            nik=make_nik(dt.date(1991, 2, 3), serial=7),
            name="Warga",
            birth_date=dt.date(1991, 2, 3),
            sex="M",
            phone="081234567890",
            domicile_regency="3215",
        ),
    )
    figure = selectors.capacity_use(office, period_for("month", DEC))
    rows = rows_by(figure, "date", "channel")
    fridays = [dt.date(2026, 12, d) for d in (4, 18)]
    for friday in fridays:  # no event: no PATEN row at all
        assert (friday, paten.name) not in rows
        assert ledger_day(paten.pk, friday) == (0, 0)
    row = rows[(event_day, paten.name)]
    places, taken = ledger_day(paten.pk, event_day)
    [(booked,)] = sql(
        "SELECT COUNT(*) FROM booking_booking WHERE channel_id = %s AND date = %s "
        "AND status NOT IN ('cancelled', 'expired')",
        paten.pk,
        event_day,
    )
    assert (row["capacity"], row["taken"], row["booked"]) == (places, taken, booked) == (10, 1, 1)
    assert row["use"] == 10.0
    paten_places = sum(r[2] for r in figure.rows if r[1] == paten.name)
    assert paten_places == 10


@pytest.fixture
def three_periods(office, online, book):
    """Bookings in December 2026 (this period), November 2026 (the previous) and December
    2025 (a year earlier), some attended, one a no-show, one cancelled."""
    now = [
        book(dt.date(2026, 12, 3), paid=True),
        book(dt.date(2026, 12, 3), "10:00", paid=True),
        book(dt.date(2026, 12, 8), "11:00", paid=True),
    ]
    gone = book(dt.date(2026, 12, 9))
    cancel_booking(account=gone.account, code=gone.code)
    before = book(dt.date(2026, 11, 10), at=wib(dt.date(2026, 11, 2), 9), paid=True)
    year = [
        book(dt.date(2025, 12, 10), at=wib(dt.date(2025, 12, 1), 9), paid=True),
        book(dt.date(2025, 12, 11), "10:00", at=wib(dt.date(2025, 12, 1), 9), paid=True),
    ]
    Booking.objects.filter(pk__in=[now[0].pk, now[1].pk, before.pk, year[0].pk]).update(
        status=BookingStatus.COMPLETED
    )
    Booking.objects.filter(pk=now[2].pk).update(status=BookingStatus.NO_SHOW)
    return office


def independent_measures(office, start: dt.date, end: dt.date) -> dict:
    """The headline's booking measures counted here from the tables, day by day."""
    channels = list(Channel.objects.filter(office=office).order_by("id"))
    plans = selectors._plans(office, channels, start, end)
    places = 0
    day = start
    while day <= end:
        for channel in channels:
            ledger_places = sql(
                "SELECT SUM(capacity) FROM capacity_capacityslot WHERE channel_id = %s "
                "AND date = %s",
                channel.pk,
                day,
            )[0][0]
            if ledger_places is not None:
                places += ledger_places
            elif channel.kind not in ("event", "simpatik", "outreach"):
                places += plans[channel.pk].day_capacity(day)
            elif plans[channel.pk].closure_reason(day) is None:
                places += plans[channel.pk].overrides.get(day, 0)
        day += dt.timedelta(days=1)
    [(booked, attended, no_show)] = sql(
        "SELECT "
        "SUM(CASE WHEN status NOT IN ('cancelled', 'expired') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status IN ('checked_in', 'completed') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END) "
        "FROM booking_booking WHERE office_id = %s AND date BETWEEN %s AND %s",
        office.pk,
        start,
        end,
    )
    return {
        "places": places,
        "served": attended or 0,
        "booked": booked or 0,
        "show_up": round(100 * attended / (attended + no_show), 1)
        if (attended or 0) + (no_show or 0)
        else None,
    }


def test_the_headline_puts_served_first_and_compares_with_the_periods_before(three_periods):
    office = three_periods
    period = period_for("month", DEC)
    figure = headline.headline(office, period)
    rows = {r[0]: r for r in figure.rows}
    assert figure.rows[0][0] == "places" and figure.rows[1][0] == "served"
    assert figure.rows[3][0] == "booked"
    for column, (start, end) in (
        (2, (DEC, dt.date(2026, 12, 31))),
        (3, (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
        (4, (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
    ):
        expected = independent_measures(office, start, end)
        for key, value in expected.items():
            assert rows[key][column] == value, (key, column)
        places = expected["places"]
        assert rows["served_share"][column] == round(100 * expected["served"] / places, 1)
        assert rows["booked_share"][column] == round(100 * expected["booked"] / places, 1)
    assert (rows["served"][2], rows["served"][3], rows["served"][4]) == (2, 1, 1)
    assert (rows["booked"][2], rows["booked"][3], rows["booked"][4]) == (3, 1, 2)
    assert rows["booked"][5] == 200.0  # +200% against November
    assert rows["booked"][6] == 50.0
    assert rows["show_up"][2] == pytest.approx(66.7)
    assert rows["show_up"][5] == pytest.approx(-33.3)  # percentage points


def test_previous_and_last_year_periods():
    assert headline.previous_period(period_for("month", dt.date(2027, 3, 9))) == period_for(
        "month", dt.date(2027, 2, 1)
    )
    week = period_for("week", dt.date(2026, 12, 3))
    before = headline.previous_period(week)
    assert (before.start, before.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    feb = headline.same_period_last_year(period_for("month", dt.date(2028, 2, 1)))
    assert (feb.start, feb.end) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    year = headline.previous_period(period_for("year", DEC))
    assert (year.start, year.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_waiting_list_joins_conversions_and_show_up(office, online, book):
    """Two join a full day; a place frees, the first accepts it and comes; counted also here
    from the waiting-list table."""
    from loket.waitlist.services import accept_offer
    from tests.waitlist.conftest import add_person, join, new_account

    thursday = dt.date(2026, 12, 3)
    CapacityOverride.objects.create(channel=online, date=thursday, capacity=1)
    full = book(thursday, "08:00")
    a_account, b_account = new_account(1), new_account(2)
    a = join(a_account, online, add_person(a_account, 11))
    join(b_account, online, add_person(b_account, 12))
    cancel_booking(account=full.account, code=full.code)
    booking = accept_offer(account=a_account, entry_id=a.pk)
    pay(booking)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.COMPLETED)

    period = period_for("month", DEC)
    figure = headline.waiting_list(office, period)
    [(joined, accepted, offered)] = sql(
        "SELECT COUNT(*), SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN offered_at IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM waitlist_waitlistentry WHERE office_id = %s",
        office.pk,
    )
    [row] = figure.rows
    assert row[:4] == [dt.date(2026, 12, 1), joined, offered, accepted] == [DEC, 2, 1, 1]
    summary = {str(k): v for k, v in figure.summary}
    assert summary["waiting-list conversion %"] == 50.0
    assert summary["waiting-list show-up %"] == 100.0
    rows = {r[0]: r for r in headline.headline(office, period).rows}
    assert rows["waitlist_joined"][2] == 2 and rows["waitlist_converted"][2] == 1
    assert rows["waitlist_conversion"][2] == 50.0 and rows["waitlist_show_up"][2] == 100.0


def test_officers_throughput_matches_the_events(office):
    """Stages finished per officer, against a count of the finish events."""
    from loket.accounts.models import User
    from loket.queue import office_setup, staff_roles
    from loket.queue.models import StaffRole
    from tests.reports.test_queue_figures import DAY, _serve, _walk_in

    office_setup.ensure_office_queue(office=office)
    c1 = office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    officer = User.objects.create_user("petugas@contoh.id", "rahasia-petugas-1", is_staff=True)
    for role in (StaffRole.COUNTER, StaffRole.DESK):
        staff_roles.grant_role(user=officer, office=office, role=role)
    floor = {"office": office, "officer": officer}
    _walk_in(floor, wib(DAY, 8, 0), 1)
    _walk_in(floor, wib(DAY, 8, 5), 2)
    _serve(floor, c1, wib(DAY, 8, 10), wib(DAY, 8, 13))
    _serve(floor, c1, wib(DAY, 9, 20), wib(DAY, 9, 25))
    figure = headline.officer_throughput(office, period_for("day", DAY))
    [(finished,)] = sql(
        "SELECT COUNT(*) FROM queue_ticketevent WHERE officer_id = %s AND kind = 'finished'",
        officer.pk,
    )
    assert figure.rows == [["petugas", 1, finished, 2.0, 1.0]]
    assert finished == 2


def test_every_new_figure_is_on_the_page_in_the_xlsx_and_in_the_api(client, staff, three_periods):
    from loket.accounts.services import issue_token

    period = period_for("month", DEC)
    keys = ["headline", "waiting_list", "officer_throughput", "capacity_use"]
    assert list(selectors.FIGURES)[0] == "headline"
    client.force_login(staff)
    page = client.get("/reports/", {"office": "KRW", "period": "month", "date": "2026-12-01"})
    body = page.content.decode()
    for key in keys:
        assert f'id="{key}"' in body
    assert "served % of capacity" in body
    book = load_workbook(
        io.BytesIO(
            exports.figures_xlsx(
                selectors.list_figures(three_periods, period), office_name="KRW", period=period
            )
        )
    )
    assert set(keys) <= set(book.sheetnames)
    sheet = [list(r) for r in book["headline"].iter_rows(values_only=True)]
    assert sheet[2][:3] == ["served", "people served", 2]
    staff.email_verified_at = staff.date_joined
    staff.save()
    token = issue_token(email="kepala@contoh.id", password="rahasia-kepala-1")
    response = client.get(
        "/api/v1/reports/figures",
        {"office": "KRW", "period": "month", "date": "2026-12-01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    figures = {f["key"]: f for f in response.json()["figures"]}
    assert set(keys) <= set(figures)
    served = next(r for r in figures["headline"]["rows"] if r[0] == "served")
    assert served[2:5] == [2, 1, 1]


def test_every_figure_has_its_definition_and_title_in_indonesian(office):
    """Each figure's definition (its docstring) and title are translated in the catalogue."""
    from django.utils import translation

    period = period_for("day", DEC)
    for key in selectors.FIGURES:
        with translation.override("en"):
            english = selectors.get_figure(key, office, period)
            english_title, english_definition = str(english.title), english.definition
        with translation.override("id"):
            indonesian = selectors.get_figure(key, office, period)
            indonesian_title = str(indonesian.title)
        assert indonesian.definition != english_definition, key
        assert indonesian_title != english_title, key
    with translation.override("id"):
        figure = headline.headline(office, period)
    assert figure.definition.startswith("Ringkasan utama untuk periode ini")
    assert [r[1] for r in figure.rows][:2] == [
        "kuota yang dibuka (kapasitas)",
        "orang yang dilayani",
    ]


def test_eazy_passport_show_up_counts_participants_checked_in(office):
    """20 participants listed for a visit, 3 checked in at the mobile site: show-up 15%,
    served 3 on the outreach channel, against a count of the participant rows."""
    from loket.outreach import bridge
    from loket.outreach.models import Team
    from loket.queue import office_setup
    from loket.queue.models import StaffRole
    from tests.outreach.conftest import make_staff
    from tests.outreach.test_requests import VISIT, csv_of, data

    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    coordinator = make_staff("koordinator@contoh.id", office, StaffRole.OUTREACH)
    desk = make_staff("meja@contoh.id", office, StaffRole.DESK, StaffRole.SUPERVISOR)
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(20)
    )
    team = Team.objects.create(office=office, name="Tim A", size=2)
    approved = eazy_passport.approve_outreach_request(
        request=request, visit_date=VISIT, team=team, actor=coordinator
    )
    with clock.frozen_at(wib(VISIT, 9)):
        for p in approved.participants.order_by("row_number")[:3]:
            bridge.check_in_participant(
                office=office, code=p.code, confirmed_nik=p.nik, officer=desk
            )
    [(listed, came)] = sql(
        "SELECT COUNT(*), SUM(CASE WHEN ticket_id IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM outreach_outreachparticipant WHERE request_id = %s",
        approved.pk,
    )
    assert (listed, came) == (20, 3)
    period = period_for("month", VISIT)
    figure = selectors.get_figure("outreach_requests", office, period)
    [row] = figure.rows
    assert row[-3:] == [listed, came, 15.0]
    rows = {r[0]: r for r in headline.headline(office, period).rows}
    assert (rows["outreach_listed"][2], rows["outreach_came"][2]) == (listed, came)
    assert rows["outreach_show_up"][2] == 15.0
    channel = Channel.objects.get(office=office, kind=ChannelKind.OUTREACH)
    use = rows_by(selectors.capacity_use(office, period), "date", "channel")[(VISIT, channel.name)]
    assert (use["capacity"], use["taken"], use["served"], use["booked"]) == (20, 20, 3, 0)


def test_a_priority_walk_in_is_served_on_the_priority_channel(office):
    """A walk-in ticket holding a priority place counts as served and taken there."""
    from loket.queue import office_setup, walk_ins
    from loket.queue.models import LaneKind, StaffRole
    from tests.outreach.conftest import make_staff

    office_setup.ensure_office_queue(office=office)
    desk = make_staff("meja@contoh.id", office, StaffRole.DESK)
    day = dt.date(2026, 12, 2)
    with clock.frozen_at(wib(day, 9)):
        walk_ins.issue_walk_in_ticket(
            office=office,
            lane_kind=LaneKind.PRIORITY,
            name="Mbah Sastro",
            nik="3215010101450001",
            birth_date=dt.date(1945, 1, 1),
            officer=desk,
        )
    priority = Channel.objects.get(office=office, code="priority")
    [(tickets,)] = sql(
        "SELECT COUNT(*) FROM queue_ticket t JOIN capacity_capacityslot s ON s.id = t.slot_id "
        "WHERE s.channel_id = %s AND s.date = %s AND t.booking_id IS NULL",
        priority.pk,
        day,
    )
    places, taken = ledger_day(priority.pk, day)
    row = rows_by(selectors.capacity_use(office, period_for("day", day)), "date", "channel")[
        (day, priority.name)
    ]
    assert (row["capacity"], row["taken"], row["served"]) == (places, taken, tickets) == (20, 1, 1)
