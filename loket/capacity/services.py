"""Ledger writes: a place is taken or freed in one statement, never read-then-written.

The ledger is the only writer of `CapacitySlot.used` and `.capacity`: take, free, move, resize
(and of ChannelMove, the typed fact of places moved between channels).
Each change that gives places back emits a typed event in the caller's transaction
(loket.capacity.events); listeners registered in `AppConfig.ready()` clear the full flag
(here) and offer the place to whoever waits (the waiting list).
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from loket.capacity.events import PlacesAdded, PlacesFreed
from loket.capacity.models import CapacitySlot, ChannelMove
from loket.core import clock, events
from loket.core.errors import DomainError, NotFound
from loket.offices.events import CapacityConfigured
from loket.offices.models import Channel
from loket.offices.selectors import load_channel_plan

logger = logging.getLogger(__name__)


class QuotaExhausted(DomainError, code="quota_exhausted", status=409):
    message = _("No places are left in this window. Choose another window or day.")


class WindowNotFound(NotFound, code="window_not_found"):
    message = _("This channel has no arrival window starting at that time.")


class ChannelMoveInvalid(DomainError, code="channel_move_invalid", status=409):
    message = _("Places can only move to another channel of the same office.")


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


def take_place_statement(slot_id: int) -> tuple[str, list]:
    """try_take_place as SQL and parameters, for a caller that sends it with other statements:
    it took the place if it updated one row."""
    table = CapacitySlot._meta.db_table
    return (
        f'UPDATE "{table}" SET "used" = "used" + 1 WHERE "id" = %s AND "used" < "capacity"',
        [slot_id],
    )


def release_place(*, slot_id: int, reoffer: bool = True) -> None:
    """Give one place back (the caller has just ended the booking or hold that held it).

    Emits PlacesFreed: the full flag is voided and the place is offered to the waiting list
    (unless `reoffer` is False: see PlacesFreed).
    """
    if CapacitySlot.objects.filter(pk=slot_id, used__gt=0).update(used=F("used") - 1):
        events.emit(PlacesFreed(slot_id=slot_id, reoffer=reoffer))


def move_place(*, from_slot_id: int, to_slot_id: int, reoffer: bool = True) -> bool:
    """Move one taken place from one slot to another; False (nothing changed) if `to` is full.

    Locks both slots in ascending id (SELECT ... FOR UPDATE), then takes the new place before
    giving the old one back, so a refusal leaves the ledger as it was.
    """
    list(
        CapacitySlot.objects.select_for_update()
        .filter(pk__in=[from_slot_id, to_slot_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not try_take_place(slot_id=to_slot_id):
        return False
    release_place(slot_id=from_slot_id, reoffer=reoffer)
    return True


# The "full" flag: set when the conditional UPDATE found no free place, so later requests for
# that window are refused without touching the slot row. It lives in Django's cache (Redis when
# REDIS_URL is set: shared by every app process). A flag holds the slot's version read before
# the refused UPDATE; every write that frees a place bumps the version when its transaction
# commits, so a flag set by a refusal that raced a release no longer matches and is ignored.
# Writes that bypass release_place (an admin editing the ledger row, a crash between commit
# and the bump) are bounded by the flag's lifetime, LOKET_FULL_FLAG_SECONDS.


def _full_key(slot_id: int) -> str:
    return f"loket:slot-full:{slot_id}"


def _version_key(slot_id: int) -> str:
    return f"loket:slot-version:{slot_id}"


def full_flag_seconds() -> float:
    return float(getattr(settings, "LOKET_FULL_FLAG_SECONDS", 60))


# Slots this process has seen flagged or refused lately (id -> monotonic time): a hint that
# lets the API ask the shared flag only for windows that may be full (loket.booking.api).
_seen_full: dict[int, float] = {}


def may_be_full(slot_id: int) -> bool:
    """Whether this process saw the slot full within the flag's lifetime (no cache call)."""
    seen = _seen_full.get(slot_id)
    return seen is not None and time.monotonic() - seen < full_flag_seconds()


def full_state(slot_id: int) -> tuple[bool, int | None]:
    """(flagged full, the slot's version now): one cache round trip.

    An unreachable cache only costs speed: (False, None), and the ledger decides.
    """
    if not settings.LOKET_FULL_FLAG:
        return False, None
    try:
        values = cache.get_many([_full_key(slot_id), _version_key(slot_id)])
    except Exception:  # noqa: BLE001 - e.g. Redis down: fall back to the database
        logger.warning("cache unavailable: full flag of slot %s not read", slot_id)
        return False, None
    version = values.get(_version_key(slot_id), 0)
    flag = values.get(_full_key(slot_id))
    full = flag is not None and flag == version
    if full:
        _seen_full[slot_id] = time.monotonic()
    return full, version


def is_marked_full(slot_id: int) -> bool:
    return full_state(slot_id)[0]


