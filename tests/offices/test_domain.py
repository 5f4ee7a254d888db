"""The pure calendar rules: release moments, day states, splitting places, closures."""

import datetime as dt

import pytest

from loket.offices.domain import (
    DayState,
    ReleasePolicy,
    add_working_days,
    day_state,
    national_closure,
    national_closures,
    next_release_after,
    release_moment,
    split_capacity,
)

ROLLING_30 = ReleasePolicy(rule="rolling", days_ahead=30)
FRIDAY_14 = ReleasePolicy(rule="weekly", weekday=4, time=dt.time(14, 0))
MONTH_END_09 = ReleasePolicy(rule="monthly", day_of_month=28, time=dt.time(9, 0))


def test_a_rolling_release_opens_a_day_n_days_before():
    """Rolling release: each day opens N days ahead, at the release time."""
    assert release_moment(ROLLING_30, dt.date(2026, 12, 31)) == dt.datetime(2026, 12, 1, 0, 0)
    policy = ReleasePolicy(rule="rolling", days_ahead=90, time=dt.time(8, 0))
    assert release_moment(policy, dt.date(2027, 3, 1)) == dt.datetime(2026, 12, 1, 8, 0)


def test_a_rolling_release_crosses_the_year():
    """A January day opens in December of the year before."""
    assert release_moment(ROLLING_30, dt.date(2027, 1, 10)) == dt.datetime(2026, 12, 11, 0, 0)


def test_a_weekly_release_opens_the_next_week_on_the_release_weekday():
    """Weekly release on Friday 14:00: every day of a week opens on the Friday before it."""
    friday_before = dt.datetime(2026, 12, 4, 14, 0)
    for day in range(7, 14):  # Monday 7 to Sunday 13 December 2026
        assert release_moment(FRIDAY_14, dt.date(2026, 12, day)) == friday_before


def test_a_weekly_release_crosses_the_year():
    """The first week of 2027 opens on Friday 1 January 2027; the last of 2026 on 25 December."""
    assert release_moment(FRIDAY_14, dt.date(2027, 1, 4)) == dt.datetime(2027, 1, 1, 14, 0)
    assert release_moment(FRIDAY_14, dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 25, 14, 0)


def test_a_monthly_release_opens_the_next_month_on_the_release_day():
    """Monthly release on the 28th at 09:00: every day of a month opens on the 28th before."""
    for day in (1, 15, 31):
        assert release_moment(MONTH_END_09, dt.date(2026, 12, day)) == dt.datetime(
            2026, 11, 28, 9, 0
        )


def test_a_monthly_release_crosses_the_year_and_february():
    """January opens on 28 December; March on 28 February (every month has a 28th)."""
    assert release_moment(MONTH_END_09, dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 28, 9, 0)
    assert release_moment(MONTH_END_09, dt.date(2027, 3, 31)) == dt.datetime(2027, 2, 28, 9, 0)


def test_an_unknown_release_rule_is_an_error():
    """A release rule the code does not know is a programming error, not a closed day."""
    with pytest.raises(ValueError):
        release_moment(ReleasePolicy(rule="lottery"), dt.date(2026, 12, 1))


def test_next_release_after_is_none_once_released():
    """The next release of a day is given only while it is still to come."""
    day = dt.date(2026, 12, 9)
    assert next_release_after(FRIDAY_14, dt.datetime(2026, 12, 4, 13, 59), day) == dt.datetime(
        2026, 12, 4, 14, 0
    )
    assert next_release_after(FRIDAY_14, dt.datetime(2026, 12, 4, 14, 0), day) is None


NOW = dt.datetime(2026, 12, 1, 9, 0)


def state(day, *, closed=False, policy=ROLLING_30, local_now=NOW, min_days=1, horizon=60):
    return day_state(
        day=day,
        local_now=local_now,
        min_days_ahead=min_days,
        horizon_days=horizon,
        policy=policy,
        closed=closed,
    )


