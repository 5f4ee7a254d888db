"""What every message needs to say things the same way: absolute links to act on, and moments
in the office's time zone with the zone's name (WIB, WITA, WIT)."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.urls import reverse
from django.utils import formats

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_abbr(tz_name: str) -> str:
    return ZONE_ABBREVIATIONS.get(tz_name, tz_name)


def site_url(path: str) -> str:
    """An absolute link for a message: LOKET_SITE_URL + path."""
    base = getattr(settings, "LOKET_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + path


def link(name: str, *args) -> str:
    """The absolute URL of a named page, e.g. link("web:proof", code)."""
    return site_url(reverse(name, args=args))


def office_moment(moment: dt.datetime, tz_name: str) -> str:
    """'1 Desember 2026 11:00 WIB': the office's wall clock, with the zone's name."""
    local = moment.astimezone(zoneinfo.ZoneInfo(tz_name))
    return f"{formats.date_format(local, 'j F Y')} {local:%H:%M} {zone_abbr(tz_name)}"


def office_day(day: dt.date) -> str:
    """'Kamis, 3 Desember 2026' in the active language."""
    return formats.date_format(day, "l, j F Y")


def office_window(start: dt.time, end: dt.time, tz_name: str) -> str:
    """'08:00-09:00 WIB'."""
    return f"{start:%H:%M}-{end:%H:%M} {zone_abbr(tz_name)}"
