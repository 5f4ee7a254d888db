"""Who may see the reports: an office's supervisors and office administrators, for that office
only (their StaffMembership roles); superusers for every office.

Pages: anonymous people go to the staff login; an account without those roles, or asking for
an office where it holds none, gets 403 (the translated 403 page). API: `ReportsForbidden`
(code `reports_forbidden`), or `StaffOnly` (code `staff_only`) for an account with no report
office at all.
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loket.core import errors
from loket.offices.models import Office
from loket.queue.models import StaffMembership
from loket.queue.permissions import REPORT_ROLES


class StaffOnly(errors.PermissionDenied, code="staff_only"):
    message = _("Reports are for the supervisors and office administrators of an office.")


class ReportsForbidden(errors.PermissionDenied, code="reports_forbidden"):
    message = _(
        "The reports of office %(office)s are for its supervisors and office administrators."
    )


def report_offices(user):
    """The active offices whose reports `user` may see, by name."""
    offices = Office.objects.filter(is_active=True).order_by("name")
    if not (user and user.is_authenticated and user.is_active):
        return offices.none()
    if user.is_superuser:
        return offices
    held = StaffMembership.objects.filter(user=user, role__in=REPORT_ROLES).values("office_id")
    return offices.filter(pk__in=held)


def may_see_reports(user, office: Office | None = None) -> bool:
    """Whether `user` may see the reports of `office` (of any office when `office` is None)."""
    offices = report_offices(user)
    if office is not None:
        offices = offices.filter(pk=office.pk)
    return offices.exists()


def require_reports_of(user, office: Office) -> None:
    """Refuse (API error) unless `user` may see the reports of `office`."""
    if not may_see_reports(user, office):
        raise ReportsForbidden(office=office.code)


def deny_page(office_code: str = "") -> PermissionDenied:
    """The 403 of a report page, with a message the 403 page shows."""
    if office_code:
        return PermissionDenied(str(ReportsForbidden(office=office_code.upper())))
    return PermissionDenied(str(StaffOnly()))


def reports_required(view):
    """A report page: the staff login for anonymous people, 403 without a report role.

    Sets `request.report_offices` (the offices the page may show)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("queue:login"))
        offices = report_offices(request.user)
        if not offices.exists():
            raise deny_page()
        request.report_offices = offices
        return view(request, *args, **kwargs)

    return wrapped
