from django.db import migrations, models
from django.db.models import F, Q


def fill(apps, schema_editor):
    from loket.accounts.models import password_stamp

    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").iterator():
        token.last_used_at = token.last_used_at or token.created_at
        token.password_stamp = password_stamp(token.user.password)
        token.save(update_fields=["last_used_at", "password_stamp"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="label",
            field=models.CharField(blank=True, max_length=100, verbose_name="device"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="apitoken",
            index=models.Index(fields=["user", "-last_used_at"], name="apitoken_user_recent"),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=Q(last_used_at__gte=F("created_at")),
                name="apitoken_used_after_issued",
            ),
        ),
    ]
