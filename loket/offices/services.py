"""Writes to office configuration."""

from django.db import transaction

from loket.core import audit, clock, events
from loket.offices.events import CapacityConfigured
from loket.offices.models import Channel


def apply_capacity_configuration(*, channel: Channel, actor=None) -> list:
    """Carry a channel's changed capacity to the ledger days already in use (today onwards).

    Returns the windows (ledger slots) that keep more places than configured because they are
    already booked.
    """
    configured = CapacityConfigured(
        channel=channel, since=clock.local_today(channel.office.time_zone)
    )
    with transaction.atomic():
        # The ledger resizes its days and offers the new places to the waiting list.
        events.emit(configured)
        audit.record(
            action="channel.configured",
            obj=channel,
            actor=actor,
            office=channel.office,
            after={
                "weekday_capacity": dict(
                    channel.weekday_capacities.values_list("weekday", "capacity")
                )
            },
        )
    return configured.kept
