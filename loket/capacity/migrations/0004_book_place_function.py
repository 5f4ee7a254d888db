"""The ledger's booking function on PostgreSQL (loket.capacity.onetrip); nothing elsewhere."""

from django.db import migrations

from loket.capacity import onetrip


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        onetrip.function_sql(
            account=apps.get_model("accounts", "User"),
            applicant=apps.get_model("accounts", "Applicant"),
            audit=apps.get_model("core", "AuditEvent"),
            booking=apps.get_model("booking", "Booking"),
            message=apps.get_model("notifications", "OutboxMessage"),
            claim=apps.get_model("capacity", "LivePlace"),
            slot=apps.get_model("capacity", "CapacitySlot"),
        )
    )


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(onetrip.DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("capacity", "0003_backfill_live_places"),
        ("accounts", "0002_token_expiry"),
        ("booking", "0007_relabel_reschedules"),
        ("core", "0002_translated_names"),
        ("notifications", "0002_outbox_qr_payload"),
    ]

    operations = [migrations.RunPython(create_function, drop_function)]
