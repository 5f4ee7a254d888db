"""The typed facts of bookings made before BookingEvent existed, from what they recorded:
the audit trail where it has the moment (check-in, cancellation, reschedule, a service day's
move), the booking's own fields otherwise (paid_at; updated_at for the last status)."""

import datetime as dt

from django.db import migrations

ACTIONS = {
    "booking.checked_in",
    "booking.cancelled",
    "booking.expired",
    "booking.rescheduled",
    "booking.moved_with_service_day",
}


def _day(value):
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def backfill(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    BookingEvent = apps.get_model("booking", "BookingEvent")
    AuditEvent = apps.get_model("core", "AuditEvent")
    audit: dict[str, list] = {}
    for code, action, at, before, after in (
        AuditEvent.objects.filter(object_type="Booking", action__in=ACTIONS)
        .order_by("at", "id")
        .values_list("object_id", "action", "at", "before", "after")
        .iterator(chunk_size=5000)
    ):
        audit.setdefault(code, []).append((action, at, before or {}, after or {}))
    rows = []
    for b in Booking.objects.exclude(pk__in=BookingEvent.objects.values("booking_id")).iterator(
        chunk_size=2000
    ):
        recorded = audit.get(b.code, [])

        def at_of(action, default, recorded=recorded):
            return next((at for a, at, _b, _a in recorded if a == action), default)

        def event(kind, at, from_status, date=None, from_date=None, b=b):
            rows.append(
                BookingEvent(
                    booking_id=b.pk,
                    office_id=b.office_id,
                    channel_id=b.channel_id,
                    kind=kind,
                    from_status=from_status,
                    at=at,
                    date=date or b.date,
                    from_date=from_date,
                )
            )

        for action, at, before, after in recorded:
            if action in ("booking.rescheduled", "booking.moved_with_service_day"):
                old, new = _day(before.get("date")), _day(after.get("date"))
                if old and new:
                    event("moved", at, before.get("status") or "confirmed", new, old)
        if b.paid_at is not None:
            event("confirmed", b.paid_at, "awaiting_payment")
        if b.status in ("checked_in", "completed", "no_show"):
            event("checked_in", at_of("booking.checked_in", b.updated_at), "confirmed")
        if b.status in ("completed", "no_show"):
            event(b.status, b.updated_at, "checked_in")
        elif b.status == "cancelled":
            was = "confirmed" if b.paid_at else "awaiting_payment"
            event("cancelled", at_of("booking.cancelled", b.updated_at), was)
        elif b.status == "expired":
            event("expired", at_of("booking.expired", b.updated_at), "awaiting_payment")
        if len(rows) >= 5000:
            BookingEvent.objects.bulk_create(rows)
            rows = []
    BookingEvent.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_booking_event"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
