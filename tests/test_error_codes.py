"""The API's error codes are a promise: every refusal keeps its code and HTTP status."""

import ast
import importlib
import inspect
import pkgutil
import textwrap

import loket
from loket.core.errors import DomainError

# code, status, class name: every domain error as of issue 13. A new error may be added
# anywhere; one listed here may not change its code or status, nor disappear.
KNOWN = """
account_has_open_cases          409 AccountHasOpenCases
active_booking_exists           409 ActiveBookingExists
already_checked_in              409 AlreadyCheckedIn
already_picked_up               409 AlreadyPickedUp
already_waiting                 409 AlreadyWaiting
amount_mismatch                 409 AmountMismatch
applicant_has_history           409 ApplicantHasHistory
applicant_in_use                409 ApplicantInUse
applicant_limit_reached         409 ApplicantLimitReached
applicant_not_found             404 ApplicantNotFound
application_type_not_offered    422 ApplicationTypeNotOffered
application_type_not_offered    422 ApplicationTypeNotOnDay
arrival_not_found               404 ArrivalNotFound
arrived_too_early               409 ArrivedTooEarly
arrived_too_late                409 ArrivedTooLate
backup_failed                   500 BackupFailed
bap_already_scheduled           409 BapAlreadyScheduled
bap_capacity_not_configured     409 BapCapacityNotConfigured
bap_date_invalid                422 BapDateInvalid
bap_date_too_far                422 BapDateTooFar
bap_not_due                     409 BapNotDue
bap_not_for_this_ticket         409 BapNotForThisTicket
bap_quota_exhausted             409 BapQuotaExhausted
beyond_horizon                  422 BeyondHorizon
billing_code_expired            409 BillingCodeExpired
billing_code_unknown            404 BillingCodeUnknown
booking_not_active              409 BookingNotActive
booking_not_confirmed           409 BookingNotConfirmed
booking_not_found               404 BookingNotFound
booking_not_found               404 BookingNotFoundHere
channel_day_taken               409 ChannelDayTaken
channel_not_bookable            422 ChannelNotBookable
channel_not_found               404 ChannelNotFound
check_in_refused                409 CheckInRefused
counter_busy                    409 CounterBusy
counter_not_signed_in           409 CounterNotSignedIn
counter_taken                   409 CounterTaken
date_past                       422 DatePast
date_too_soon                   422 DateTooSoon
day_closed                      422 DayClosed
day_in_past                     422 DayInPast
day_not_full                    409 DayNotFull
email_invalid                   422 EmailInvalid
email_not_verified              403 EmailNotVerified
email_taken                     409 EmailTaken
emergency_case_decided          409 CaseAlreadyDecided
emergency_case_invalid          422 CaseInvalid
emergency_case_not_approved     409 CaseNotApproved
emergency_case_not_found        404 EmergencyCaseNotFound
figure_not_found                404 FigureNotFound
forbidden                       403 PermissionDenied
idempotency_key_reused          422 IdempotencyKeyReused
invalid_credentials             401 InvalidCredentials
invalid_input                   422 InvalidInput
kiosk_no_match                  422 KioskNoMatch
lane_not_available              422 LaneNotAvailable
lane_quota_exhausted            409 LaneQuotaExhausted
nik_invalid                     422 NikInvalid
nik_mismatch                    422 NikMismatch
no_show_too_early               409 NoShowTooEarly
nobody_waiting                  404 NobodyWaiting
not_booked_today                409 NotBookedToday
not_eligible_for_priority       422 NotEligibleForPriority
not_found                       404 NotFound
not_released                    422 NotReleased
offer_not_open                  409 OfferNotOpen
office_closed                   422 OfficeClosed
office_closed_today             409 OfficeClosedToday
office_not_found                404 OfficeNotFound
otp_code_wrong                  400 CodeWrong
outreach_channel_missing        409 OutreachChannelMissing
outreach_request_decided        409 RequestAlreadyDecided
outreach_request_invalid        422 RequestInvalid
outreach_request_not_found      404 RequestNotFound
outside_working_area            422 OutsideWorkingArea
participant_not_found           404 ParticipantNotFound
passport_not_ready              409 PassportNotReady
password_rejected               422 PasswordRejected
payment_rejected                400 PaymentRejected
period_invalid                  422 PeriodInvalid
pickup_invalid                  422 PickupInvalid
priority_quota_exhausted        409 PriorityQuotaExhausted
priority_release_not_configured 409 PriorityReleaseNotConfigured
priority_release_too_early      409 PriorityReleaseTooEarly
qr_invalid                      400 QrInvalid
quota_exhausted                 409 QuotaExhausted
range_invalid                   422 RangeInvalid
reason_required                 422 ReasonRequired
regency_invalid                 422 RegencyInvalid
regency_outside_working_area    422 RegencyNotInArea
release_admission_required      409 AdmissionRequired
release_admission_used          409 AdmissionUsed
release_already_in_line         409 AlreadyInLine
release_not_in_line             404 NotInLine
release_room_closed             409 RoomClosed
release_turn_not_yet            409 TurnNotYet
release_turn_passed             409 TurnPassed
reports_forbidden               403 ReportsForbidden
reschedule_not_allowed          409 RescheduleNotAllowed
same_slot                       422 SameSlot
service_day_cancelled           409 ServiceDayCancelled
service_day_not_found           404 OccurrenceNotFound
service_day_wrong_kind          422 ServiceDayWrongKind
signature_invalid               401 SignatureInvalid
site_lane_unavailable           409 SiteLaneUnavailable
staff_account                   403 StaffAccount
staff_only                      403 StaffOnly
stage_not_found                 404 StageNotFound
take_over_not_allowed           403 TakeOverNotAllowed
tariff_missing                  503 TariffMissing
team_busy                       409 TeamBusy
ticket_not_at_counter           409 TicketNotAtCounter
ticket_state_invalid            409 TicketStateInvalid
verification_failed             400 VerificationFailed
visit_day_taken                 409 VisitDayTaken
waitlist_entry_closed           409 EntryNotOpen
waitlist_entry_not_found        404 WaitlistEntryNotFound
walk_in_only                    422 WalkInOnly
window_not_found                404 WindowNotFound
wrong_password                  403 WrongPassword
"""


def _all_errors() -> list[type[DomainError]]:
    for module in pkgutil.walk_packages(loket.__path__, "loket."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, pending = [], [DomainError]
    while pending:
        for cls in pending.pop().__subclasses__():
            found.append(cls)
            pending.append(cls)
    return found


def test_every_error_keeps_its_code_and_status():
    """No domain error's stable code or HTTP status changed or went away."""
    rows = [line.split() for line in KNOWN.strip().splitlines()]
    known = {(code, int(status), name) for code, status, name in rows}
    assert known - {(cls.code, cls.status, cls.__name__) for cls in _all_errors()} == set()


def test_every_error_has_a_code_a_status_and_a_message():
    """Each error answers with a code of its own (or one shared on purpose), a 4xx/5xx status
    and a message for people."""
    for cls in _all_errors():
        assert cls.code and cls.code == cls.code.lower(), cls
        assert 400 <= cls.status < 600, cls
        assert str(cls.message), cls


def test_every_error_is_declared_as_one_row():
    """Code and status are given in the class line (`code=..., status=...`), never assigned
    in the body: one way to declare a refusal (loket/core/errors.py)."""
    assigned = []
    for cls in _all_errors():
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        for node in tree.body[0].body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & {"code", "status"}:
                assigned.append(f"{cls.__module__}.{cls.__name__}")
    assert assigned == []
