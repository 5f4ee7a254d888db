from loket.booking.models import Booking


def list_account_bookings(*, account, limit: int = 100):
    return list(
        Booking.objects.filter(account=account)
        .select_related("office", "channel", "applicant")
        .order_by("-created_at", "-id")[:limit]
    )
