"""Outreach writes: teams, service days, Eazy Passport requests, the emergency hotline.

Every function is one transaction and writes its audit row inside it; messages go through the
outbox in the same transaction. Staff rights are StaffMembership roles at the office concerned
(loket.queue.permissions): an officer acts only at the offices where they hold a role.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.booking import lifecycle
from loket.booking import services as booking_services
from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from loket.identity import regions
from loket.identity.nik import NikInvalid, normalize_nik, parse_nik
from loket.notifications import texts
from loket.notifications.services import enqueue_message
from loket.offices import domain as office_domain
from loket.offices.models import CapacityOverride, Channel, ChannelKind, Closure, Office
from loket.offices.selectors import load_channel_plan
from loket.outreach import bridge, domain
from loket.outreach.models import (
    AssignmentKind,
    EmergencyCase,
    EmergencyReason,
    EmergencyStatus,
    OccurrenceStatus,
    OutreachParticipant,
    OutreachRequest,
    OutreachSettings,
    RequestStatus,
    ServiceDayKind,
    ServiceDayOccurrence,
    ServiceDayRule,
    Team,
    TeamAssignment,
    WalkInAdmission,
)
from loket.queue.models import StaffRole
from loket.queue.services import require_role

DEFAULT_MIN_APPLICANTS = 20
MAX_PREFERRED_DATES = 3


# --- Errors -------------------------------------------------------------------------------


class TeamBusy(DomainError):
    code = "team_busy"
    status = 409
    message = _("%(team)s is already planned on %(date)s: %(what)s. Choose another team or day.")


class ParticipantsHoldLivePlaces(DomainError):
    code = "participants_hold_live_places"
    status = 409
    message = _(
        "Some participants already have a passport application in progress (another visit, a "
        "booking or a walk-in): rows %(rows)s. One person holds one place at a time: take them "
        "off the list or ask them to finish that one first."
    )


class ChannelDayTaken(DomainError):
    code = "channel_day_taken"
    status = 409
    message = _("%(channel)s already has a service day on %(date)s (%(what)s).")


class DayClosed(DomainError):
    code = "day_closed"
    status = 422
    message = _("The office is closed on %(date)s (%(reason)s). Choose another day.")


class DayInPast(DomainError):
    code = "day_in_past"
    status = 422
    message = _("Choose a day after today.")


class OccurrenceNotFound(NotFound):
    code = "service_day_not_found"
    message = _("There is no such service day.")


class ServiceDayCancelled(DomainError):
    code = "service_day_cancelled"
    status = 409
    message = _("This service day is cancelled.")


class ServiceDayWrongKind(DomainError):
    code = "service_day_wrong_kind"
    status = 422
    message = _("This service day is not booked this way.")


class ApplicationTypeNotOnDay(DomainError):
    code = "application_type_not_offered"
    status = 422
    message = _("This service day does not serve this application type.")


class RequestInvalid(InvalidInput):
    code = "outreach_request_invalid"
    message = _("The request has errors. Correct them and send it again.")

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__()
        self.errors = errors  # (field, message); CSV rows use "participants"

    def __str__(self) -> str:
        return "; ".join(f"{f}: {m}" if f else m for f, m in self.errors)


class CaseInvalid(RequestInvalid):
    code = "emergency_case_invalid"
    message = _("The case has errors. Correct them and record it again.")


class RequestNotFound(NotFound):
    code = "outreach_request_not_found"
    message = _("There is no such Eazy Passport request.")


class RequestAlreadyDecided(DomainError):
    code = "outreach_request_decided"
    status = 409
    message = _("This request is already approved or rejected.")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = _("Write the reason.")


class OutsideWorkingArea(DomainError):
    code = "outside_working_area"
    status = 422
    message = _(
        "The KTP address is outside the office's working area. Only a supervisor may override "
        "this, with a written reason."
    )


class CaseAlreadyDecided(DomainError):
    code = "emergency_case_decided"
    status = 409
    message = _("This case is already decided.")


class VisitDayTaken(DomainError):
    code = "visit_day_taken"
    status = 409
    message = _(
        "Another Eazy Passport visit is planned on %(date)s (%(what)s). The office runs one "
        "mobile site a day: choose another day."
    )


class OutreachChannelMissing(DomainError):
    code = "outreach_channel_missing"
    status = 409
    message = _(
        "This office has no active Eazy Passport (outreach) channel for the participants' "
        "places. Ask the office administrator to add one."
    )


class RegencyNotInArea(InvalidInput):
    code = "regency_outside_working_area"
    message = _("The office serves only its working area: %(area)s.")


# --- Helpers ------------------------------------------------------------------------------


# Which staff roles (at the office concerned) may do what.
PLANNING_ROLES = (StaffRole.OUTREACH, StaffRole.OFFICE_ADMIN)
WALK_IN_ROLES = (StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.OUTREACH)
HOTLINE_ROLES = (StaffRole.HOTLINE, StaffRole.SUPERVISOR)
DECISION_ROLES = (StaffRole.SUPERVISOR,)


def require_roles(actor: User | None, office: Office, roles) -> None:
    """Refuse unless the active account holds one of `roles` at `office`."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    require_role(user=actor, office=office, roles=roles)


