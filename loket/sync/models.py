"""The office node's link with the central site: the two change feeds and what they applied.

Central side: `CentralChange` (what changed for an office, written in the transaction of the
change; numbered per office when read), `OfficeFeed` (the office's last feed number and the
last node change applied), `AppliedChange` (one row per node change applied: unique per office
and sequence number, so a change is applied once). Node side: `NodeChange` (written by SQLite
triggers in the transaction of every change the office owns), `NodeState` (how far each feed
has gone, and since when the link is down). Both: `SyncFlag`, what a supervisor must look at.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CentralChange(models.Model):
    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=40)
    object_pk = models.CharField(max_length=40)
    seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "seq"],
                condition=Q(seq__isnull=False),
                name="sync_central_change_seq_unique",
            )
        ]
        indexes = [models.Index(fields=["office", "seq"], name="sync_central_change_feed")]

    def __str__(self) -> str:
        return f"{self.office_id} #{self.seq} {self.model} {self.object_pk}"


class OfficeFeed(models.Model):
    office = models.OneToOneField("offices.Office", on_delete=models.CASCADE, related_name="+")
    last_seq = models.BigIntegerField(default=0)
    pushed_seq = models.BigIntegerField(default=0)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.office_id}: feed {self.last_seq}, pushed {self.pushed_seq}"


class AppliedChange(models.Model):
    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    key = models.CharField(max_length=80)
    model = models.CharField(max_length=40)
    object_pk = models.CharField(max_length=40)
    applied_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "seq"], name="sync_applied_once_per_seq"),
            models.UniqueConstraint(fields=["office", "key"], name="sync_applied_once_per_key"),
        ]

    def __str__(self) -> str:
        return self.key


class NodeChange(models.Model):
    """Written only by the node's triggers (loket.sync.capture): its id is the sequence number."""

    table = models.CharField(max_length=40)
    row_id = models.BigIntegerField()
    op = models.CharField(max_length=1)
    holder = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"#{self.pk} {self.op} {self.table} {self.row_id}"


class NodeState(models.Model):
    """One row (id 1) on an office node. `applying` is set while central rows are written, so
    the triggers do not send them back."""

    applying = models.BooleanField(default=False)
    office_code = models.CharField(max_length=12, blank=True)
    pulled_seq = models.BigIntegerField(null=True, blank=True)
    pushed_seq = models.BigIntegerField(default=0)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    offline_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"pulled {self.pulled_seq}, pushed {self.pushed_seq}"


class FlagKind(models.TextChoices):
    CANCELLED_BUT_SERVED = "cancelled_served", _("cancelled centrally, served at the office")
    LIVE_PLACE_CONFLICT = "live_place", _("the NIK holds a place elsewhere")
    OVER_CAPACITY = "over_capacity", _("served beyond the window's places")


class SyncFlag(models.Model):
    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=FlagKind.choices)
    object_id = models.CharField(_("object"), max_length=40)
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(_("at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("what was done"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("sync flag")
        verbose_name_plural = _("sync flags")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FlagKind.values), name="sync_flag_kind_valid"
            ),
            models.UniqueConstraint(fields=["office", "kind", "object_id"], name="sync_flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
