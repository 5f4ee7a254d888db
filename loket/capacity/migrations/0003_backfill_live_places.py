"""Claim the live places of what is live today (bookings, walk-in tickets, approved emergency
cases, Eazy Passport participants), oldest first. A NIK found live twice keeps its oldest place
claimed; the others are reported here (staff resolve them) and are not claimed."""

import zoneinfo

from django.conf import settings
from django.db import migrations

from loket.core import clock

LIVE_BOOKING = ["awaiting_payment", "confirmed", "checked_in"]
ENDED_TICKET = ["done", "no_show"]


def _mask(nik: str) -> str:
    return f"{nik[:4]}********{nik[-2:]}"


def backfill(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    Ticket = apps.get_model("queue", "Ticket")
    EmergencyCase = apps.get_model("outreach", "EmergencyCase")
    Participant = apps.get_model("outreach", "OutreachParticipant")
    LivePlace = apps.get_model("capacity", "LivePlace")
    now = clock.now()
    today = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()

    found = []  # (taken_at, nik, kind, holder, office_id, date)
    for b in Booking.objects.filter(status__in=LIVE_BOOKING, date__gte=today).select_related(
        "channel"
    ):
        found.append((b.created_at, b.nik, b.channel.kind, f"booking:{b.code}", b.office_id, b.date))
    case_tickets = set(
        EmergencyCase.objects.exclude(ticket=None).values_list("ticket_id", flat=True)
    )
    for t in (
        Ticket.objects.filter(
            booking=None,
            date__gte=today,
            lane__kind__in=["priority", "lost_damaged", "emergency"],
        )
        .exclude(applicant_nik="")
        .exclude(status__in=ENDED_TICKET)
        .select_related("lane__channel")
    ):
        if t.pk in case_tickets:
            continue
        kind = t.lane.channel.kind if t.lane.channel_id else "emergency"
        found.append((t.issued_at, t.applicant_nik, kind, f"ticket:{t.pk}", t.office_id, t.date))
    for c in EmergencyCase.objects.filter(status="approved", service_date__gte=today).exclude(
        ticket__status__in=ENDED_TICKET
    ):
        found.append(
            (c.decided_at, c.nik, "emergency", f"emergencycase:{c.pk}", c.office_id, c.service_date)
        )
    for p in (
        Participant.objects.filter(
            request__status="approved", request__visit_date__gte=today, slot__isnull=False
        )
        .exclude(ticket__status__in=ENDED_TICKET)
        .select_related("request")
    ):
        found.append(
            (
                p.request.decided_at or p.request.created_at,
                p.nik,
                "outreach",
                f"outreachparticipant:{p.pk}",
                p.request.office_id,
                p.request.visit_date,
            )
        )
    found.sort(key=lambda row: (row[0] or now, row[3]))
    kept: dict[str, str] = {}
    rows = []
    for taken_at, nik, kind, holder, office_id, day in found:
        if not nik or len(nik) != 16 or not nik.isdigit():
            continue
        if nik in kept:
            print(  # noqa: T201 - a migration's report to the operator
                f"\n  live places: NIK {_mask(nik)} holds {kept[nik]} (oldest, kept) and "
                f"{holder} (not claimed: resolve it by hand)"
            )
            continue
        kept[nik] = holder
        rows.append(
            LivePlace(
                nik=nik,
                channel_kind=kind,
                holder=holder,
                office_id=office_id,
                date=day,
                taken_at=taken_at or now,
            )
        )
    LivePlace.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("capacity", "0002_live_place"),
        ("booking", "0001_initial"),
        ("queue", "0002_staff_role_kiosk"),
        ("outreach", "0002_staff_roles_and_queue_links"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