def _closure_reason(office: Office, day: dt.date) -> str | None:
    closure = Closure.objects.filter(office=office, date=day).first()
    if closure is not None:
        return closure.reason
    if office.observe_national_holidays:
        return office_domain.national_closure(day)
    return None


def _future_open_day(office: Office, day: dt.date) -> None:
    if day <= clock.local_today(office.time_zone):
        raise DayInPast()
    reason = _closure_reason(office, day)
    if reason is not None:
        raise DayClosed(date=f"{day:%d-%m-%Y}", reason=reason)


def _outreach_channel(office: Office) -> Channel:
    channel = (
        Channel.objects.filter(office=office, kind=ChannelKind.OUTREACH, is_active=True)
        .order_by("id")
        .first()
    )
    if channel is None:
        raise OutreachChannelMissing()
    return channel


def working_area(office: Office) -> list[str]:
    return list(office.working_area.values_list("regency_code", flat=True))


def min_applicants(office: Office) -> int:
    row = OutreachSettings.objects.filter(office=office).first()
    return row.min_applicants if row else DEFAULT_MIN_APPLICANTS


# --- Teams --------------------------------------------------------------------------------


def create_team(*, office: Office, name: str, size: int) -> Team:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the team a name."))
    if size < 1:
        raise InvalidInput(_("A team has at least one officer."))
    return Team.objects.create(office=office, name=name, size=size)


def _assign_team(
    *,
    team: Team,
    day: dt.date,
    kind: str,
    label: str,
    outreach_request: OutreachRequest | None = None,
    occurrence: ServiceDayOccurrence | None = None,
) -> TeamAssignment:
    """Put a team somewhere for a day. The unique (team, date) index refuses a second place."""
    busy = TeamAssignment.objects.filter(team=team, date=day).first()
    if busy is not None:
        raise TeamBusy(team=team.name, date=f"{day:%d-%m-%Y}", what=busy.label)
    try:
        with transaction.atomic():
            return TeamAssignment.objects.create(
                team=team,
                date=day,
                kind=kind,
                label=label[:200],
                outreach_request=outreach_request,
                occurrence=occurrence,
            )
    except IntegrityError:
        busy = TeamAssignment.objects.filter(team=team, date=day).first()
        raise TeamBusy(
            team=team.name, date=f"{day:%d-%m-%Y}", what=busy.label if busy else "?"
        ) from None


# --- Service days -------------------------------------------------------------------------


def _set_day_places(*, channel: Channel, day: dt.date, places: int, reason: str) -> None:
    """The ledger figure of a channel on a date (existing ledger rows follow, never below use)."""
    CapacityOverride.objects.update_or_create(
        channel=channel, date=day, defaults={"capacity": places, "reason": reason[:200]}
    )
    # The ledger offers new places to the waiting list (PlacesAdded).
    ledger.resize_day(channel=channel, day=day)


def _occurrence_label(rule: ServiceDayRule, location: str) -> str:
    return f"{rule.name}: {location}"


def _check_rule_channel(rule: ServiceDayRule) -> None:
    wanted = ChannelKind.EVENT if rule.kind == ServiceDayKind.EVENT else ChannelKind.SIMPATIK
    if rule.channel.kind != wanted or rule.channel.office_id != rule.office_id:
        raise InvalidInput(
            _("A %(kind)s rule needs a %(channel)s channel of the same office.")
            % {"kind": rule.kind, "channel": wanted}
        )


def create_service_day_rule(
    *,
    office: Office,
    channel: Channel,
    name: str,
    weekday: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
    location: str,
    quota: int,
    team: Team | None = None,
    kind: str = ServiceDayKind.EVENT,
    allows_new: bool = True,
    allows_replacement: bool = True,
) -> ServiceDayRule:
    rule = ServiceDayRule(
        office=office,
        kind=kind,
        channel=channel,
        name=name,
        weekday=weekday,
        valid_from=valid_from,
        valid_until=valid_until,
        location=location,
        quota=quota,
        team=team,
        allows_new=allows_new,
        allows_replacement=allows_replacement,
    )
    _check_rule_channel(rule)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput(_("The rule must end on or after the day it starts."))
    if not 0 <= weekday <= 6:
        raise InvalidInput(_("Choose a weekday."))
    if quota < 1:
        raise InvalidInput(_("A service day has at least one place."))
    rule.save()
    return rule


def create_one_off_day(
    *,
    office: Office,
    channel: Channel,
    name: str,
    day: dt.date,
    location: str,
    quota: int,
    team: Team | None = None,
    kind: str = ServiceDayKind.SIMPATIK,
    actor: User | None = None,
) -> ServiceDayOccurrence:
    """A single service day (e.g. a Paspor Simpatik Saturday): a rule valid for one day."""
    with transaction.atomic():
        rule = create_service_day_rule(
            office=office,
            channel=channel,
            name=name,
            weekday=day.weekday(),
            valid_from=day,
            valid_until=day,
            location=location,
            quota=quota,
            team=team,
            kind=kind,
        )
        created = generate_occurrences(rule=rule, start=day, end=day, actor=actor)
        if not created:  # rolls the rule back too
            reason = _closure_reason(office, day) or "?"
            raise DayClosed(date=f"{day:%d-%m-%Y}", reason=reason)
    return created[0]


