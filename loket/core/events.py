"""Typed domain events: a lower floor tells higher floors what changed, without importing them.

An event is a frozen dataclass. `emit(event)` calls each listener registered for its class, at
once, inside the caller's transaction: a listener's writes commit or roll back with the change
that caused them (side effects after commit stay the listener's duty: the outbox,
`transaction.on_commit`). Listeners are registered in `AppConfig.ready()`.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

E = TypeVar("E")

_listeners: dict[type, list[Callable]] = defaultdict(list)


def listen(event_type: type[E], listener: Callable[[E], None]) -> None:
    """Call `listener(event)` on every emitted `event_type`; registering twice is a no-op."""
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def emit(event: object) -> None:
    """Run the listeners of the event's class, in registration order, in this transaction."""
    for listener in _listeners.get(type(event), ()):
        listener(event)


def listeners(event_type: type) -> list[Callable]:
    return list(_listeners.get(event_type, ()))
