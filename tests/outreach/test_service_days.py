import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loket.booking.models import Booking, BookingStatus
from loket.booking.services import ApplicantData
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.capacity.services import QuotaExhausted
from loket.core.models import AuditEvent
from loket.demo import outreach as demo
from loket.notifications.models import OutboxMessage
from loket.offices.models import Closure
from loket.outreach import domain, errors, selectors, service_days
from loket.outreach.models import OccurrenceStatus, ServiceDayRule, TeamAssignment
from tests.conftest import make_nik

# --- the pure expansion -------------------------------------------------------------------


@given(
    weekday=st.integers(0, 6),
    valid_from=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    length=st.integers(0, 800),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    span=st.integers(0, 800),
    open_ended=st.booleans(),
)
def test_expansion_yields_exactly_the_rules_weekdays_inside_both_ranges(
    weekday, valid_from, length, start, span, open_ended
):
    valid_until = None if open_ended else valid_from + dt.timedelta(days=length)
    end = start + dt.timedelta(days=span)
    found = domain.expand_rule(
        weekday=weekday,
        valid_from=valid_from,
        valid_until=valid_until,
        start=start,
        end=end,
        is_closed=lambda d: False,
    )
    expected = [
        start + dt.timedelta(days=i)
        for i in range(span + 1)
        if (start + dt.timedelta(days=i)).weekday() == weekday
        and (start + dt.timedelta(days=i)) >= valid_from
        and (valid_until is None or start + dt.timedelta(days=i) <= valid_until)
    ]
    assert found == expected


@given(
    weekday=st.integers(0, 6),
    start=st.dates(dt.date(2021, 1, 1), dt.date(2029, 12, 31)),
    closed=st.sets(st.dates(dt.date(2021, 1, 1), dt.date(2030, 12, 31)), max_size=30),
)
def test_expansion_never_yields_a_closed_day_and_keeps_the_others(weekday, start, closed):
    end = start + dt.timedelta(days=400)
    kept = domain.expand_rule(
        weekday=weekday,
        valid_from=start,
        valid_until=None,
        start=start,
        end=end,
        is_closed=closed.__contains__,
    )
    every = domain.expand_rule(
        weekday=weekday,
        valid_from=start,
        valid_until=None,
        start=start,
        end=end,
        is_closed=lambda d: False,
    )
    assert not set(kept) & closed
    assert kept == [d for d in every if d not in closed]


def test_paten_moves_from_wednesday_to_friday_across_the_year_boundary():
    """PATEN on Wednesdays in 2022 and on Fridays from 2023: the rules meet at New Year."""
    start, end = dt.date(2022, 12, 1), dt.date(2023, 1, 20)
    closed = {dt.date(2022, 12, 28)}
    wed = domain.expand_rule(
        weekday=2,
        valid_from=dt.date(2022, 1, 1),
        valid_until=dt.date(2022, 12, 31),
        start=start,
        end=end,
        is_closed=closed.__contains__,
    )
    fri = domain.expand_rule(
        weekday=4,
        valid_from=dt.date(2023, 1, 1),
        valid_until=None,
        start=start,
        end=end,
        is_closed=closed.__contains__,
    )
    assert wed == [dt.date(2022, 12, 7), dt.date(2022, 12, 14), dt.date(2022, 12, 21)]
    assert fri == [dt.date(2023, 1, 6), dt.date(2023, 1, 13), dt.date(2023, 1, 20)]


# --- generating days in the ledger --------------------------------------------------------


def test_generation_skips_christmas_new_year_and_office_closures(office, paten_rule):
    """Fridays 4, 11, 18 Dec 2026 and 8, 15 Jan 2027; not 25 Dec, 1 Jan, nor a closure day."""
    Closure.objects.create(office=office, date=dt.date(2027, 1, 15), reason="Rapat kerja")
    made = service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 22)
    )
    assert [o.date for o in made] == [
        dt.date(2026, 12, 4),
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 18),
        dt.date(2027, 1, 8),
        dt.date(2027, 1, 22),
    ]
    # generating again adds nothing
    assert (
        service_days.generate_occurrences(
            rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 22)
        )
        == []
    )


def test_karawang_rules_never_need_the_one_team_twice(office, now):
    """PATEN (Wed 2022, Fri 2023+) and Purwakarta (Wed 2023+) with one team: no conflict."""
    demo.load_outreach_demo(office)
    rules = ServiceDayRule.objects.filter(office=office, kind="event")
    for rule in rules:  # history around the switch of 1 January 2023 as well
        service_days.generate_occurrences(
            rule=rule, start=dt.date(2022, 7, 1), end=dt.date(2023, 6, 30)
        )
    team = rules.first().team
    assert {r.team for r in rules} == {team}
    days = TeamAssignment.objects.filter(team=team)
    assert days.filter(date__year=2023).count() > 40
    weekdays_2022 = {
        d.weekday() for d in days.filter(date__year=2022).values_list("date", flat=True)
    }
    assert weekdays_2022 == {2}
    assert demo.load_outreach_demo(office)["service_days"] == 0  # idempotent


