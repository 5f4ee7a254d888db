"""The only place that reads the current time. Tests move it with `frozen_at`."""

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current aware datetime (UTC)."""
    return _frozen if _frozen is not None else timezone.now()


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
