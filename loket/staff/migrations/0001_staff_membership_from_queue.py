# StaffMembership moves from the queue app to staff. Its table keeps its name
# (queue_staffmembership), so this changes Django's state only; no row and no column moves.
# queue.0005_staff_membership_to_staff drops the model from the queue's state after this.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, source="queue", target="staff"):
    """Keep the admin's permissions and history on the model: its content type changes app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="staffmembership").exists():
        ContentType.objects.using(db).filter(app_label=source, model="staffmembership").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="staff", target="queue")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("offices", "0003_bap_channel_for_each_office"),
        # The table is made (and its role choices last changed) by the queue's migrations.
        ("queue", "0004_merge_0003_counter_sign_in_0003_translated_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StaffMembership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("desk", "information desk"),
                                    ("counter", "counter officer"),
                                    ("supervisor", "supervisor"),
                                    ("office_admin", "office administrator"),
                                    ("hotline", "hotline officer"),
                                    ("outreach", "outreach coordinator"),
                                    ("kiosk", "self-service kiosk"),
                                ],
                                max_length=16,
                                verbose_name="role",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "office",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="staff_memberships",
                                to="offices.office",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="staff_memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "staff role",
                        "verbose_name_plural": "staff roles",
                        "db_table": "queue_staffmembership",
                        "ordering": ["office", "user", "role"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "office", "role"), name="staff_membership_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "role__in",
                                        [
                                            "desk",
                                            "counter",
                                            "supervisor",
                                            "office_admin",
                                            "hotline",
                                            "outreach",
                                            "kiosk",
                                        ],
                                    )
                                ),
                                name="staff_membership_role_valid",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