def test_day_states_for_each_reason():
    """A day is past, too soon, closed, beyond the horizon, not released, or open."""
    assert state(dt.date(2026, 11, 30)) == DayState.PAST
    assert state(dt.date(2026, 12, 1)) == DayState.TOO_SOON
    assert state(dt.date(2026, 12, 2)) == DayState.OPEN
    assert state(dt.date(2026, 12, 2), closed=True) == DayState.CLOSED
    assert state(dt.date(2026, 12, 31)) == DayState.OPEN
    assert state(dt.date(2027, 1, 1)) == DayState.NOT_RELEASED
    assert state(dt.date(2027, 1, 30)) == DayState.NOT_RELEASED
    assert state(dt.date(2027, 1, 31)) == DayState.BEYOND_HORIZON


def test_the_first_reason_wins():
    """A closed day is reported closed even beyond the horizon; a past day is past if closed."""
    assert state(dt.date(2027, 6, 1), closed=True) == DayState.CLOSED
    assert state(dt.date(2026, 11, 1), closed=True) == DayState.PAST


def test_a_day_opens_at_its_release_moment_exactly():
    """At the release moment the day is open; one minute before it is not released."""
    day = dt.date(2026, 12, 9)
    assert state(day, policy=FRIDAY_14, local_now=dt.datetime(2026, 12, 4, 13, 59)) == (
        DayState.NOT_RELEASED
    )
    assert state(day, policy=FRIDAY_14, local_now=dt.datetime(2026, 12, 4, 14, 0)) == (
        DayState.OPEN
    )


def test_booking_on_the_same_day_is_allowed_when_configured():
    """With no minimum notice, today can be booked."""
    assert state(dt.date(2026, 12, 1), min_days=0) == DayState.OPEN


def test_split_capacity_shares_by_weight_largest_remainder_first():
    """170 places over 7 equal windows: 25 for the first two, 24 for the rest."""
    assert split_capacity(170, [1] * 7) == [25, 25, 24, 24, 24, 24, 24]
    assert split_capacity(10, [3, 1, 1]) == [6, 2, 2]
    assert split_capacity(1, [1, 1, 1]) == [1, 0, 0]
    assert split_capacity(0, [1, 2]) == [0, 0]
    assert split_capacity(5, []) == []


def test_split_capacity_refuses_weights_that_sum_to_nothing():
    """Weights must add up to something to share places by."""
    with pytest.raises(ValueError):
        split_capacity(10, [0, 0])


def test_christmas_and_its_cuti_bersama_are_closed():
    """25 December 2026 is Christmas; 24 December is cuti bersama (collective leave)."""
    closures = national_closures(2026)
    assert dt.date(2026, 12, 25) in closures
    assert "Christmas" in closures[dt.date(2026, 12, 25)]
    assert dt.date(2026, 12, 24) in closures  # government category: cuti bersama
    assert national_closure(dt.date(2026, 12, 25)) is not None
    assert national_closure(dt.date(2026, 12, 23)) is None


def test_eid_al_fitr_cuti_bersama_is_closed():
    """Cuti bersama around Eid al-Fitr 2026 (20 and 23-24 March) closes the office."""
    for day in (20, 23, 24):
        assert national_closure(dt.date(2026, 3, day)) is not None


def test_adding_working_days_skips_weekends():
    """Two working days after a Friday is the Tuesday."""
    assert add_working_days(dt.date(2026, 12, 4), 2, lambda d: False) == dt.date(2026, 12, 8)


def test_adding_working_days_skips_holidays_and_weekends():
    """From Wednesday 23 December 2026, cuti bersama, Christmas and the weekend are skipped."""
    closed = lambda d: national_closure(d) is not None  # noqa: E731
    assert add_working_days(dt.date(2026, 12, 23), 1, closed) == dt.date(2026, 12, 28)
    assert add_working_days(dt.date(2026, 12, 23), 4, closed) == dt.date(2026, 12, 31)


def test_adding_zero_working_days_is_the_same_day():
    """Zero working days after a day is that day, even a Sunday."""
    assert add_working_days(dt.date(2026, 12, 6), 0, lambda d: True) == dt.date(2026, 12, 6)
