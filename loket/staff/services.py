"""Staff writes: granting a role at an office (audited)."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loket.core import audit
from loket.core.errors import InvalidInput
from loket.offices.models import Office
from loket.staff.models import StaffMembership, StaffRole


def grant_role(*, user, office: Office, role: str, actor=None) -> StaffMembership:
    """Give `user` the role at `office` (nothing changes when they hold it already)."""
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
