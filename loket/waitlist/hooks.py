"""The waiting list's hook for the booking engine: call right after a place is released."""


def offer_freed_place(*, slot_id: int) -> None:
    """Offer a place just freed in `slot_id` to the first person waiting for its day.

    Runs in the caller's transaction; see `loket.waitlist.services.offer_freed_place`.
    """
    from loket.waitlist import services

    services.offer_freed_place(slot_id=slot_id)


def offer_free_places(*, channel, day) -> int:
    """After a day's capacity was raised: offer the new places to the people waiting."""
    from loket.waitlist import services

    return services.offer_free_places(channel=channel, day=day)
