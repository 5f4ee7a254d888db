"""Pure rules of an office's calendar: release moments, horizons, splitting a day's places."""

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

import holidays


@dataclass(frozen=True)
class ReleasePolicy:
    rule: str  # "rolling", "weekly", "monthly"
    days_ahead: int = 30
    weekday: int = 4
    day_of_month: int = 28
    time: dt.time = dt.time(0, 0)


def release_moment(policy: ReleasePolicy, day: dt.date) -> dt.datetime:
    """The local wall-clock moment from which `day` can be booked (naive, office time)."""
    if policy.rule == "rolling":
        opens_on = day - dt.timedelta(days=policy.days_ahead)
    elif policy.rule == "weekly":
        monday = day - dt.timedelta(days=day.weekday())
        opens_on = monday - dt.timedelta(days=7) + dt.timedelta(days=policy.weekday)
    elif policy.rule == "monthly":
        first = day.replace(day=1)
        previous_month = (first - dt.timedelta(days=1)).replace(day=1)
        opens_on = previous_month.replace(day=policy.day_of_month)
    else:
        raise ValueError(f"unknown release rule {policy.rule!r}")
    return dt.datetime.combine(opens_on, policy.time)


def next_release_after(
    policy: ReleasePolicy, moment: dt.datetime, day: dt.date
) -> dt.datetime | None:
    """When `day` opens, if that is still to come at local `moment`; else None."""
    opens = release_moment(policy, day)
    return opens if opens > moment else None


class DayState(StrEnum):
    OPEN = "open"
    PAST = "past"
    TOO_SOON = "too_soon"
    CLOSED = "closed"
    BEYOND_HORIZON = "beyond_horizon"
    NOT_RELEASED = "not_released"


def day_state(
    *,
    day: dt.date,
    local_now: dt.datetime,
    min_days_ahead: int,
    horizon_days: int,
    policy: ReleasePolicy,
    closed: bool,
) -> DayState:
    """Whether a day can be booked at local time `local_now`, and if not, the first reason."""
    today = local_now.date()
    if day < today:
        return DayState.PAST
    if day < today + dt.timedelta(days=min_days_ahead):
        return DayState.TOO_SOON
    if closed:
        return DayState.CLOSED
    if day > today + dt.timedelta(days=horizon_days):
        return DayState.BEYOND_HORIZON
    if release_moment(policy, day) > local_now.replace(tzinfo=None):
        return DayState.NOT_RELEASED
    return DayState.OPEN


def split_capacity(total: int, weights: list[int]) -> list[int]:
    """Share `total` places over windows by weight (largest remainder); the parts sum to total."""
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("weights must be positive")
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    leftovers = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in leftovers[: total - sum(parts)]:
        parts[i] += 1
    return parts


@functools.lru_cache(maxsize=32)
def national_closures(year: int) -> dict[dt.date, str]:
    """Indonesia's national holidays and cuti bersama (collective leave) in a year."""
    calendar = holidays.country_holidays("ID", categories=("public", "government"), years=year)
    return dict(calendar.items())


def national_closure(day: dt.date) -> str | None:
    return national_closures(day.year).get(day)


@functools.lru_cache(maxsize=8)
def _named_closures(year: int, language: str) -> dict[dt.date, str]:
    calendar = holidays.country_holidays(
        "ID", categories=("public", "government"), years=year, language=language
    )
    return dict(calendar.items())


def national_closure_name(day: dt.date, language: str) -> str | None:
    """The holiday's name in Bahasa Indonesia (`id`) or English (anything else)."""
    return _named_closures(day.year, "id" if language.startswith("id") else "en_US").get(day)


def add_working_days(start: dt.date, days: int, is_closed) -> dt.date:
    """The date `days` working days after `start`; weekends and `is_closed(day)` days skipped."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and not is_closed(current):
            remaining -= 1
    return current