def mark_full(slot_id: int, version: int | None) -> None:
    """Flag the slot full as of `version` (read before the refused UPDATE)."""
    if version is None:
        return
    _seen_full[slot_id] = time.monotonic()
    try:
        cache.set(_full_key(slot_id), version, full_flag_seconds())
    except Exception:  # noqa: BLE001 - the flag is an optimisation
        logger.warning("cache unavailable: slot %s not flagged full", slot_id)


def _bump(slot_id: int) -> None:
    key = _version_key(slot_id)
    try:
        cache.add(key, 0, None)
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, None)
        cache.delete(_full_key(slot_id))
    except Exception:  # noqa: BLE001 - after the commit: never fail the request for it
        # The flag (if any) then lapses after LOKET_FULL_FLAG_SECONDS.
        logger.warning("cache unavailable: full flag of slot %s not voided", slot_id)


def clear_full(slot_id: int) -> None:
    """A place was freed: void the flag once the current transaction commits."""
    transaction.on_commit(lambda: _bump(slot_id))


def resize_day(*, channel: Channel, day: dt.date) -> list[CapacitySlot]:
    """Re-apply the configuration to a materialised day; never below the places already taken.

    Returns the slots that could not shrink to the configured figure. Emits PlacesAdded (flags
    voided, new places offered to the waiting list).
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
    events.emit(PlacesAdded(channel=channel, day=day))
    return short


def resize_days_in_use(*, channel: Channel, since: dt.date) -> list[CapacitySlot]:
    """Re-apply the configuration to every day of `channel` the ledger holds from `since` on
    (see resize_day); returns the slots that could not shrink."""
    days = (
        CapacitySlot.objects.filter(channel=channel, date__gte=since)
        .values_list("date", flat=True)
        .distinct()
    )
    short: list[CapacitySlot] = []
    for day in sorted(set(days)):
        short.extend(resize_day(channel=channel, day=day))
    return short


# Callers from before the ledger owned every resize.
set_slot_capacity = resize_day


def move_unclaimed_places(
    *, from_channel: Channel, to_channel: Channel, day: dt.date, officer=None
) -> int:
    """Move every free place of `from_channel` on `day` to `to_channel`'s first window of the
    day; returns how many moved (0 when none are free or the receiving day has no window).

    Locks `from_channel`'s slots of the day (ascending id), then the receiving slot. Writes the
    move's typed fact (ChannelMove, what the reports count) and emits PlacesAdded for the
    receiving day, in the same transaction. `officer`: who asked, when known. Refused
    (ChannelMoveInvalid) unless the two are different channels of one office.
    """
    if from_channel.pk == to_channel.pk or from_channel.office_id != to_channel.office_id:
        raise ChannelMoveInvalid()
    ensure_day_slots(channel=from_channel, day=day)
    ensure_day_slots(channel=to_channel, day=day)
    with transaction.atomic():
        slots = list(
            CapacitySlot.objects.select_for_update()
            .filter(channel=from_channel, date=day)
            .order_by("id")
        )
        freed = sum(s.capacity - s.used for s in slots)
        receiving = (
            CapacitySlot.objects.select_for_update()
            .filter(channel=to_channel, date=day)
            .order_by("window_start")
            .first()
        )
        if freed <= 0 or receiving is None:
            return 0
        CapacitySlot.objects.filter(pk__in=[s.pk for s in slots]).update(capacity=F("used"))
        CapacitySlot.objects.filter(pk=receiving.pk).update(capacity=F("capacity") + freed)
        ChannelMove.objects.create(
            office_id=from_channel.office_id,
            date=day,
            from_channel=from_channel,
            to_channel=to_channel,
            count=freed,
            at=clock.now(),
            officer=officer,
        )
        events.emit(PlacesAdded(channel=to_channel, day=day))
    return freed


def resize_on_configured(event: CapacityConfigured) -> None:
    """A channel's capacity changed (offices): its days in use follow, in that transaction."""
    event.kept.extend(resize_days_in_use(channel=event.channel, since=event.since))


def clear_full_on_free(event: PlacesFreed) -> None:
    clear_full(event.slot_id)


def clear_full_on_added(event: PlacesAdded) -> None:
    for slot_id in CapacitySlot.objects.filter(channel=event.channel, date=event.day).values_list(
        "pk", flat=True
    ):
        clear_full(slot_id)


def set_replicated_count(*, slot_id: int, used: int, capacity: int) -> None:
    """The places of a slot its office owns (a walk-in lane's, loket.sync) as the office node
    has them: at the central site, the node's figures are the true ones (its places handed
    out, and its places moved, e.g. the priority places released to another lane at noon)."""
    CapacitySlot.objects.filter(pk=slot_id).update(used=used, capacity=capacity)


def take_place_beyond_capacity(*, slot_id: int) -> None:
    """One more place, taken at once: the office served someone whose place the central site
    had meanwhile given away (loket.sync). The window grows by one so the ledger stays whole;
    the caller flags it for the supervisor."""
    CapacitySlot.objects.filter(pk=slot_id).update(capacity=F("capacity") + 1, used=F("used") + 1)