def _closed_checker(office: Office, start: dt.date, end: dt.date):
    own = set(
        Closure.objects.filter(office=office, date__range=(start, end)).values_list(
            "date", flat=True
        )
    )

    def is_closed(day: dt.date) -> bool:
        if day in own:
            return True
        return office.observe_national_holidays and office_domain.national_closure(day) is not None

    return is_closed


def generate_occurrences(
    *, rule: ServiceDayRule, start: dt.date, end: dt.date, actor: User | None = None
) -> list[ServiceDayOccurrence]:
    """Create the rule's days in [start, end] that do not exist yet, with their places and team.

    All or nothing: a team conflict or a channel already used that day refuses the whole run.
    Days already generated (even if moved or cancelled) are left alone.
    """
    office = rule.office
    dates = domain.expand_rule(
        weekday=rule.weekday,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        start=start,
        end=end,
        is_closed=_closed_checker(office, start, end),
    )
    existing = set(
        rule.occurrences.filter(planned_date__in=dates).values_list("planned_date", flat=True)
    )
    todo = [d for d in dates if d not in existing]
    created = []
    with transaction.atomic():
        taken = {
            o.date: o
            for o in ServiceDayOccurrence.objects.select_related("rule")
            .filter(channel=rule.channel, date__in=todo)
            .exclude(status=OccurrenceStatus.CANCELLED)
        }
        for day in todo:
            if day in taken:
                raise ChannelDayTaken(
                    channel=rule.channel.name, date=f"{day:%d-%m-%Y}", what=taken[day].rule.name
                )
            occurrence = ServiceDayOccurrence.objects.create(
                rule=rule,
                channel=rule.channel,
                planned_date=day,
                date=day,
                location=rule.location,
                quota=rule.quota,
            )
            if rule.team_id:
                _assign_team(
                    team=rule.team,
                    day=day,
                    kind=AssignmentKind.SERVICE_DAY,
                    label=_occurrence_label(rule, rule.location),
                    occurrence=occurrence,
                )
            _set_day_places(channel=rule.channel, day=day, places=rule.quota, reason=rule.name)
            created.append(occurrence)
        if created:
            audit.record(
                action="service_day.generated",
                obj=rule,
                actor=actor,
                office=office,
                after={"dates": [o.date.isoformat() for o in created]},
            )
    return created


def _occurrence_snapshot(o: ServiceDayOccurrence) -> dict:
    return {"date": o.date.isoformat(), "location": o.location, "status": o.status}


def _active_bookings(occurrence: ServiceDayOccurrence, day: dt.date):
    return (
        Booking.objects.select_related("account", "office")
        .filter(channel_id=occurrence.channel_id, date=day, status__in=ACTIVE_STATUSES)
        .order_by("id")
    )


