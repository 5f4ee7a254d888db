"""The typed facts (ChannelMove) of the unclaimed priority places released before the table
existed, from their audit rows ("capacity.priority_released": when, by whom, how many, the
receiving channel's code and the day). The audit row did not name the channel the places left:
it is the office's priority channel (the first one, if an office has several). A row whose
office has no priority channel, or whose receiving channel is gone, is skipped."""

import datetime as dt
import zoneinfo

from django.db import migrations


def _day(after: dict, at: dt.datetime, time_zone: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(after.get("date"))[:10])
    except ValueError:
        return at.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    Channel = apps.get_model("offices", "Channel")
    ChannelMove = apps.get_model("capacity", "ChannelMove")
    rows = []
    for event in (
        AuditEvent.objects.filter(action="capacity.priority_released", office__isnull=False)
        .select_related("office")
        .order_by("at", "id")
    ):
        after = event.after or {}
        count = int(after.get("moved") or 0)
        source = (
            Channel.objects.filter(office_id=event.office_id, kind="priority").order_by("id").first()
        )
        target = Channel.objects.filter(
            office_id=event.office_id, code=after.get("to") or event.object_id
        ).first()
        if count <= 0 or source is None or target is None or source.pk == target.pk:
            continue
        if ChannelMove.objects.filter(
            office_id=event.office_id, to_channel=target, at=event.at
        ).exists():
            continue  # written by an earlier run
        rows.append(
            ChannelMove(
                office_id=event.office_id,
                date=_day(after, event.at, event.office.time_zone),
                from_channel=source,
                to_channel=target,
                count=count,
                at=event.at,
                officer_id=event.actor_id,
            )
        )
    ChannelMove.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("capacity", "0004_channel_move"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
