"""An office's configuration: what a channel offers on which day, and what is refused."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from loket.offices.domain import DayState
from loket.offices.models import (
    ArrivalWindow,
    CapacityOverride,
    Channel,
    ChannelKind,
    Closure,
    Office,
    WorkingAreaRegency,
)
from loket.offices.selectors import (
    ChannelNotFound,
    OfficeNotFound,
    get_channel,
    get_office,
    is_office_closed,
    load_channel_plan,
    working_days_after,
)
from tests.helpers import (
    CHRISTMAS,
    CUTI_BERSAMA,
    MONDAY,
    OFFICE_CLOSURE,
    SATURDAY,
    THURSDAY,
    WEDNESDAY,
)

DECEMBER = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_a_weekday_has_its_configured_places_split_over_the_windows(online):
    """The demo's 170 online places a weekday are shared over seven hourly windows."""
    plan = load_channel_plan(online, *DECEMBER)
    windows = plan.window_plans(WEDNESDAY)
    assert [f"{w.start:%H:%M}" for w in windows] == [f"{h:02d}:00" for h in range(8, 15)]
    assert sum(w.capacity for w in windows) == 170
    assert plan.state(WEDNESDAY) == DayState.OPEN


def test_a_weekend_day_has_no_places(online):
    """A weekday without a capacity row (Saturday) has no places: it is closed."""
    plan = load_channel_plan(online, *DECEMBER)
    assert plan.day_capacity(SATURDAY) == 0
    assert plan.state(SATURDAY) == DayState.CLOSED


def test_a_capacity_override_replaces_the_weekday_figure(online):
    """A date's own capacity replaces the weekday figure, for that date only."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=14, reason="training")
    plan = load_channel_plan(online, *DECEMBER)
    assert plan.day_capacity(THURSDAY) == 14
    assert [w.capacity for w in plan.window_plans(THURSDAY)] == [2] * 7
    assert plan.day_capacity(WEDNESDAY) == 170


def test_an_override_of_zero_closes_the_channel_that_day(online):
    """Zero places on a date closes the channel on that date."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=0)
    assert load_channel_plan(online, *DECEMBER).state(THURSDAY) == DayState.CLOSED


def test_an_override_can_open_a_saturday(online):
    """An override gives places on a day without weekday capacity (a Saturday service day)."""
    CapacityOverride.objects.create(channel=online, date=SATURDAY, capacity=7)
    plan = load_channel_plan(online, *DECEMBER)
    assert plan.state(SATURDAY) == DayState.OPEN
    assert plan.day_capacity(SATURDAY) == 7


def test_an_office_closure_wins_over_an_override(online, office):
    """On the office's own closure day the channel has no places, whatever the override says."""
    CapacityOverride.objects.create(channel=online, date=MONDAY, capacity=50)
    Closure.objects.create(office=office, date=MONDAY, reason="Pemadaman listrik")
    plan = load_channel_plan(online, *DECEMBER)
    assert plan.closure_reason(MONDAY) == "Pemadaman listrik"
    assert plan.day_capacity(MONDAY) == 0
    assert plan.state(MONDAY) == DayState.CLOSED


def test_national_holidays_and_cuti_bersama_close_the_office(online, office):
    """Christmas and its cuti bersama close the office; so does the demo's own closure."""
    plan = load_channel_plan(online, *DECEMBER)
    for day in (CUTI_BERSAMA, CHRISTMAS, OFFICE_CLOSURE):
        assert plan.closure_reason(day)
        assert plan.state(day) == DayState.CLOSED
        assert is_office_closed(office, day)
    assert not is_office_closed(office, WEDNESDAY)


def test_an_office_may_open_on_national_holidays(online, office):
    """An office that does not observe national holidays keeps its weekday places on them."""
    office.observe_national_holidays = False
    office.save()
    online.refresh_from_db()
    plan = load_channel_plan(online, *DECEMBER)
    assert plan.closure_reason(CHRISTMAS) is None
    assert plan.day_capacity(CHRISTMAS) == 170
    assert not is_office_closed(office, CHRISTMAS)


def test_a_channel_without_windows_has_one_window_over_opening_hours(online):
    """Without arrival windows, the whole opening time is one window with all the places."""
    ArrivalWindow.objects.filter(channel=online).delete()
    windows = load_channel_plan(online, *DECEMBER).window_plans(WEDNESDAY)
    assert [(w.start, w.end, w.capacity) for w in windows] == [(dt.time(8, 0), dt.time(16, 0), 170)]


def test_windows_share_places_by_weight(online):
    """A window with twice the weight gets twice the places."""
    ArrivalWindow.objects.filter(channel=online).delete()
    ArrivalWindow.objects.create(channel=online, start=dt.time(8), end=dt.time(10), weight=2)
    ArrivalWindow.objects.create(channel=online, start=dt.time(10), end=dt.time(12), weight=1)
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=30)
    windows = load_channel_plan(online, *DECEMBER).window_plans(THURSDAY)
    assert [w.capacity for w in windows] == [20, 10]


