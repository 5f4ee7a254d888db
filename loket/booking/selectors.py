from django.db.models import Count, QuerySet

from loket.booking.models import ACTIVE_STATUSES, Booking


def list_account_bookings(*, account, limit: int = 100):
    return list(
        Booking.objects.filter(account=account)
        .select_related("office", "channel", "applicant")
        .order_by("-created_at", "-id")[:limit]
    )


def count_places_held(slots: QuerySet) -> dict[int, int]:
    """Active bookings (holds awaiting payment included) per ledger slot."""
    rows = (
        Booking.objects.filter(slot__in=slots, status__in=ACTIVE_STATUSES)
        .values("slot_id")
        .annotate(n=Count("id"))
    )
    return {row["slot_id"]: row["n"] for row in rows}