def test_upcoming_days_show_the_places_left(office, paten_rule, account):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 12)
    )
    first = selectors.list_upcoming_service_days(office=office)[0]
    assert (first.occurrence.date, first.capacity, first.remaining) == (
        dt.date(2026, 12, 4),
        10,
        10,
    )
    book(account, first.occurrence, 1)
    first = selectors.list_upcoming_service_days(office=office)[0]
    assert first.remaining == 9


# --- booking, moving, cancelling ----------------------------------------------------------


def applicant(serial: int, birth=dt.date(1995, 6, 15)) -> ApplicantData:
    return ApplicantData(
        nik=make_nik(birth, serial=serial),
        name=f"Warga {serial}",
        birth_date=birth,
        sex="M",
        phone="081234567890",
        domicile_regency="3215",
    )


def book(account, occurrence, serial, application_type="new"):
    return service_days.book_service_day(
        account=account,
        occurrence=occurrence,
        application_type=application_type,
        purpose="tourism",
        passport_type="ordinary",
        applicant=applicant(serial),
    )


@pytest.fixture
def friday(paten_rule):
    return service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 4), end=dt.date(2026, 12, 4)
    )[0]


def test_an_event_day_takes_its_quota_and_no_more(friday, account, other_account):
    """Ten places: five people on each of two accounts, the eleventh is refused."""
    for i in range(10):
        book(account if i < 5 else other_account, friday, i + 1)
    from loket.accounts.services import create_verified_account

    third = create_verified_account(email="warga11@contoh.id", password="rahasia-panjang-3")
    with pytest.raises(QuotaExhausted):
        book(third, friday, 11)
    slot = CapacitySlot.objects.get(channel=friday.channel, date=friday.date)
    assert (slot.used, slot.capacity) == (10, 10)


def test_a_day_serves_only_the_application_types_it_allows(paten_rule, friday, account):
    paten_rule.allows_replacement = False
    paten_rule.save()
    friday.refresh_from_db()
    with pytest.raises(errors.ApplicationTypeNotOnDay):
        book(account, friday, 1, application_type="replacement")


def test_cancelling_a_day_cancels_bookings_frees_places_and_tells_people(
    friday, account, coordinator, team
):
    booking = book(account, friday, 1)
    service_days.cancel_occurrence(occurrence=friday, reason="Hujan deras", actor=coordinator)
    booking.refresh_from_db()
    friday.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert friday.status == OccurrenceStatus.CANCELLED
    slot = CapacitySlot.objects.get(channel=friday.channel, date=friday.date)
    assert (slot.used, slot.capacity) == (0, 0)
    told = OutboxMessage.objects.get(recipient=account.email, subject__contains="cancelled")
    assert "http://127.0.0.1:8000/outreach/service-days/" in told.body  # where to book again
    assert not TeamAssignment.objects.filter(team=team, date=friday.date).exists()
    assert AuditEvent.objects.filter(action="service_day.cancelled").exists()
    assert find_drift() == []
    with pytest.raises(errors.ServiceDayCancelled):
        book(account, friday, 2)


def test_a_cancelled_day_offers_its_freed_places_to_nobody(
    friday, account, other_account, coordinator
):
    """Someone waits for a full service day; the day is cancelled: the places its bookings
    free are not offered (the day is gone), and the ledger ends at 0 places."""
    from loket.accounts.services import create_verified_account
    from loket.waitlist.services import join_waitlist

    for i in range(10):
        book(account if i < 5 else other_account, friday, i + 1)
    third = create_verified_account(email="warga11@contoh.id", password="rahasia-panjang-3")
    waiting = applicant(11)
    from django.db import transaction

    from loket.accounts.services import save_applicant

    with transaction.atomic():
        person = save_applicant(
            account=third,
            nik=waiting.nik,
            name=waiting.name,
            birth_date=waiting.birth_date,
            sex=waiting.sex,
            phone=waiting.phone,
            domicile_regency=waiting.domicile_regency,
            today=dt.date(2026, 12, 1),
        )
    entry = join_waitlist(
        account=third,
        channel=friday.channel,
        day=friday.date,
        applicant_id=person.pk,
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
    )
    service_days.cancel_occurrence(occurrence=friday, reason="Hujan deras", actor=coordinator)
    entry.refresh_from_db()
    assert entry.status == "waiting" and entry.slot_id is None
    slot = CapacitySlot.objects.get(channel=friday.channel, date=friday.date)
    assert (slot.used, slot.capacity) == (0, 0)
    assert find_drift() == []