def test_working_days_after_uses_the_office_calendar(office):
    """Working days skip weekends, national holidays, cuti bersama and the office's closures."""
    assert working_days_after(office, dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 28)
    # 31 December is the demo office's closure, 1 January 2027 New Year, then the weekend.
    assert working_days_after(office, dt.date(2026, 12, 29), 2) == dt.date(2027, 1, 4)


def test_offices_and_channels_are_found_by_code(office, online):
    """An office is found by its code in any case; an unknown code or channel is not found."""
    assert get_office("krw") == office
    assert get_channel(office, "online") == online
    with pytest.raises(OfficeNotFound) as exc:
        get_office("XXX")
    assert exc.value.status == 404
    with pytest.raises(ChannelNotFound):
        get_channel(office, "nope")


def test_an_inactive_channel_is_not_found(office, online):
    """A channel switched off cannot be found (nor booked)."""
    online.is_active = False
    online.save()
    with pytest.raises(ChannelNotFound):
        get_channel(office, "online")


def test_the_online_channel_cannot_allow_lost_passports(online):
    """The admin form refuses an online channel that would serve lost or damaged passports."""
    online.allows_lost = True
    with pytest.raises(ValidationError) as exc:
        online.full_clean()
    assert "in person" in str(exc.value)
    online.allows_lost = False
    online.allows_damaged = True
    with pytest.raises(ValidationError):
        online.clean()


def test_the_database_refuses_an_online_channel_for_lost_passports(online):
    """Even bypassing validation, the database refuses lost/damaged on an online channel."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=online.pk).update(allows_damaged=True)


def test_walk_in_channels_may_serve_lost_passports(office):
    """The lost/damaged walk-in channel serves lost and damaged passports only."""
    channel = Channel.objects.get(office=office, code="lost-damaged")
    channel.full_clean()
    assert channel.application_types == ["lost", "damaged"]
    assert not channel.is_bookable_online
    assert Channel.objects.get(office=office, code="paten").is_bookable_online


def test_the_examination_bap_channel_has_its_own_places(office):
    """The demo's BAP channel is not bookable online and has its own 10 places a weekday; a
    second BAP channel at the office is explained in the admin's validation."""
    from loket.offices.selectors import get_bap_channel

    bap = get_bap_channel(office)
    assert bap.code == "bap" and bap.kind == ChannelKind.BAP and not bap.is_bookable_online
    assert set(bap.weekday_capacities.values_list("capacity", flat=True)) == {10}
    second = Channel(office=office, code="bap-2", kind=ChannelKind.BAP, name="BAP 2")
    with pytest.raises(ValidationError, match="one examination"):
        second.validate_constraints()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("release_day_of_month", 31, "1 to 28"),
        ("horizon_days", 0, "horizon"),
    ],
)
def test_channel_validation_explains_itself(online, field, value, message):
    """A channel's release day and horizon are checked with a message that says what to do."""
    setattr(online, field, value)
    with pytest.raises(ValidationError) as exc:
        online.clean()
    assert message in str(exc.value)


def test_the_database_refuses_a_release_day_every_month_does_not_have(online):
    """The database refuses a monthly release on the 29th to 31st."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=online.pk).update(release_day_of_month=31)


def test_an_unknown_channel_kind_is_refused_by_the_database(online):
    """Only the known channel kinds can be stored."""
    assert ChannelKind.ONLINE == online.kind
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=online.pk).update(kind="vip")


def test_an_office_must_close_after_it_opens(office):
    """Opening hours that end before they start are explained in the form and refused below."""
    office.closes_at = dt.time(7, 0)
    with pytest.raises(ValidationError) as exc:
        office.full_clean()
    assert "closes_at" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.filter(pk=office.pk).update(closes_at=dt.time(7, 0))


def test_a_working_area_regency_is_a_known_regency(office):
    """A working-area code is normalised ('32.15' -> '3215') and must be a known regency."""
    area = WorkingAreaRegency(office=office, regency_code="32.16")
    area.clean()
    assert area.regency_code == "3216"
    with pytest.raises(ValidationError):
        WorkingAreaRegency(office=office, regency_code="99.99").clean()


def test_an_arrival_window_must_end_after_it_starts(online):
    """A window that ends before it starts is explained in the form and refused below."""
    window = ArrivalWindow(channel=online, start=dt.time(10), end=dt.time(9))
    with pytest.raises(ValidationError):
        window.clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArrivalWindow.objects.create(channel=online, start=dt.time(16), end=dt.time(15))
