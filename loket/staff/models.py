"""Staff accounts' roles at offices. What each role may do is data in permissions.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    DESK = "desk", _("information desk")
    COUNTER = "counter", _("counter officer")
    SUPERVISOR = "supervisor", _("supervisor")
    OFFICE_ADMIN = "office_admin", _("office administrator")
    HOTLINE = "hotline", _("hotline officer")
    OUTREACH = "outreach", _("outreach coordinator")
    # An account for a self-service check-in machine: it opens the kiosk page only.
    KIOSK = "kiosk", _("self-service kiosk")


class StaffMembership(models.Model):
    """A staff account's role at one office. An officer sees only the offices of their rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="staff_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table was made by the queue app, where this model lived first.
        db_table = "queue_staffmembership"
        ordering = ["office", "user", "role"]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "office", "role"], name="staff_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=StaffRole.values), name="staff_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.office.code}: {self.role}"
