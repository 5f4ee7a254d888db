# StaffMembership now lives in the staff app (staff.0001_staff_membership_from_queue), on the
# same table: the queue only forgets it, the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0004_merge_0003_counter_sign_in_0003_translated_names"),
        ("staff", "0001_staff_membership_from_queue"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StaffMembership")],
            database_operations=[],
        ),
    ]
