"""Reschedules become their own kind of booking event: the moves the audit trail records as
`booking.rescheduled` (the applicant's) are relabelled from `moved` (which now means moved with
a service day). A reschedule recorded only in the audit trail (the demo generator's rows, which
held no dates) gets its event at the audit's moment, its unknown old day taken as its day."""

import datetime as dt

from django.db import migrations


def _day(value):
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def relabel(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    BookingEvent = apps.get_model("booking", "BookingEvent")
    AuditEvent = apps.get_model("core", "AuditEvent")
    recorded = list(
        AuditEvent.objects.filter(object_type="Booking", action="booking.rescheduled")
        .order_by("at", "id")
        .values_list("object_id", "at", "before", "after")
    )
    if not recorded:
        return
    bookings = {}
    codes = sorted({r[0] for r in recorded})
    for start in range(0, len(codes), 1000):
        for b in Booking.objects.filter(code__in=codes[start : start + 1000]):
            bookings[b.code] = b
    moves: dict[int, list] = {}
    for pk, booking_id, at, date, from_date, kind in BookingEvent.objects.filter(
        kind__in=["moved", "rescheduled"], booking_id__in=[b.pk for b in bookings.values()]
    ).values_list("pk", "booking_id", "at", "date", "from_date", "kind"):
        moves.setdefault(booking_id, []).append((pk, at, date, from_date, kind))
    relabelled, created = [], []
    for code, at, before, after in recorded:
        b = bookings.get(code)
        if b is None:
            continue
        before, after = before or {}, after or {}
        old, new = _day(before.get("date")), _day(after.get("date"))
        candidates = [
            m
            for m in moves.get(b.pk, [])
            if (old is None or m[3] == old) and (new is None or m[2] == new)
        ]
        if candidates:
            match = min(candidates, key=lambda m: abs((m[1] - at).total_seconds()))
            moves[b.pk].remove(match)
            if match[4] == "moved":
                relabelled.append(match[0])
            continue
        paid = b.paid_at is not None and b.paid_at <= at
        created.append(
            BookingEvent(
                booking_id=b.pk,
                office_id=b.office_id,
                channel_id=b.channel_id,
                kind="rescheduled",
                from_status=before.get("status") or ("confirmed" if paid else "awaiting_payment"),
                at=at,
                date=new or b.date,
                from_date=old or b.date,
            )
        )
    for start in range(0, len(relabelled), 1000):
        BookingEvent.objects.filter(pk__in=relabelled[start : start + 1000]).update(
            kind="rescheduled"
        )
    BookingEvent.objects.bulk_create(created, batch_size=2000)


def unlabel(apps, schema_editor):
    apps.get_model("booking", "BookingEvent").objects.filter(kind="rescheduled").update(
        kind="moved"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0006_rescheduled_is_its_own_booking_event"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(relabel, unlabel)]
