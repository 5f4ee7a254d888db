from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ResidentRecord(models.Model):
    """The local stand-in for the population registry (Dukcapil): who a NIK belongs to.

    Used only by `loket.identity.registry.LocalRegistry` (development, tests, an office without
    a registry connection): filled by the demo, by the information desk from a KTP it checked,
    and (with LOKET_IDENTITY_LOCAL_ENROL on) by the first booking that names a NIK unknown here.
    """

    nik = models.CharField("NIK", max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    source = models.CharField(_("source"), max_length=16)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("resident record (local registry)")
        verbose_name_plural = _("resident records (local registry)")
        constraints = [
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="resident_nik_digits"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["demo", "enrolled", "desk", "admin"]),
                name="resident_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nik[:4]}…{self.nik[-2:]}"
