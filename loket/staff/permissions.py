"""Who may do what: one table of named permissions and the roles that hold them.

A role is held at one office (StaffMembership); a permission is held at an office when one of
its roles is. Superusers hold every role at every office. Services call `require(...)` (a
domain error, code `forbidden`); views use `staff_required(...)`.
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import reverse

from loket.core.errors import PermissionDenied
from loket.offices.models import Office
from loket.staff.models import StaffMembership, StaffRole

_R = StaffRole

# permission -> the roles that hold it. The only place that names roles for a right.
PERMISSIONS: dict[str, frozenset[str]] = {
    name: frozenset(roles)
    for name, roles in {
        # The office day (queue).
        "desk.check_in": (_R.DESK, _R.SUPERVISOR),  # check-in, walk-in tickets, NIK release
        "kiosk.check_in": (_R.KIOSK, _R.DESK, _R.SUPERVISOR),  # self-service machine page
        "counter.serve": (_R.COUNTER, _R.SUPERVISOR),  # counters, BAP cases
        "counter.see_nik": (_R.COUNTER,),  # the full NIK on the counter page
        "counter.take_over": (_R.SUPERVISOR,),  # take over a counter held by another officer
        "ticket.return": (_R.DESK, _R.COUNTER, _R.SUPERVISOR),  # send a ticket back
        "office.supervise": (_R.SUPERVISOR, _R.OFFICE_ADMIN),  # floor, ledger check, refunds
        "issuance.pickup": (_R.DESK, _R.COUNTER, _R.SUPERVISOR),
        "emergency.register": (_R.SUPERVISOR, _R.HOTLINE),
        # Outreach: Eazy Passport, service days, the emergency hotline.
        "outreach.plan": (_R.OUTREACH, _R.OFFICE_ADMIN),
        "outreach.walk_in": (_R.DESK, _R.SUPERVISOR, _R.OUTREACH),
        "outreach.hotline": (_R.HOTLINE, _R.SUPERVISOR),
        "outreach.decide": (_R.SUPERVISOR,),  # approve or refuse an emergency case
        "outreach.check_in_case": (_R.DESK, _R.SUPERVISOR, _R.HOTLINE),  # emergency codes
        # Eazy Passport codes at a mobile site: the coordinator, the team, the desk, the floor.
        "outreach.check_in_site": (_R.DESK, _R.COUNTER, _R.SUPERVISOR, _R.OUTREACH),
        # Oversight.
        "reports.view": (_R.SUPERVISOR, _R.OFFICE_ADMIN),
        "audit.view": (_R.SUPERVISOR, _R.OFFICE_ADMIN),
        "staff.two_factor": (_R.SUPERVISOR, _R.OFFICE_ADMIN),  # may turn on two-factor login
    }.items()
}


def roles_for(*permissions: str) -> frozenset[str]:
    """The roles holding any of `permissions` (an unknown name is a programming error)."""
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        raise KeyError(f"Unknown permission(s): {unknown or '(none given)'}")
    return frozenset().union(*(PERMISSIONS[p] for p in permissions))


def roles_at(user, office: Office) -> set[str]:
    """The roles `user` holds at `office` (every role for a superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(StaffRole.values)
    return set(
        StaffMembership.objects.filter(user=user, office=office).values_list("role", flat=True)
    )


def permissions_of(roles) -> set[str]:
    """The permissions a set of roles holds."""
    roles = set(roles)
    return {name for name, holders in PERMISSIONS.items() if holders & roles}


def permissions_at(user, office: Office) -> set[str]:
    return permissions_of(roles_at(user, office))


def has_permission(user, office: Office, *permissions: str) -> bool:
    """Whether `user` holds any of `permissions` at `office`."""
    return bool(roles_at(user, office) & roles_for(*permissions))


def require(user, office: Office, *permissions: str) -> None:
    """Refuse (PermissionDenied, code `forbidden`) unless the active account holds one of
    `permissions` at `office`."""
    if not has_permission(user, office, *permissions):
        raise PermissionDenied()


def offices_with(user, *permissions: str):
    """The active offices, by name, where `user` holds one of `permissions`."""
    offices = Office.objects.filter(is_active=True).order_by("name")
    if user is None or not user.is_authenticated or not user.is_active:
        return offices.none()
    if user.is_superuser:
        return offices
    held = StaffMembership.objects.filter(user=user, role__in=roles_for(*permissions))
    return offices.filter(pk__in=held.values("office_id"))


def audit_office_ids(user):
    """The offices whose audit trail `user` may search (registered with core's audit scope)."""
    return StaffMembership.objects.filter(user=user, role__in=roles_for("audit.view")).values(
        "office_id"
    )


def staff_required(*permissions: str, office_from: str = "path"):
    """A staff page needing one of `permissions` at an office.

    `office_from="path"`: the view takes `office_code`; an unknown office is a 404.
    `office_from="query"`: the office is `?office=` (GET or POST) among the offices where the
    account holds the permission, else the first of them; `request.staff_offices` lists them.
    Anonymous -> the staff login page; without the permission -> 403. Sets `request.office`,
    `request.staff_roles` and `request.staff_permissions` (what the account may do there).
    """
    roles_for(*permissions)  # fail at import time on a misspelt name
    if office_from not in ("path", "query"):
        raise ValueError(office_from)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            if office_from == "path":
                office = _office_in_path(kwargs.get("office_code") or args[0])
                held = roles_at(user, office)
                if not held & roles_for(*permissions):
                    raise DjangoPermissionDenied
            else:
                offices = list(offices_with(user, *permissions))
                code = (request.GET.get("office") or request.POST.get("office") or "").upper()
                office = next((o for o in offices if o.code == code), None) if code else None
                if office is None and offices and not code:
                    office = offices[0]
                if office is None:
                    raise DjangoPermissionDenied
                request.staff_offices = offices
                held = roles_at(user, office)
            request.office = office
            request.staff_roles = held
            request.staff_permissions = permissions_of(held)
            return view(request, *args, **kwargs)

        wrapped.staff_permissions = permissions
        return wrapped

    return decorator


def _office_in_path(code: str) -> Office:
    office = Office.objects.filter(code=str(code).upper(), is_active=True).first()
    if office is None:
        raise Http404
    return office
