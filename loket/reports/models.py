"""Report settings of an office (the queue app's settings have no target wait)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_TARGET_WAIT_MINUTES = 60


class ReportSettings(models.Model):
    """An office's report settings. An office without a row uses the defaults below."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="report_settings"
    )
    target_wait_minutes = models.PositiveSmallIntegerField(
        _("target wait until the first call (minutes)"),
        default=DEFAULT_TARGET_WAIT_MINUTES,
        validators=[MinValueValidator(1)],
        help_text=_("A ticket first called within this many minutes of its issue is on target."),
    )

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_wait_minutes__gte=1), name="report_settings_target_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id} report settings"


class QueueMonthSummary(models.Model):
    """A local month's closed days (up to `through`): waits and services (histograms of whole
    seconds), first-call counts and finishes per day, so a year's report does not read a
    million queue events again. Derived data: deleted and recomputed freely (the volume
    generator clears an office's rows)."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    through = models.DateField()  # the last local day included
    target_wait_seconds = models.PositiveIntegerField()
    data = models.TextField()  # compact JSON: parsed faster than jsonb is read
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "target_wait_seconds"],
                name="queue_month_summary_unique",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="queue_month_summary_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.month:%Y-%m}"


def target_wait_minutes(office) -> int:
    row = ReportSettings.objects.filter(office=office).values_list("target_wait_minutes").first()
    return row[0] if row else DEFAULT_TARGET_WAIT_MINUTES
