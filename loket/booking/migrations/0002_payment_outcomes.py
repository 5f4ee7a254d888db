import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


def fill(apps, schema_editor):
    Payment = apps.get_model("booking", "Payment")
    for payment in Payment.objects.all():
        payment.reference = payment.billing_code
        payment.save(update_fields=["reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="booking",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="booking.booking",
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="billing_code",
            field=models.CharField(db_index=True, max_length=15, verbose_name="billing code"),
        ),
        migrations.AddField(
            model_name="payment",
            name="reference",
            field=models.CharField(max_length=64, null=True, verbose_name="gateway reference"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="reference",
            field=models.CharField(max_length=64, unique=True, verbose_name="gateway reference"),
        ),
        migrations.AddField(
            model_name="payment",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("applied", "applied: booking confirmed"),
                    ("late_confirmed", "late: booking confirmed, its place was still free"),
                    ("refund_due", "not applied: refund due"),
                    ("duplicate", "paid twice: refund due"),
                ],
                default="applied",
                max_length=16,
                verbose_name="outcome",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="reason",
            field=models.CharField(blank=True, max_length=32, verbose_name="reason"),
        ),
        migrations.AddField(
            model_name="payment",
            name="refunded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="refunded at"),
        ),
        migrations.AddField(
            model_name="payment",
            name="refunded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="refund_note",
            field=models.CharField(blank=True, max_length=200, verbose_name="refund note"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount",
            field=models.PositiveIntegerField(verbose_name="amount (Rp)"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="paid_at",
            field=models.DateTimeField(verbose_name="paid at"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="received_at",
            field=models.DateTimeField(verbose_name="received at"),
        ),
        migrations.AlterModelOptions(
            name="payment",
            options={
                "ordering": ["-received_at", "-id"],
                "verbose_name": "payment",
                "verbose_name_plural": "payments",
            },
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=Q(outcome__in=["applied", "late_confirmed", "refund_due", "duplicate"]),
                name="payment_outcome_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=Q(outcome__in=["applied", "late_confirmed"]),
                fields=("booking",),
                name="payment_one_applied_per_booking",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=Q(refunded_at__isnull=True) | Q(refunded_by__isnull=False),
                name="payment_refund_has_officer",
            ),
        ),
    ]
