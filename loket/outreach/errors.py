"""Errors of the outreach check-in at the office day (raised by loket.outreach.bridge)."""

from django.utils.translation import gettext_lazy as _

from loket.core.errors import DomainError
from loket.queue.services import CheckInRefused


class CaseNotApproved(CheckInRefused, code="emergency_case_not_approved"):
    message = _("This emergency case is not approved (status: %(status)s).")


class SiteLaneUnavailable(DomainError, code="site_lane_unavailable", status=409):
    message = _("This office has no free lane letter for a mobile site.")