def test_moving_a_day_keeps_everyones_place_and_tells_them(friday, account, coordinator, team):
    booking = book(account, friday, 1)
    new_day = dt.date(2026, 12, 9)
    service_days.move_occurrence(
        occurrence=friday,
        day=new_day,
        reason="Aula dipakai",
        actor=coordinator,
        location="Aula Desa Puseurjaya",
    )
    booking.refresh_from_db()
    assert (booking.date, booking.status) == (new_day, BookingStatus.AWAITING_PAYMENT)
    assert CapacitySlot.objects.get(channel=friday.channel, date=new_day).used == 1
    assert CapacitySlot.objects.get(channel=friday.channel, date=friday.planned_date).capacity == 0
    assert TeamAssignment.objects.get(team=team).date == new_day
    message = OutboxMessage.objects.get(recipient=account.email, subject__contains="moved")
    assert "Aula Desa Puseurjaya" in message.body
    assert "http://127.0.0.1:8000/bookings/" in message.body  # where to keep or cancel it
    assert find_drift() == []


def test_moving_onto_a_busy_team_day_is_refused_and_changes_nothing(
    office, friday, account, coordinator, team, purwakarta
):
    other = service_days.create_service_day_rule(
        office=office,
        channel=purwakarta,
        name="Layanan Purwakarta",
        weekday=2,
        valid_from=dt.date(2026, 12, 9),
        valid_until=None,
        location="MPP",
        quota=30,
        team=team,
    )
    service_days.generate_occurrences(
        rule=other, start=dt.date(2026, 12, 9), end=dt.date(2026, 12, 9)
    )
    booking = book(account, friday, 1)
    with pytest.raises(errors.TeamBusy):
        service_days.move_occurrence(
            occurrence=friday, day=dt.date(2026, 12, 9), reason="x", actor=coordinator
        )
    booking.refresh_from_db()
    friday.refresh_from_db()
    assert booking.date == friday.date == dt.date(2026, 12, 4)


def test_moving_to_a_holiday_or_without_permission_is_refused(friday, coordinator, account):
    from loket.core.errors import PermissionDenied

    with pytest.raises(errors.DayClosed):
        service_days.move_occurrence(
            occurrence=friday, day=dt.date(2026, 12, 25), reason="x", actor=coordinator
        )
    with pytest.raises(PermissionDenied):
        service_days.cancel_occurrence(occurrence=friday, reason="x", actor=account)
    with pytest.raises(errors.ReasonRequired):
        service_days.cancel_occurrence(occurrence=friday, reason=" ", actor=coordinator)


def test_a_simpatik_day_admits_walk_ins_in_order_up_to_its_quota(office, simpatik, now, desk):
    from loket.core import clock

    saturday = dt.date(2026, 12, 5)
    day = service_days.create_one_off_day(
        office=office,
        channel=simpatik,
        name="Paspor Simpatik",
        day=saturday,
        location="Kantor",
        quota=2,
    )
    with pytest.raises(errors.ServiceDayWrongKind):
        book(desk, day, 1)
    with clock.frozen_at(dt.datetime(2026, 12, 5, 8, 0, tzinfo=now.tzinfo)):
        first = service_days.admit_walk_in(occurrence=day, name="Ani", actor=desk)
        second = service_days.admit_walk_in(occurrence=day, name="Budi", actor=desk)
        with pytest.raises(QuotaExhausted):
            service_days.admit_walk_in(occurrence=day, name="Citra", actor=desk)
    assert (first.number, second.number) == (1, 2)
    # Each walk-in waits in the office's queue at the first stage, in arrival order.
    assert [first.ticket.display, second.ticket.display] == ["A001", "A002"]
    assert first.ticket.stage.code == "document_check" and first.ticket.slot is None
    assert find_drift() == []  # the walk-ins are counted as holders of their places


def test_a_one_off_day_on_a_holiday_is_refused_and_leaves_no_rule(office, simpatik):
    with pytest.raises(errors.DayClosed):
        service_days.create_one_off_day(
            office=office,
            channel=simpatik,
            name="Simpatik",
            day=dt.date(2026, 12, 25),
            location="Kantor",
            quota=20,
        )
    assert not ServiceDayRule.objects.filter(channel=simpatik).exists()
    assert Booking.objects.count() == 0


def test_the_command_plans_every_active_rule_and_is_safe_to_rerun(office, paten_rule):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("generate_service_days", "--days", "30", stdout=out)
    assert "PATEN" in out.getvalue()
    first = paten_rule.occurrences.count()
    assert first == 3  # Fridays 4, 11 and 18 December; Christmas Day skipped
    call_command("generate_service_days", "--days", "30", stdout=StringIO())
    assert paten_rule.occurrences.count() == first


def test_listing_upcoming_days_takes_two_queries_however_many_days(
    office, paten_rule, account, django_assert_num_queries
):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 29)
    )
    book(account, paten_rule.occurrences.order_by("date").first(), 1)
    with django_assert_num_queries(2):
        days = selectors.list_upcoming_service_days(office=office)
        assert [d.remaining for d in days][:2] == [9, 10]
        assert all(d.occurrence.rule.name == "PATEN" for d in days)
