"""Ledger writes: a place is taken or freed in one statement, never read-then-written."""

import datetime as dt

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from loket.capacity.models import CapacitySlot
from loket.core.errors import DomainError, NotFound
from loket.offices.models import Channel
from loket.offices.selectors import load_channel_plan


class QuotaExhausted(DomainError):
    code = "quota_exhausted"
    status = 409
    message = _("No places are left in this window. Choose another window or day.")


class WindowNotFound(NotFound):
    code = "window_not_found"
    message = _("This channel has no arrival window starting at that time.")


def ensure_day_slots(*, channel: Channel, day: dt.date) -> None:
    """Materialise a day's ledger rows from the configuration; existing rows are left alone."""
    plan = load_channel_plan(channel, day, day)
    CapacitySlot.objects.bulk_create(
        [
            CapacitySlot(
                channel=channel,
                date=day,
                window_start=w.start,
                window_end=w.end,
                capacity=w.capacity,
            )
            for w in plan.window_plans(day)
        ],
        ignore_conflicts=True,
    )


def get_slot(*, channel: Channel, day: dt.date, window_start: dt.time) -> CapacitySlot:
    """The ledger row of a window, created from the configuration if it is not there yet."""
    slot = CapacitySlot.objects.filter(channel=channel, date=day, window_start=window_start).first()
    if slot is None:
        ensure_day_slots(channel=channel, day=day)
        slot = CapacitySlot.objects.filter(
            channel=channel, date=day, window_start=window_start
        ).first()
    if slot is None:
        raise WindowNotFound()
    return slot


def try_take_place(*, slot_id: int) -> bool:
    """Take one place if one is free. Locks the slot row until the transaction ends."""
    return (
        CapacitySlot.objects.filter(pk=slot_id, used__lt=F("capacity")).update(used=F("used") + 1)
        == 1
    )


def release_place(*, slot_id: int) -> None:
    """Give one place back (the caller has just ended the booking or hold that held it)."""
    CapacitySlot.objects.filter(pk=slot_id, used__gt=0).update(used=F("used") - 1)


def set_slot_capacity(*, channel: Channel, day: dt.date) -> list[CapacitySlot]:
    """Re-apply the configuration to a materialised day; never below the places already taken.

    Returns the slots that could not shrink to the configured figure.
    """
    plan = load_channel_plan(channel, day, day)
    short = []
    for w in plan.window_plans(day):
        updated = CapacitySlot.objects.filter(
            channel=channel, date=day, window_start=w.start, used__lte=w.capacity
        ).update(capacity=w.capacity, window_end=w.end)
        if not updated:
            slot = CapacitySlot.objects.filter(
                channel=channel, date=day, window_start=w.start
            ).first()
            if slot is not None:
                CapacitySlot.objects.filter(pk=slot.pk).update(capacity=F("used"))
                short.append(slot)
    return short
