"""Outreach refusals, one row each: stable code, HTTP status, message. The check-in at the
office day (loket.outreach.bridge) raises the last two."""

from django.utils.translation import gettext_lazy as _

from loket.core.errors import DomainError, InvalidInput, NotFound
from loket.queue.errors import CheckInRefused


class TeamBusy(DomainError, code="team_busy", status=409):
    message = _("%(team)s is already planned on %(date)s: %(what)s. Choose another team or day.")


class ParticipantsHoldLivePlaces(DomainError, code="participants_hold_live_places", status=409):
    message = _(
        "Some participants already have a passport application in progress (another visit, a "
        "booking or a walk-in): rows %(rows)s. One person holds one place at a time: take them "
        "off the list or ask them to finish that one first."
    )


class ChannelDayTaken(DomainError, code="channel_day_taken", status=409):
    message = _("%(channel)s already has a service day on %(date)s (%(what)s).")


class DayClosed(DomainError, code="day_closed", status=422):
    message = _("The office is closed on %(date)s (%(reason)s). Choose another day.")


class DayInPast(DomainError, code="day_in_past", status=422):
    message = _("Choose a day after today.")


class OccurrenceNotFound(NotFound, code="service_day_not_found"):
    message = _("There is no such service day.")


class ServiceDayCancelled(DomainError, code="service_day_cancelled", status=409):
    message = _("This service day is cancelled.")


class ServiceDayWrongKind(DomainError, code="service_day_wrong_kind", status=422):
    message = _("This service day is not booked this way.")


class ApplicationTypeNotOnDay(DomainError, code="application_type_not_offered", status=422):
    message = _("This service day does not serve this application type.")


class RequestInvalid(InvalidInput, code="outreach_request_invalid"):
    message = _("The request has errors. Correct them and send it again.")

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__()
        self.errors = errors  # (field, message); CSV rows use "participants"

    def __str__(self) -> str:
        return "; ".join(f"{f}: {m}" if f else m for f, m in self.errors)


class CaseInvalid(RequestInvalid, code="emergency_case_invalid"):
    message = _("The case has errors. Correct them and record it again.")


class RequestNotFound(NotFound, code="outreach_request_not_found"):
    message = _("There is no such Eazy Passport request.")


class RequestAlreadyDecided(DomainError, code="outreach_request_decided", status=409):
    message = _("This request is already approved or rejected.")


class ReasonRequired(InvalidInput, code="reason_required"):
    message = _("Write the reason.")


class OutsideWorkingArea(DomainError, code="outside_working_area", status=422):
    message = _(
        "The KTP address is outside the office's working area. Only a supervisor may override "
        "this, with a written reason."
    )


class CaseAlreadyDecided(DomainError, code="emergency_case_decided", status=409):
    message = _("This case is already decided.")


class VisitDayTaken(DomainError, code="visit_day_taken", status=409):
    message = _(
        "Another Eazy Passport visit is planned on %(date)s (%(what)s). The office runs one "
        "mobile site a day: choose another day."
    )


class OutreachChannelMissing(DomainError, code="outreach_channel_missing", status=409):
    message = _(
        "This office has no active Eazy Passport (outreach) channel for the participants' "
        "places. Ask the office administrator to add one."
    )


class RegencyNotInArea(InvalidInput, code="regency_outside_working_area"):
    message = _("The office serves only its working area: %(area)s.")


class CaseNotApproved(CheckInRefused, code="emergency_case_not_approved"):
    message = _("This emergency case is not approved (status: %(status)s).")


class SiteLaneUnavailable(DomainError, code="site_lane_unavailable", status=409):
    message = _("This office has no free lane letter for a mobile site.")