def move_occurrence(
    *,
    occurrence: ServiceDayOccurrence,
    day: dt.date,
    reason: str,
    actor: User,
    location: str | None = None,
) -> ServiceDayOccurrence:
    """Move one service day to another date (and place); everyone booked keeps a place.

    Locks: the occurrence row, the bookings of the old day (ascending id), then the ledger
    slots of the new day as each place is taken. Without room for everyone nothing moves.
    """
    rule = occurrence.rule
    office = rule.office
    require_roles(actor, office, PLANNING_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if occurrence.date < clock.local_today(office.time_zone):
        raise DayInPast()
    _future_open_day(office, day)
    with transaction.atomic():
        occurrence = ServiceDayOccurrence.objects.select_for_update().get(pk=occurrence.pk)
        if occurrence.status == OccurrenceStatus.CANCELLED:
            raise ServiceDayCancelled()
        before = _occurrence_snapshot(occurrence)
        old_day = occurrence.date
        if day == old_day and (location is None or location == occurrence.location):
            raise InvalidInput(_("Choose another date or place."))
        other = (
            ServiceDayOccurrence.objects.filter(channel=occurrence.channel, date=day)
            .exclude(status=OccurrenceStatus.CANCELLED)
            .exclude(pk=occurrence.pk)
            .first()
        )
        if other is not None:
            raise ChannelDayTaken(
                channel=occurrence.channel.name, date=f"{day:%d-%m-%Y}", what=str(other.rule.name)
            )
        new_location = (location or "").strip() or occurrence.location
        label = _occurrence_label(rule, new_location)
        for assignment in list(occurrence.assignments.select_related("team")):
            if day != old_day:
                assignment.delete()
                _assign_team(
                    team=assignment.team,
                    day=day,
                    kind=AssignmentKind.SERVICE_DAY,
                    label=label,
                    occurrence=occurrence,
                )
            else:
                TeamAssignment.objects.filter(pk=assignment.pk).update(label=label[:200])
        occurrence.date = day
        occurrence.location = new_location
        occurrence.status = OccurrenceStatus.MOVED
        occurrence.note = reason[:300]
        occurrence.save(update_fields=["date", "location", "status", "note"])
        channel = occurrence.channel
        bookings = list(_active_bookings(occurrence, old_day).select_for_update(of=("self",)))
        if day != old_day:
            _set_day_places(channel=channel, day=day, places=occurrence.quota, reason=rule.name)
            ledger.ensure_day_slots(channel=channel, day=day)
            new_slots = list(
                CapacitySlot.objects.filter(channel=channel, date=day).order_by("window_start")
            )
            for booking in bookings:
                target = _move_booking_to(booking, new_slots)
                audit.record(
                    action="booking.moved_with_service_day",
                    obj=booking,
                    actor=actor,
                    office=office,
                    before={"date": old_day.isoformat()},
                    after={"date": day.isoformat(), "window": f"{target.window_start:%H:%M}"},
                )
            _set_day_places(channel=channel, day=old_day, places=0, reason=gettext("moved"))
        moved_at = int(clock.now().timestamp())  # each move is told, even to the same day
        for booking in bookings:
            enqueue_message(
                dedupe_key=f"service-day-moved:{occurrence.pk}:{moved_at}:{booking.code}",
                recipient=booking.account.email,
                subject=gettext("%(name)s on %(old)s is moved")
                % {"name": rule.name, "old": old_day},
                body=gettext(
                    "Your booking %(code)s keeps its place. The service day is now on %(date)s "
                    "at %(location)s. Reason: %(reason)s"
                )
                % {
                    "code": booking.code,
                    "date": f"{day:%d-%m-%Y}",
                    "location": new_location,
                    "reason": reason,
                }
                + "\n\n"
                + gettext("Your booking, to keep or cancel it: %(url)s")
                % {"url": texts.link("web:my_bookings")},
            )
        audit.record(
            action="service_day.moved",
            obj=occurrence,
            actor=actor,
            office=office,
            before=before,
            after={**_occurrence_snapshot(occurrence), "reason": reason},
        )
    return occurrence


def _move_booking_to(booking: Booking, slots: list[CapacitySlot]) -> CapacitySlot:
    """Move a booking of a moved service day into the new day, its own window first.

    The old day is closing (its places go to 0 next): its freed places are not offered.
    """
    ordered = sorted(slots, key=lambda s: (s.window_start != booking.window_start, s.window_start))
    for slot in ordered:
        if lifecycle.move_booking(booking, to_slot=slot, reoffer=False):
            return slot
    raise ledger.QuotaExhausted()


def _take_place_on(slots: list[CapacitySlot], window_start: dt.time) -> CapacitySlot:
    ordered = sorted(slots, key=lambda s: (s.window_start != window_start, s.window_start))
    for slot in ordered:
        if ledger.try_take_place(slot_id=slot.pk):
            return slot
    raise ledger.QuotaExhausted()


def cancel_occurrence(
    *, occurrence: ServiceDayOccurrence, reason: str, actor: User
) -> ServiceDayOccurrence:
    """Cancel one service day: its bookings are cancelled, places freed, people told.

    Locks: the occurrence row, then each booking and its slot (booking.cancel_booking).
    """
    rule = occurrence.rule
    require_roles(actor, rule.office, PLANNING_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if occurrence.date < clock.local_today(rule.office.time_zone):
        raise DayInPast()
    with transaction.atomic():
        occurrence = ServiceDayOccurrence.objects.select_for_update().get(pk=occurrence.pk)
        if occurrence.status == OccurrenceStatus.CANCELLED:
            raise ServiceDayCancelled()
        before = _occurrence_snapshot(occurrence)
        # The day closes first (0 places), so the places its bookings free are not offered
        # to anyone waiting for it; the second resize below brings the ledger down to 0.
        _set_day_places(
            channel=occurrence.channel, day=occurrence.date, places=0, reason=gettext("cancelled")
        )
        bookings = list(_active_bookings(occurrence, occurrence.date))
        for booking in bookings:
            booking_services.cancel_booking(account=booking.account, code=booking.code, actor=actor)
            enqueue_message(
                dedupe_key=f"service-day-cancelled:{occurrence.pk}:{booking.code}",
                recipient=booking.account.email,
                subject=gettext("%(name)s on %(date)s is cancelled")
                % {"name": rule.name, "date": f"{occurrence.date:%d-%m-%Y}"},
                body=gettext(
                    "We are sorry: the service day at %(location)s on %(date)s is cancelled "
                    "(%(reason)s). Your booking %(code)s is cancelled and nothing is charged. "
                    "You can book another day."
                )
                % {
                    "location": occurrence.location,
                    "date": f"{occurrence.date:%d-%m-%Y}",
                    "reason": reason,
                    "code": booking.code,
                }
                + "\n\n"
                + gettext("Other service days: %(url)s")
                % {"url": texts.link("outreach:service_days")},
            )
        occurrence.assignments.all().delete()
        occurrence.status = OccurrenceStatus.CANCELLED
        occurrence.note = reason[:300]
        occurrence.save(update_fields=["status", "note"])
        _set_day_places(
            channel=occurrence.channel, day=occurrence.date, places=0, reason=gettext("cancelled")
        )
        audit.record(
            action="service_day.cancelled",
            obj=occurrence,
            actor=actor,
            office=rule.office,
            before=before,
            after={**_occurrence_snapshot(occurrence), "reason": reason},
        )
    return occurrence


def get_occurrence(pk: int) -> ServiceDayOccurrence:
    occurrence = (
        ServiceDayOccurrence.objects.select_related("rule", "channel", "channel__office")
        .filter(pk=pk)
        .first()
    )
    if occurrence is None:
        raise OccurrenceNotFound()
    return occurrence


def book_service_day(
    *,
    account: User,
    occurrence: ServiceDayOccurrence,
    application_type: str,
    purpose: str,
    passport_type: str,
    applicant: booking_services.ApplicantData,
) -> Booking:
    """Book a place at an event day through the booking engine (same ledger, same guarantees).

    Locks: as booking.book_appointment (account row, then one slot, last).
    """
    rule = occurrence.rule
    if occurrence.status == OccurrenceStatus.CANCELLED:
        raise ServiceDayCancelled()
    if rule.kind != ServiceDayKind.EVENT:
        raise ServiceDayWrongKind()
    if application_type not in rule.application_types:
        raise ApplicationTypeNotOnDay()
    channel = occurrence.channel
    plan = load_channel_plan(channel, occurrence.date, occurrence.date)
    windows = plan.window_plans(occurrence.date)
    last_error: DomainError = ledger.QuotaExhausted()
    for window in windows:
        try:
            return booking_services.book_appointment(
                account=account,
                channel=channel,
                day=occurrence.date,
                window_start=window.start,
                application_type=application_type,
                purpose=purpose,
                passport_type=passport_type,
                applicant=applicant,
            )
        except ledger.QuotaExhausted as exc:
            last_error = exc
    raise last_error


def admit_walk_in(
    *, occurrence: ServiceDayOccurrence, name: str, actor: User, nik: str = ""
) -> WalkInAdmission:
    """Give the next walk-in place of a Simpatik day, first come first served.

    With the KTP's `nik`, the place is the person's one live place (capacity.live): refused
    while they hold another, ended when their ticket is done. The desk's form does not ask
    for it yet; without it the rule cannot be held for this walk-in.
    Locks: the day's ledger slot (conditional UPDATE), which also serialises the numbering.
    """
    office = occurrence.rule.office
    require_roles(actor, office, WALK_IN_ROLES)
    if occurrence.status == OccurrenceStatus.CANCELLED:
        raise ServiceDayCancelled()
    if occurrence.rule.kind != ServiceDayKind.SIMPATIK:
        raise ServiceDayWrongKind()
    if occurrence.date != clock.local_today(office.time_zone):
        raise InvalidInput(_("Walk-ins are admitted on the day itself."))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Write the applicant's name."))
    nik = normalize_nik(nik)
    if nik:
        nik = parse_nik(nik, today=occurrence.date).nik
        live.check_free(nik=nik)
    ledger.ensure_day_slots(channel=occurrence.channel, day=occurrence.date)
    slots = list(
        CapacitySlot.objects.filter(channel=occurrence.channel, date=occurrence.date).order_by(
            "window_start"
        )
    )
    with transaction.atomic():
        slot = _take_place_on(slots, slots[0].window_start if slots else dt.time(0))
        number = WalkInAdmission.objects.filter(occurrence=occurrence).count() + 1
        admission = WalkInAdmission.objects.create(
            occurrence=occurrence,
            number=number,
            name=name[:150],
            slot=slot,
            admitted_at=clock.now(),
            admitted_by=actor,
        )
        audit.record(
            action="walk_in.admitted",
            obj=admission,
            actor=actor,
            office=office,
            after={"number": number, "date": occurrence.date.isoformat()},
        )
        live.claim(
            nik=nik,
            kind=ChannelKind.SIMPATIK,
            holder=live.holder_of(admission),
            office=office,
            day=occurrence.date,
        )
        bridge.issue_simpatik_ticket(admission=admission, officer=actor, nik=nik)
    return admission


# --- Eazy Passport requests ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    organisation: str
    contact_person: str
    email: str
    phone: str
    location: str
    regency: str
    preferred_dates: list[dt.date]
    expected_applicants: int


def _request_field_errors(office: Office, data: RequestData, today: dt.date) -> list:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    errors: list[tuple[str, str]] = []
    for field, label in (
        ("organisation", gettext("Write the name of the institution.")),
        ("contact_person", gettext("Write the name of the contact person.")),
        ("location", gettext("Write the address where the office should come.")),
    ):
        if not getattr(data, field).strip():
            errors.append((field, label))
    try:
        validate_email(data.email.strip())
    except ValidationError:
        errors.append(("email", gettext("Write an e-mail address, e.g. nama@kampus.ac.id.")))
    phone = data.phone.strip().replace(" ", "").replace("-", "")
    if not phone.lstrip("+").isdigit() or not 8 <= len(phone.lstrip("+")) <= 15:
        errors.append(("phone", gettext("Write a phone number of 8 to 15 digits.")))
    regency = regions.normalize_regency(data.regency)
    area = working_area(office)
    if regency is None:
        errors.append(("regency", gettext("Choose the regency of the location.")))
    elif regency not in area:
        errors.append(
            (
                "regency",
                gettext("This office comes only to its working area: %(area)s.")
                % {"area": ", ".join(regions.regency_name(r) for r in area)},
            )
        )
    if not data.preferred_dates:
        errors.append(("preferred_dates", gettext("Give at least one preferred date.")))
    elif len(data.preferred_dates) > MAX_PREFERRED_DATES:
        errors.append(("preferred_dates", gettext("Give at most three preferred dates.")))
    elif any(d <= today for d in data.preferred_dates):
        errors.append(("preferred_dates", gettext("Preferred dates must be after today.")))
    minimum = min_applicants(office)
    if data.expected_applicants < minimum:
        errors.append(
            (
                "expected_applicants",
                gettext("A visit needs at least %(min)s applicants.") % {"min": minimum},
            )
        )
    return errors


def submit_outreach_request(
    *, office: Office, data: RequestData, participants_file: bytes
) -> OutreachRequest:
    """Record an institution's request with its participant list, all or nothing.

    Every error (form fields and every CSV row) is reported at once in RequestInvalid.errors.
    """
    today = clock.local_today(office.time_zone)
    errors = _request_field_errors(office, data, today)
    rows, row_errors = domain.parse_participant_file(participants_file, today=today)
    errors += [("participants", str(e)) for e in row_errors]
    if errors:
        raise RequestInvalid(errors)
    with transaction.atomic():
        request = OutreachRequest.objects.create(
            office=office,
            code=domain.new_code("EZ", 6),
            organisation=data.organisation.strip()[:200],
            contact_person=data.contact_person.strip()[:150],
            email=data.email.strip(),
            phone=data.phone.strip()[:20],
            location=data.location.strip()[:300],
            regency_code=regions.normalize_regency(data.regency),
            preferred_dates=sorted(d.isoformat() for d in set(data.preferred_dates)),
            expected_applicants=data.expected_applicants,
            created_at=clock.now(),
        )
        OutreachParticipant.objects.bulk_create(
            [
                OutreachParticipant(
                    request=request,
                    row_number=r.row,
                    nik=r.nik,
                    name=r.name,
                    birth_date=r.birth_date,
                    application_type=r.application_type,
                )
                for r in rows
            ]
        )
        audit.record(
            action="outreach_request.submitted",
            obj=request,
            actor_label=f"public:{request.email}",
            office=office,
            after={"participants": len(rows), "preferred_dates": request.preferred_dates},
        )
        enqueue_message(
            dedupe_key=f"outreach-submitted:{request.code}",
            recipient=request.email,
            subject=gettext("Eazy Passport request %(code)s received") % {"code": request.code},
            body=gettext(
                "We received your request for %(org)s with %(n)s participants. The office will "
                "answer by e-mail with a date or a question."
            )
            % {"org": request.organisation, "n": len(rows)},
        )
    return request


def get_request(code: str) -> OutreachRequest:
    request = (
        OutreachRequest.objects.select_related("office", "team")
        .filter(code=(code or "").upper())
        .first()
    )
    if request is None:
        raise RequestNotFound()
    return request


def _request_snapshot(r: OutreachRequest) -> dict:
    return {
        "status": r.status,
        "visit_date": r.visit_date.isoformat() if r.visit_date else None,
        "proposed_date": r.proposed_date.isoformat() if r.proposed_date else None,
        "team": r.team.name if r.team_id else None,
    }


def _lock_open_request(request: OutreachRequest) -> OutreachRequest:
    locked = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in (RequestStatus.SUBMITTED, RequestStatus.DATE_PROPOSED):
        raise RequestAlreadyDecided()
    locked.office = request.office
    return locked


def approve_outreach_request(
    *, request: OutreachRequest, visit_date: dt.date, team: Team, actor: User
) -> OutreachRequest:
    """Approve a visit on a date with a team; participants get their codes and each holds a
    place of the office's outreach channel on that day in the ledger; the team is booked; the
    mobile site's counters are made (queue.bridge), to open on the day.

    Locks: the request row, then inserts the team's day (unique team+date refuses a clash),
    then the outreach channel's ledger slots of the day, one conditional UPDATE per place.
    """
    office = request.office
    require_roles(actor, office, PLANNING_ROLES)
    if team.office_id != office.pk or not team.is_active:
        raise InvalidInput(_("Choose an active team of this office."))
    _future_open_day(office, visit_date)
    channel = _outreach_channel(office)
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        _assign_team(
            team=team,
            day=visit_date,
            kind=AssignmentKind.OUTREACH_VISIT,
            label=f"Eazy Passport {locked.code}: {locked.organisation}",
            outreach_request=locked,
        )
        other = (
            OutreachRequest.objects.filter(
                office=office, visit_date=visit_date, status=RequestStatus.APPROVED
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if other is not None:
            raise VisitDayTaken(date=f"{visit_date:%d-%m-%Y}", what=other.organisation)
        now = clock.now()
        locked.status = RequestStatus.APPROVED
        locked.visit_date = visit_date
        locked.team = team
        locked.decided_by = actor
        locked.decided_at = now
        try:
            with transaction.atomic():
                locked.save(
                    update_fields=["status", "visit_date", "team", "decided_by", "decided_at"]
                )
        except IntegrityError:  # another visit was approved for that day meanwhile
            raise VisitDayTaken(date=f"{visit_date:%d-%m-%Y}", what="?") from None
        participants = list(locked.participants.order_by("row_number"))
        _set_day_places(
            channel=channel,
            day=visit_date,
            places=len(participants),
            reason=f"Eazy Passport {locked.code}",
        )
        ledger.ensure_day_slots(channel=channel, day=visit_date)
        slots = list(
            CapacitySlot.objects.filter(channel=channel, date=visit_date).order_by("window_start")
        )
        first_window = slots[0].window_start if slots else dt.time(0)
        for p in participants:
            p.code = p.code or domain.new_code(bridge.PARTICIPANT_CODE_PREFIX, 8)
            p.slot = _take_place_on(slots, first_window)
        OutreachParticipant.objects.bulk_update(participants, ["code", "slot"])
        # One person, one live place: a participant who holds one elsewhere (another visit,
        # a booking, a walk-in) stops the approval, by row number.
        refused = live.claim_many(
            [
                live.new_claim(
                    nik=p.nik,
                    kind=ChannelKind.OUTREACH,
                    holder=live.holder_of(p),
                    office=office,
                    day=visit_date,
                )
                for p in participants
            ]
        )
        if refused:
            rows = {live.holder_of(p): p.row_number for p in participants}
            raise ParticipantsHoldLivePlaces(rows=", ".join(str(rows[c.holder]) for c in refused))
        bridge.create_mobile_site(request=locked, counters=team.size, actor=actor)
        audit.record(
            action="outreach_request.approved",
            obj=locked,
            actor=actor,
            office=office,
            before=before,
            after={**_request_snapshot(locked), "codes": len(participants)},
        )
        enqueue_message(
            dedupe_key=f"outreach-approved:{locked.code}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s approved for %(date)s")
            % {"code": locked.code, "date": f"{visit_date:%d-%m-%Y}"},
            body=gettext(
                "The office will come to %(location)s on %(date)s. Each participant has a code; "
                "the list is below. Participants bring their KTP and KK.\n\n%(codes)s"
            )
            % {
                "location": locked.location,
                "date": f"{visit_date:%d-%m-%Y}",
                "codes": "\n".join(
                    f"{p.row_number}. {p.name}: {p.code}" for p in locked.participants.all()
                ),
            },
        )
    return locked


def propose_outreach_date(
    *, request: OutreachRequest, proposed_date: dt.date, message: str, actor: User
) -> OutreachRequest:
    """Offer the institution another date; the request stays open for approval."""
    require_roles(actor, request.office, PLANNING_ROLES)
    _future_open_day(request.office, proposed_date)
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        locked.status = RequestStatus.DATE_PROPOSED
        locked.proposed_date = proposed_date
        locked.decision_reason = (message or "").strip()
        locked.save(update_fields=["status", "proposed_date", "decision_reason"])
        audit.record(
            action="outreach_request.date_proposed",
            obj=locked,
            actor=actor,
            office=locked.office,
            before=before,
            after=_request_snapshot(locked),
        )
        enqueue_message(
            dedupe_key=f"outreach-proposed:{locked.code}:{proposed_date}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s: can we come on %(date)s?")
            % {"code": locked.code, "date": f"{proposed_date:%d-%m-%Y}"},
            body=gettext(
                "Your preferred dates are not possible. We propose %(date)s. %(message)s "
                "Reply to this e-mail to accept or suggest another date."
            )
            % {"date": f"{proposed_date:%d-%m-%Y}", "message": locked.decision_reason},
        )
    return locked


def reject_outreach_request(*, request: OutreachRequest, reason: str, actor: User):
    require_roles(actor, request.office, PLANNING_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = _lock_open_request(request)
        before = _request_snapshot(locked)
        locked.status = RequestStatus.REJECTED
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        audit.record(
            action="outreach_request.rejected",
            obj=locked,
            actor=actor,
            office=locked.office,
            before=before,
            after={**_request_snapshot(locked), "reason": reason},
        )
        enqueue_message(
            dedupe_key=f"outreach-rejected:{locked.code}",
            recipient=locked.email,
            subject=gettext("Eazy Passport %(code)s cannot be served") % {"code": locked.code},
            body=gettext("We are sorry: we cannot come. Reason: %(reason)s") % {"reason": reason},
        )
    return locked


# --- Emergency hotline --------------------------------------------------------------------


def record_emergency_case(
    *,
    office: Office,
    actor: User,
    caller_name: str,
    caller_phone: str,
    nik: str,
    applicant_name: str,
    domicile_regency: str,
    reason: str,
    notes: str = "",
) -> EmergencyCase:
    """A hotline officer records a call; eligibility is computed from the KTP address."""
    require_roles(actor, office, HOTLINE_ROLES)
    today = clock.local_today(office.time_zone)
    errors = []
    try:
        nik = parse_nik(nik, today=today).nik
    except NikInvalid as exc:
        errors.append(("nik", str(exc)))
    regency = regions.normalize_regency(domicile_regency)
    if regency is None:
        errors.append(("domicile_regency", gettext("Choose the regency of the KTP address.")))
    if reason not in EmergencyReason.values:
        errors.append(("reason", gettext("Choose a reason.")))
    if reason == EmergencyReason.OTHER and not (notes or "").strip():
        errors.append(("notes", gettext("Describe the emergency.")))
    for field, value, message in (
        ("caller_name", caller_name, gettext("Write the caller's name.")),
        ("caller_phone", caller_phone, gettext("Write the caller's phone number.")),
        ("applicant_name", applicant_name, gettext("Write the applicant's name as on the KTP.")),
    ):
        if not (value or "").strip():
            errors.append((field, message))
    if errors:
        raise CaseInvalid(errors)
    eligibility = domain.emergency_eligibility(
        domicile_regency=regency, nik=nik, working_area=working_area(office)
    )
    with transaction.atomic():
        case = EmergencyCase.objects.create(
            office=office,
            caller_name=caller_name.strip()[:150],
            caller_phone=caller_phone.strip()[:20],
            nik=nik,
            applicant_name=applicant_name.strip()[:150],
            domicile_regency=regency,
            reason=reason,
            notes=(notes or "").strip(),
            in_working_area=eligibility.in_working_area,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        audit.record(
            action="emergency.recorded",
            obj=case,
            actor=actor,
            office=office,
            after={
                "reason": reason,
                "domicile_regency": regency,
                "in_working_area": eligibility.in_working_area,
            },
        )
    return case


def _case_snapshot(case: EmergencyCase) -> dict:
    return {
        "status": case.status,
        "service_date": case.service_date.isoformat() if case.service_date else None,
        "area_override": case.area_override,
    }


def _lock_open_case(case: EmergencyCase) -> EmergencyCase:
    locked = EmergencyCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != EmergencyStatus.RECORDED:
        raise CaseAlreadyDecided()
    locked.office = case.office
    return locked


def approve_emergency_case(
    *,
    case: EmergencyCase,
    actor: User,
    service_date: dt.date,
    reason: str,
    area_override: bool = False,
    override_reason: str = "",
) -> EmergencyCase:
    """A supervisor approves a case for a day, outside the normal quota.

    Outside the working area it needs `area_override` with a written reason (also a DB check).
    The case gets a code; the desk checks the person in by it on that day (queue.bridge), and
    only then is the emergency-lane ticket issued, also for a case approved for today: a ticket
    issued before the person arrives would be called at a counter while they are not there.
    Locks: the case row.
    """
    office = case.office
    require_roles(actor, office, DECISION_ROLES)
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    if not reason:
        raise ReasonRequired()
    today = clock.local_today(office.time_zone)
    if service_date < today:
        raise DayInPast()
    closed = _closure_reason(office, service_date)
    if closed is not None:
        raise DayClosed(date=f"{service_date:%d-%m-%Y}", reason=closed)
    if area_override and not override_reason:
        raise ReasonRequired(_("Write why the working-area rule is overridden."))
    with transaction.atomic():
        locked = _lock_open_case(case)
        if not locked.in_working_area and not area_override:
            raise OutsideWorkingArea()
        before = _case_snapshot(locked)
        locked.status = EmergencyStatus.APPROVED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_reason = reason
        locked.service_date = service_date
        locked.code = domain.new_code(bridge.EMERGENCY_CODE_PREFIX, 6)
        locked.area_override = area_override and not locked.in_working_area
        locked.area_override_reason = override_reason if locked.area_override else ""
        locked.save(
            update_fields=[
                "status",
                "code",
                "decided_by",
                "decided_at",
                "decision_reason",
                "service_date",
                "area_override",
                "area_override_reason",
            ]
        )
        # One person, one live place: the case holds the NIK's place until it is served.
        live.claim(
            nik=locked.nik,
            kind=ChannelKind.EMERGENCY,
            holder=live.holder_of(locked),
            office=office,
            day=service_date,
        )
        audit.record(
            action="emergency.approved",
            obj=locked,
            actor=actor,
            office=office,
            before=before,
            after={
                **_case_snapshot(locked),
                "reason": reason,
                "override_reason": locked.area_override_reason,
                "code": locked.code,
            },
        )
    return locked


def reject_emergency_case(*, case: EmergencyCase, actor: User, reason: str) -> EmergencyCase:
    require_roles(actor, case.office, DECISION_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = _lock_open_case(case)
        before = _case_snapshot(locked)
        locked.status = EmergencyStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            action="emergency.rejected",
            obj=locked,
            actor=actor,
            office=case.office,
            before=before,
            after={**_case_snapshot(locked), "reason": reason},
        )
    return locked
