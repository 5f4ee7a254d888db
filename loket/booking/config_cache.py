"""Office configuration read on every booking request, cached per process.

What is cached: the active office and channel by code, a channel's plan for one day, the
fee table and a window's ledger row identity (id and times, never `used`). A change to any of
the configuration models bumps a version in Django's cache (shared by every app process when
REDIS_URL is set) and clears this process's copy at once; other processes notice the new
version within VERSION_CHECK seconds. Without a shared cache, `CONFIG_TTL` seconds bound
staleness.
"""

import datetime as dt
import threading
import time

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from loket.capacity.models import CapacitySlot
from loket.offices.models import (
    ArrivalWindow,
    CapacityOverride,
    Channel,
    Closure,
    Office,
    Tariff,
    WeekdayCapacity,
)
from loket.offices.selectors import ChannelPlan, get_channel, get_office, load_channel_plan

CONFIG_TTL = 10.0  # seconds a process trusts its copy without a shared version bump
VERSION_KEY = "loket:config-version"
VERSION_CHECK = 1.0  # seconds between reads of the shared version

_lock = threading.Lock()
_local: dict = {}
_state = {"version": None, "checked": 0.0, "seen": 0.0}


def _shared_version():
    try:
        return cache.get(VERSION_KEY, 0)
    except Exception:  # noqa: BLE001 - cache down: keep this process's copy (TTL-bounded)
        return _state["version"] if _state["version"] is not None else -1


def _fresh() -> dict:
    """This process's entries, emptied when the shared version moved or the TTL passed.

    The shared version is read at most every VERSION_CHECK seconds per process (a cache
    round trip per request otherwise), which bounds how late another process sees a change.
    """
    now = time.monotonic()
    if _state["version"] is not None and now - _state["seen"] < VERSION_CHECK:
        return _local
    version = _shared_version()
    _state["seen"] = now
    with _lock:
        if version != _state["version"] or now - _state["checked"] > CONFIG_TTL:
            _local.clear()
            _state["version"] = version
            _state["checked"] = now
        return _local


def invalidate(**_kwargs) -> None:
    """Forget every cached configuration, here and (through the shared version) elsewhere."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 1, None)
    except Exception:  # noqa: BLE001 - cache down: other processes catch up by CONFIG_TTL
        pass
    with _lock:
        _local.clear()
        _state["version"] = None


_MISSING = object()


def cached(key, load):
    """`load()` once per configuration version (None is cached too)."""
    store = _fresh()
    value = store.get(key, _MISSING)
    if value is _MISSING:
        value = store[key] = load()
    return value


def channel_by_codes(office_code: str, channel_code: str) -> Channel:
    key = ("channel", (office_code or "").upper(), channel_code)
    store = _fresh()
    channel = store.get(key)
    if channel is None:
        channel = get_channel(get_office(office_code), channel_code)
        store[key] = channel
    return channel


def known_channel(office_code: str, channel_code: str) -> Channel | None:
    """The channel if this process has it cached already (no query), else None."""
    return _fresh().get(("channel", (office_code or "").upper(), channel_code))


def day_plan(channel: Channel, day: dt.date) -> ChannelPlan:
    key = ("plan", channel.pk, day)
    store = _fresh()
    plan = store.get(key)
    if plan is None:
        plan = load_channel_plan(channel, day, day)
        store[key] = plan
    return plan


def fee(item: str, on: dt.date) -> int | None:
    key = ("fee", item, on)
    store = _fresh()
    if key not in store:
        tariff = (
            Tariff.objects.filter(item=item, valid_from__lte=on).order_by("-valid_from").first()
        )
        store[key] = tariff.amount if tariff else None
    return store[key]


def slot_identity(channel: Channel, day: dt.date, window_start: dt.time) -> CapacitySlot | None:
    """The window's ledger row without its counters (id, times, capacity as last seen)."""
    return _fresh().get(("slot", channel.pk, day, window_start))


def remember_slot(slot: CapacitySlot) -> None:
    _fresh()[("slot", slot.channel_id, slot.date, slot.window_start)] = CapacitySlot(
        pk=slot.pk,
        channel_id=slot.channel_id,
        date=slot.date,
        window_start=slot.window_start,
        window_end=slot.window_end,
        capacity=slot.capacity,
        used=0,
    )


def connect_signals() -> None:
    models = (Office, Channel, WeekdayCapacity, ArrivalWindow, CapacityOverride, Closure, Tariff)
    for model in models:
        post_save.connect(invalidate, sender=model, dispatch_uid=f"config-cache-{model.__name__}")
        post_delete.connect(
            invalidate, sender=model, dispatch_uid=f"config-cache-del-{model.__name__}"
        )
