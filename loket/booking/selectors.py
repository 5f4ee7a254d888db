from django.db.models import Count, QuerySet

from loket.booking.models import PLACE_HOLDING_STATUSES, Booking


def list_account_bookings(*, account, limit: int = 100):
    return list(
        Booking.objects.filter(account=account)
        .select_related("office", "channel", "applicant")
        .order_by("-created_at", "-id")[:limit]
    )


def count_places_held(slots: QuerySet) -> dict[int, int]:
    """Bookings holding a place per ledger slot: holds, confirmed, checked in, served, missed."""
    rows = (
        Booking.objects.filter(slot__in=slots, status__in=PLACE_HOLDING_STATUSES)
        .values("slot_id")
        .annotate(n=Count("id"))
    )
    return {row["slot_id"]: row["n"] for row in rows}
