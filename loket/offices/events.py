"""What the office configuration tells the floors above it (see loket.core.events)."""

import datetime as dt
from dataclasses import dataclass, field

from loket.offices.models import Channel


@dataclass(frozen=True)
class CapacityConfigured:
    """A channel's capacity configuration changed in this transaction; it applies to the days
    from `since` on (the ledger resizes those it already holds).

    `kept`: the listeners add each window that keeps more places than configured because that
    many are already booked (with `date`, `window_start` and `used`), for the office to be told.
    """

    channel: Channel
    since: dt.date
    kept: list = field(default_factory=list)
