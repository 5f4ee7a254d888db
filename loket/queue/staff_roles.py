"""Staff roles at an office: granting one, and the check services make."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loket.core import audit
from loket.core.errors import InvalidInput, PermissionDenied
from loket.offices.models import Office
from loket.queue.models import StaffMembership, StaffRole


def grant_role(*, user, office: Office, role: str, actor=None) -> StaffMembership:
    if role not in StaffRole.values:
        raise InvalidInput(_("Unknown staff role."))
    with transaction.atomic():
        membership, created = StaffMembership.objects.get_or_create(
            user=user, office=office, role=role
        )
        if created:
            audit.record(
                action="staff.role_granted",
                obj=membership,
                actor=actor,
                office=office,
                after={"user": user.email, "role": role},
            )
    return membership


def require_role(*, user, office: Office, roles: Iterable[str]) -> None:
    """Refuse unless the user holds one of the roles at this office."""
    if getattr(user, "is_superuser", False):
        return
    if not StaffMembership.objects.filter(user=user, office=office, role__in=list(roles)).exists():
        raise PermissionDenied()
