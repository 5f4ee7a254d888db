"""Service days (PATEN, Simpatik): rules, their dates, moving and cancelling a day, booking
it and admitting a walk-in on it.

Each write is one transaction with its audit row; messages go through the outbox inside it.
"""

import datetime as dt

from django.db import transaction
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
from loket.core.errors import DomainError, InvalidInput
from loket.identity.nik import normalize_nik, parse_nik
from loket.notifications import texts
from loket.notifications.services import enqueue_message
from loket.offices import domain as office_domain
from loket.offices.models import Channel, ChannelKind, Closure, Office
from loket.offices.selectors import load_channel_plan
from loket.outreach import bridge, domain
from loket.outreach.errors import (
    ApplicationTypeNotOnDay,
    ChannelDayTaken,
    DayClosed,
    DayInPast,
    OccurrenceNotFound,
    ReasonRequired,
    ServiceDayCancelled,
    ServiceDayWrongKind,
)
from loket.outreach.models import (
    AssignmentKind,
    OccurrenceStatus,
    ServiceDayKind,
    ServiceDayOccurrence,
    ServiceDayRule,
    Team,
    TeamAssignment,
    WalkInAdmission,
)
from loket.outreach.planning import (
    PLANNING_ROLES,
    WALK_IN_ROLES,
    _assign_team,
    _closure_reason,
    _future_open_day,
    _set_day_places,
    _take_place_on,
    require_roles,
)


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
