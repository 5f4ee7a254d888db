"""Writes to office configuration that touch the ledger."""

from django.db import transaction

from loket.capacity.models import CapacitySlot
from loket.capacity.services import resize_day
from loket.core import audit, clock
from loket.offices.models import Channel


def apply_capacity_configuration(*, channel: Channel, actor=None) -> list[CapacitySlot]:
    """Carry a channel's changed capacity to the ledger days already in use (today onwards).

    Returns slots that keep more places than configured because they are already booked.
    """
    today = clock.local_today(channel.office.time_zone)
    short: list[CapacitySlot] = []
    with transaction.atomic():
        days = (
            CapacitySlot.objects.filter(channel=channel, date__gte=today)
            .values_list("date", flat=True)
            .distinct()
        )
        for day in sorted(set(days)):
            # The ledger offers new places to the waiting list (PlacesAdded).
            short.extend(resize_day(channel=channel, day=day))
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
    return short
