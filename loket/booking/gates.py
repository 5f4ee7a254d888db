"""Checks that may refuse a booking or a move to another day, run inside its transaction.

Higher apps register theirs in AppConfig.ready() (the fair release's waiting room: only with a
current admission while it governs the channel), so booking knows none of them. A gate raises
a DomainError to refuse and may write its own rows (an admission marked used)."""

import datetime as dt
from collections.abc import Callable

Gate = Callable[..., None]  # gate(*, account, channel, day, nik)
_gates: dict[str, Gate] = {}


def register_gate(name: str, gate: Gate) -> None:
    _gates[name] = gate


def pass_gates(*, account, channel, day: dt.date, nik: str) -> None:
    for gate in _gates.values():
        gate(account=account, channel=channel, day=day, nik=nik)
