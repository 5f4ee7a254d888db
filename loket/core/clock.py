"""The only place that reads the current time. Tests move it with `frozen_at`.

Training mode (`LOKET_TRAINING_DATE`, for a demo or training database, refused in production):
the clock runs on another day, at the real time of day, so the office day can be practised on a
weekend or holiday. `next-working-day` is the first working day from today on (Monday to Friday,
not a national holiday; today when it is one); a date `YYYY-MM-DD` is that day. Everything that
asks this clock (the desk, the walk-ins, the board's clock, bookings) agrees on the day.
"""

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator

from django.conf import settings
from django.utils import timezone

_frozen: dt.datetime | None = None
NEXT_WORKING_DAY = "next-working-day"


def _weekday(day: dt.date) -> bool:
    return day.weekday() < 5


# Which days are working days for `next-working-day`: Monday to Friday here; the offices app
# registers the national holidays on top in its ready() (core knows no app).
_is_working_day: Callable[[dt.date], bool] = _weekday
_offset_cache: tuple[str, dt.date, dt.timedelta] | None = None


def register_working_day_rule(rule: Callable[[dt.date], bool]) -> None:
    global _is_working_day, _offset_cache
    _is_working_day, _offset_cache = rule, None


def training_target(setting: str, real_today: dt.date) -> dt.date:
    """The day a training setting runs on, seen from the real local date."""
    if setting == NEXT_WORKING_DAY:
        day = real_today
        for _ in range(60):
            if _is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        return real_today
    return dt.date.fromisoformat(setting)


def _training_offset(real: dt.datetime) -> dt.timedelta:
    global _offset_cache
    setting = getattr(settings, "LOKET_TRAINING_DATE", "")
    if not setting:
        return dt.timedelta(0)
    real_today = real.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    cached = _offset_cache
    if cached is not None and cached[0] == setting and cached[1] == real_today:
        return cached[2]
    offset = dt.timedelta(days=(training_target(setting, real_today) - real_today).days)
    _offset_cache = (setting, real_today, offset)
    return offset


def now() -> dt.datetime:
    """The current aware datetime (UTC); in training mode, on the training day."""
    if _frozen is not None:
        return _frozen
    real = timezone.now()
    return real + _training_offset(real)


def training_day() -> dt.date | None:
    """The day training mode runs on (office time zone of the settings), None when it is off."""
    if not getattr(settings, "LOKET_TRAINING_DATE", ""):
        return None
    return now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def local_now(tz_name: str) -> dt.datetime:
    return now().astimezone(zoneinfo.ZoneInfo(tz_name))


def local_today(tz_name: str) -> dt.date:
    return local_now(tz_name).date()


def at_local(day: dt.date, time: dt.time, tz_name: str) -> dt.datetime:
    """The aware datetime of a local wall-clock moment in a time zone."""
    return dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(tz_name))


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Fix `now()` at an aware moment for the duration of the block (tests only)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = previous
