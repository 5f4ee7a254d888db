"""Staff pages: login required, and a role at the office named in the URL.

`staff_required(*roles)` wraps a view taking `office_code`; it sets `request.office` and
`request.staff_roles`. Anonymous -> the staff login page; no such role at that office -> 403.
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from loket.offices.models import Office
from loket.queue.models import StaffMembership, StaffRole

# Which roles open which staff pages.
DESK_ROLES = (StaffRole.DESK, StaffRole.SUPERVISOR)
COUNTER_ROLES = (StaffRole.COUNTER, StaffRole.SUPERVISOR)
SUPERVISOR_ROLES = (StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN)
PICKUP_ROLES = (StaffRole.DESK, StaffRole.COUNTER, StaffRole.SUPERVISOR)
# The audit search (loket.core.audit_views), scoped by the audit scope below.
AUDIT_ROLES = (StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN)
# The reports and capacity planning (loket.reports.permissions).
REPORT_ROLES = (StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN)
# The self-service check-in page: the kiosk's own account, or the desk setting a machine up.
KIOSK_ROLES = (StaffRole.KIOSK, StaffRole.DESK, StaffRole.SUPERVISOR)


def audit_office_ids(user):
    """The offices whose audit trail `user` may search: those where they hold an audit role."""
    return StaffMembership.objects.filter(user=user, role__in=AUDIT_ROLES).values("office_id")


def roles_at(user, office: Office) -> set[str]:
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(StaffRole.values)
    return set(
        StaffMembership.objects.filter(user=user, office=office).values_list("role", flat=True)
    )


def staff_required(*roles: str):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, office_code: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("queue:login"))
            office = Office.objects.filter(code=office_code.upper(), is_active=True).first()
            if office is None:
                raise Http404
            held = roles_at(request.user, office)
            if not held & set(roles):
                raise PermissionDenied
            request.office = office
            request.staff_roles = held
            request.staff_pages = {
                "desk": bool(held & set(DESK_ROLES)),
                "counter": bool(held & set(COUNTER_ROLES)),
                "supervisor": bool(held & set(SUPERVISOR_ROLES)),
                "pickup": bool(held & set(PICKUP_ROLES)),
                "kiosk": bool(held & set(KIOSK_ROLES)),
            }
            return view(request, office_code, *args, **kwargs)

        wrapped.staff_roles = roles
        return wrapped

    return decorator
