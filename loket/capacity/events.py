"""What the ledger tells the floors above it (see loket.core.events)."""

import datetime as dt
from dataclasses import dataclass

from loket.offices.models import Channel


@dataclass(frozen=True)
class PlacesFreed:
    """One place of `slot_id` was given back to the ledger in this transaction.

    `reoffer`: False when the one freeing it has already dealt with whoever waits for it (the
    waiting list passing on an unanswered offer, a service day moving away from the date).
    """

    slot_id: int
    reoffer: bool = True


@dataclass(frozen=True)
class PlacesAdded:
    """A channel's day gained places (capacity re-applied or moved to it) in this transaction."""

    channel: Channel
    day: dt.date
