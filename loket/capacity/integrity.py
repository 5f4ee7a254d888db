"""The ledger integrity check: places taken must equal the live bookings and holds behind them.

Each app whose rows hold ledger places registers a counter: a function returning
{slot_id: places held} for a queryset of slots. The check adds them up and compares with `used`.
"""

import datetime as dt
from collections import Counter, defaultdict
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
    capacity: int = 0
    window_end: str = ""

    @property
    def difference(self) -> int:
        """Places the ledger counts beyond what its holders hold (negative: fewer)."""
        return self.used - self.held

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
                    capacity=slot.capacity,
                    window_end=f"{slot.window_end:%H:%M}",
                )
            )
    return drifts


def ledger_slots(
    *, office_code: str | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet:
    """The ledger slots of an office (every office when None) dated from `start` to `end`
    (both included; open when None)."""
    slots = CapacitySlot.objects.all()
    if office_code:
        slots = slots.filter(channel__office__code=office_code.upper())
    if start:
        slots = slots.filter(date__gte=start)
    if end:
        slots = slots.filter(date__lte=end)
    return slots


@dataclass(frozen=True)
class LedgerCheck:
    start: dt.date | None
    end: dt.date | None
    checked: int
    drifts: list[Drift]

    @property
    def clean(self) -> bool:
        return not self.drifts


def check_ledger(
    *, office_code: str | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> LedgerCheck:
    """Run the integrity check over `ledger_slots(...)`. Reads only; takes no locks, so a
    booking made while it runs may show as a passing drift: run it again to confirm."""
    slots = ledger_slots(office_code=office_code, start=start, end=end)
    return LedgerCheck(start=start, end=end, checked=slots.count(), drifts=find_drift(slots))


@dataclass(frozen=True)
class SlotRow:
    """A row that points at a ledger slot: what it is, and its state when it has one."""

    slot_id: int
    kind: str
    label: str
    status: str


def list_slot_rows(slot_ids, *, limit: int = 100) -> dict[int, list[SlotRow]]:
    """Every row pointing at these slots, by slot, whether or not it holds a place (a cancelled
    booking is listed too, with its status): what a person needs to find where a drift came
    from. At most `limit` rows of each kind. Reads only."""
    slot_ids = list(slot_ids)
    found: dict[int, list[SlotRow]] = defaultdict(list)
    if not slot_ids:
        return found
    relations = [
        f
        for f in CapacitySlot._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]
    for relation in sorted(relations, key=lambda r: r.related_model._meta.label):
        model = relation.related_model
        fk = relation.field.attname
        rows = model._default_manager.filter(**{f"{fk}__in": slot_ids}).order_by("pk")[:limit]
        for row in rows:
            status = row.get_status_display() if hasattr(row, "get_status_display") else ""
            label = str(row)
            if label == f"{model.__name__} object ({row.pk})":  # no __str__ of its own
                label = f"#{row.pk}"
            found[getattr(row, fk)].append(
                SlotRow(
                    slot_id=getattr(row, fk),
                    kind=str(model._meta.verbose_name),
                    label=label,
                    status=str(status),
                )
            )
    return found
