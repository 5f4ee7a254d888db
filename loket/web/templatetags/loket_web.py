"""Presentation filters for the applicant website: money, office time, field ids."""

import datetime as dt
import zoneinfo

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@register.filter
def rupiah(amount) -> str:
    """650000 -> Rp650.000 (the rupiah is written with dots, in either language)."""
    try:
        return "Rp" + f"{int(amount):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


@register.filter
def zone_abbr(tz_name: str) -> str:
    return ZONE_ABBREVIATIONS.get(tz_name, tz_name)


@register.filter
def office_time(moment: dt.datetime | None, tz_name: str = "Asia/Jakarta") -> str:
    """An aware moment as the office's wall clock: '1 Desember 2026 11:00 WIB'."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(zoneinfo.ZoneInfo(tz_name))
    return "{} {} {}".format(
        formats.date_format(moment, "j F Y"),
        moment.strftime("%H:%M"),
        ZONE_ABBREVIATIONS.get(tz_name, tz_name),
    )


@register.filter
def long_date(day: dt.date | None) -> str:
    """'Kamis, 3 Desember 2026' in the active language."""
    if day is None:
        return ""
    return formats.date_format(day, "l, j F Y")


@register.filter
def hhmm(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


@register.filter
def first_input_id(field) -> str:
    """The id an error summary links to: radios and checkboxes start at `_0`."""
    if getattr(field, "use_fieldset", False):
        return f"{field.auto_id}_0"
    return field.auto_id


@register.simple_tag
def window_label(start: dt.time, end: dt.time) -> str:
    return _("%(start)s to %(end)s") % {
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
