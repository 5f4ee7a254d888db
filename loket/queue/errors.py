"""The queue's refusals, one row each: stable code, HTTP status, message."""

from django.utils.translation import gettext_lazy as _

from loket.core.errors import DomainError, InvalidInput, NotFound


class CheckInRefused(DomainError, code="check_in_refused", status=409):
    message = _("This booking cannot be checked in.")


class BookingNotFoundHere(NotFound, code="booking_not_found"):
    message = _("No booking has this code or application number at this office.")


class NotBookedToday(CheckInRefused, code="not_booked_today"):
    message = _("This booking is for %(date)s, not today.")


class ArrivedTooEarly(CheckInRefused, code="arrived_too_early"):
    message = _("Too early for this booking's arrival window. Check in from %(from)s.")


class ArrivedTooLate(CheckInRefused, code="arrived_too_late"):
    message = _("The arrival window has passed. Ask the supervisor.")


class NikMismatch(CheckInRefused, code="nik_mismatch", status=422):
    message = _("The NIK on the KTP does not match the booking. Check the KTP again.")


class AlreadyCheckedIn(CheckInRefused, code="already_checked_in"):
    message = _("This booking is already checked in (ticket %(ticket)s).")


class BookingNotConfirmed(CheckInRefused, code="booking_not_confirmed"):
    message = _("This booking is not confirmed (status: %(status)s).")


class BookingCancelled(BookingNotConfirmed, code="booking_cancelled"):
    message = _(
        "This booking was cancelled: it is no longer valid. The applicant needs a new "
        "appointment (or, if eligible, a priority walk-in ticket)."
    )


class BookingExpired(BookingNotConfirmed, code="booking_expired"):
    message = _(
        "This booking was never paid and has expired: it is no longer valid. The applicant "
        "needs a new appointment."
    )


class KioskNoMatch(CheckInRefused, code="kiosk_no_match", status=422):
    message = _(
        "No booking matches this application number and NIK. Check both, or go to the "
        "information desk."
    )


class NotEligibleForPriority(DomainError, code="not_eligible_for_priority", status=422):
    message = _(
        "Priority service is for the elderly (60 or over), children under 5, people with a "
        "disability and pregnant women. This person qualifies for none of them."
    )


class PriorityQuotaExhausted(DomainError, code="priority_quota_exhausted", status=409):
    message = _("Today's priority quota is used up. Offer an online appointment for another day.")


class LaneQuotaExhausted(DomainError, code="lane_quota_exhausted", status=409):
    message = _("Today's places for this service are used up. Ask the person to come another day.")


class OfficeClosedToday(DomainError, code="office_closed_today", status=409):
    message = _("The office is closed today (%(reason)s).")


class LaneNotAvailable(DomainError, code="lane_not_available", status=422):
    message = _("This office has no such lane.")


class CounterBusy(DomainError, code="counter_busy", status=409):
    message = _("This counter is still serving %(ticket)s. Finish it first.")


class NobodyWaiting(DomainError, code="nobody_waiting", status=404):
    message = _("Nobody is waiting for this counter.")


class TicketNotAtCounter(DomainError, code="ticket_not_at_counter", status=409):
    message = _("This ticket is not at this counter any more.")


class TicketStateInvalid(DomainError, code="ticket_state_invalid", status=409):
    message = _("This ticket cannot do that now (status: %(status)s).")


class NoShowTooEarly(DomainError, code="no_show_too_early", status=409):
    message = _("Call the number again first: a no-show needs %(recalls)s recalls.")


class StageNotFound(NotFound, code="stage_not_found"):
    message = _("This office has no such stage.")


class PriorityReleaseNotConfigured(DomainError, code="priority_release_not_configured", status=409):
    message = _("This office has no time or channel set for releasing unclaimed priority places.")


class PriorityReleaseTooEarly(DomainError, code="priority_release_too_early", status=409):
    message = _("Unclaimed priority places can be released from %(time)s.")


class BapNotForThisTicket(DomainError, code="bap_not_for_this_ticket", status=409):
    message = _("An examination (BAP) is only for lost or damaged passports.")


class BapAlreadyScheduled(DomainError, code="bap_already_scheduled", status=409):
    message = _("The examination (BAP) is already set for %(date)s.")


class BapDateInvalid(DomainError, code="bap_date_invalid", status=422):
    message = _("Choose a working day after today for the examination (BAP).")


class BapQuotaExhausted(DomainError, code="bap_quota_exhausted", status=409):
    message = _("No examination (BAP) places are left on that day. Choose another day.")


class BapDateTooFar(BapDateInvalid, code="bap_date_too_far"):
    message = _("Examinations (BAP) can be set at most %(days)s days ahead. Choose an earlier day.")


class BapCapacityNotConfigured(DomainError, code="bap_capacity_not_configured", status=409):
    message = _(
        "This office has no examination (BAP) channel with daily places. "
        "Ask the office administrator to add one."
    )


class BapNotDue(DomainError, code="bap_not_due", status=409):
    message = _("The examination (BAP) is on %(date)s; it can be approved from that day.")


class PickupInvalid(InvalidInput, code="pickup_invalid"):
    message = _("A family member needs the KK number; a proxy needs the letter's reference.")


class PassportNotReady(DomainError, code="passport_not_ready", status=409):
    message = _("The passport is ready from %(date)s.")


class AlreadyPickedUp(DomainError, code="already_picked_up", status=409):
    message = _("This passport was already handed over.")
