"""The ledger integrity check: places taken must equal the live bookings and holds behind them.

Each app whose rows hold ledger places registers a counter: a function returning
{slot_id: places held} for a queryset of slots. The check adds them up and compares with `used`.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from loket.capacity.models import CapacitySlot

HolderCounter = Callable[[QuerySet], dict[int, int]]
_holders: dict[str, HolderCounter] = {}


def register_holder(name: str, counter: HolderCounter) -> None:
    _holders[name] = counter


@dataclass(frozen=True)
class Drift:
    slot_id: int
    office: str
    channel: str
    date: str
    window: str
    used: int
    held: int
    by_holder: dict[str, int]

    def __str__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(self.by_holder.items())) or "none"
        return (
            f"{self.office} {self.channel} {self.date} {self.window}: ledger says {self.used} "
            f"taken, {self.held} held ({parts})"
        )


def find_drift(slots: QuerySet | None = None) -> list[Drift]:
    """Every slot whose `used` differs from the places its holders actually hold."""
    slots = slots if slots is not None else CapacitySlot.objects.all()
    per_holder = {name: counter(slots) for name, counter in _holders.items()}
    held: Counter[int] = Counter()
    for counts in per_holder.values():
        held.update(counts)
    drifts = []
    rows = slots.select_related("channel__office").order_by("date", "channel_id", "window_start")
    for slot in rows.iterator(chunk_size=2000):
        if slot.used != held.get(slot.pk, 0):
            drifts.append(
                Drift(
                    slot_id=slot.pk,
                    office=slot.channel.office.code,
                    channel=slot.channel.code,
                    date=slot.date.isoformat(),
                    window=f"{slot.window_start:%H:%M}",
                    used=slot.used,
                    held=held.get(slot.pk, 0),
                    by_holder={
                        name: counts[slot.pk]
                        for name, counts in per_holder.items()
                        if slot.pk in counts
                    },
                )
            )
    return drifts
