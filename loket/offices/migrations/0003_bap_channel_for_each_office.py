"""Existing offices with a lost/damaged channel get an examination (BAP) channel of their own,
with the same daily places, so BAP dates stop sharing the walk-in lane's capacity."""

from django.db import migrations


def add_bap_channels(apps, schema_editor):
    Channel = apps.get_model("offices", "Channel")
    WeekdayCapacity = apps.get_model("offices", "WeekdayCapacity")
    for lost in Channel.objects.filter(kind="lost_damaged").order_by("office_id", "id"):
        office_id = lost.office_id
        if Channel.objects.filter(office_id=office_id, kind="bap").exists():
            continue
        code = "bap"
        if Channel.objects.filter(office_id=office_id, code=code).exists():
            code = "bap-lost-damaged"
        bap = Channel.objects.create(
            office_id=office_id,
            code=code,
            kind="bap",
            name="Pemeriksaan BAP",
            allows_new=False,
            allows_replacement=False,
            allows_lost=True,
            allows_damaged=True,
            min_days_ahead=1,
            horizon_days=lost.horizon_days,
            release_days_ahead=lost.release_days_ahead,
        )
        for row in WeekdayCapacity.objects.filter(channel=lost):
            WeekdayCapacity.objects.create(channel=bap, weekday=row.weekday, capacity=row.capacity)


class Migration(migrations.Migration):
    dependencies = [("offices", "0002_channel_kind_bap")]

    operations = [migrations.RunPython(add_bap_channels, migrations.RunPython.noop)]
