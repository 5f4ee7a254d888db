"""Queue writes. Each public function is one transaction that also writes its audit row and the
ticket's timestamped events.

Lock order, everywhere: the counter row, then ticket rows, then the booking row; to issue a
ticket: the booking row (check-in) or the ledger slot (walk-ins), then the lane's number
sequence row.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from loket.booking import lifecycle
from loket.booking.models import Booking, BookingStatus
from loket.booking.proofs import verify_qr
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from loket.identity.nik import NikInvalid, normalize_nik, parse_nik
from loket.offices.models import Channel, ChannelKind, Office
from loket.offices.selectors import (
    get_bap_channel,
    is_office_closed,
    load_channel_plan,
    office_closed_reason,
    working_days_after,
)
from loket.queue import domain
from loket.queue.models import (
    AT_COUNTER,
    BapCase,
    BapStatus,
    Counter,
    Issuance,
    Lane,
    LaneKind,
    OffWindowRule,
    PickupBy,
    QueueSettings,
    StaffMembership,
    StaffRole,
    Stage,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSequence,
    TicketStatus,
)

DEFAULT_STAGES = [
    # code, name, final, interview
    ("document_check", "Pemeriksaan berkas", False, False),
    ("photo_interview", "Foto dan wawancara", False, True),
    ("payment", "Pembayaran", False, False),
    ("done", "Selesai", True, False),
]
DEFAULT_LANES = [
    # kind, prefix, name, capacity channel code
    (LaneKind.APPOINTMENT, "A", "Janji temu online", None),
    (LaneKind.LOST_DAMAGED, "B", "Paspor hilang/rusak", "lost-damaged"),
    (LaneKind.EMERGENCY, "D", "Layanan darurat", None),
    (LaneKind.PRIORITY, "P", "Layanan prioritas", "priority"),
]
ISSUANCE_WORKING_DAYS = 4
# Emergency cases are approved by phone (hotline) or on the floor (supervisor).
EMERGENCY_ROLES = (StaffRole.SUPERVISOR, StaffRole.HOTLINE)


# --- errors ---------------------------------------------------------------------------------


class CheckInRefused(DomainError):
    code = "check_in_refused"
    status = 409
    message = _("This booking cannot be checked in.")


class BookingNotFoundHere(NotFound):
    code = "booking_not_found"
    message = _("No booking has this code or application number at this office.")


class NotBookedToday(CheckInRefused):
    code = "not_booked_today"
    message = _("This booking is for %(date)s, not today.")


class ArrivedTooEarly(CheckInRefused):
    code = "arrived_too_early"
    message = _("Too early for this booking's arrival window. Check in from %(from)s.")


class ArrivedTooLate(CheckInRefused):
    code = "arrived_too_late"
    message = _("The arrival window has passed. Ask the supervisor.")


class NikMismatch(CheckInRefused):
    code = "nik_mismatch"
    status = 422
    message = _("The NIK on the KTP does not match the booking. Check the KTP again.")


class AlreadyCheckedIn(CheckInRefused):
    code = "already_checked_in"
    message = _("This booking is already checked in (ticket %(ticket)s).")


class BookingNotConfirmed(CheckInRefused):
    code = "booking_not_confirmed"
    message = _("This booking is not confirmed (status: %(status)s).")


class BookingCancelled(BookingNotConfirmed):
    code = "booking_cancelled"
    message = _(
        "This booking was cancelled: it is no longer valid. The applicant needs a new "
        "appointment (or, if eligible, a priority walk-in ticket)."
    )


class BookingExpired(BookingNotConfirmed):
    code = "booking_expired"
    message = _(
        "This booking was never paid and has expired: it is no longer valid. The applicant "
        "needs a new appointment."
    )


class KioskNoMatch(CheckInRefused):
    code = "kiosk_no_match"
    status = 422
    message = _(
        "No booking matches this application number and NIK. Check both, or go to the "
        "information desk."
    )


class NotEligibleForPriority(DomainError):
    code = "not_eligible_for_priority"
    status = 422
    message = _(
        "Priority service is for the elderly (60 or over), children under 5, people with a "
        "disability and pregnant women. This person qualifies for none of them."
    )


class PriorityQuotaExhausted(DomainError):
    code = "priority_quota_exhausted"
    status = 409
    message = _("Today's priority quota is used up. Offer an online appointment for another day.")


class LaneQuotaExhausted(DomainError):
    code = "lane_quota_exhausted"
    status = 409
    message = _("Today's places for this service are used up. Ask the person to come another day.")


class OfficeClosedToday(DomainError):
    code = "office_closed_today"
    status = 409
    message = _("The office is closed today (%(reason)s).")


class LaneNotAvailable(DomainError):
    code = "lane_not_available"
    status = 422
    message = _("This office has no such lane.")


class CounterBusy(DomainError):
    code = "counter_busy"
    status = 409
    message = _("This counter is still serving %(ticket)s. Finish it first.")


class NobodyWaiting(DomainError):
    code = "nobody_waiting"
    status = 404
    message = _("Nobody is waiting for this counter.")


class TicketNotAtCounter(DomainError):
    code = "ticket_not_at_counter"
    status = 409
    message = _("This ticket is not at this counter any more.")


class TicketStateInvalid(DomainError):
    code = "ticket_state_invalid"
    status = 409
    message = _("This ticket cannot do that now (status: %(status)s).")


class NoShowTooEarly(DomainError):
    code = "no_show_too_early"
    status = 409
    message = _("Call the number again first: a no-show needs %(recalls)s recalls.")


class StageNotFound(NotFound):
    code = "stage_not_found"
    message = _("This office has no such stage.")


class PriorityReleaseNotConfigured(DomainError):
    code = "priority_release_not_configured"
    status = 409
    message = _("This office has no time or channel set for releasing unclaimed priority places.")


class PriorityReleaseTooEarly(DomainError):
    code = "priority_release_too_early"
    status = 409
    message = _("Unclaimed priority places can be released from %(time)s.")


class BapNotForThisTicket(DomainError):
    code = "bap_not_for_this_ticket"
    status = 409
    message = _("An examination (BAP) is only for lost or damaged passports.")


class BapAlreadyScheduled(DomainError):
    code = "bap_already_scheduled"
    status = 409
    message = _("The examination (BAP) is already set for %(date)s.")


class BapDateInvalid(DomainError):
    code = "bap_date_invalid"
    status = 422
    message = _("Choose a working day after today for the examination (BAP).")


class BapQuotaExhausted(DomainError):
    code = "bap_quota_exhausted"
    status = 409
    message = _("No examination (BAP) places are left on that day. Choose another day.")


class BapDateTooFar(BapDateInvalid):
    code = "bap_date_too_far"
    message = _("Examinations (BAP) can be set at most %(days)s days ahead. Choose an earlier day.")


class BapCapacityNotConfigured(DomainError):
    code = "bap_capacity_not_configured"
    status = 409
    message = _(
        "This office has no examination (BAP) channel with daily places. "
        "Ask the office administrator to add one."
    )


class BapNotDue(DomainError):
    code = "bap_not_due"
    status = 409
    message = _("The examination (BAP) is on %(date)s; it can be approved from that day.")


class PickupInvalid(InvalidInput):
    code = "pickup_invalid"
    message = _("A family member needs the KK number; a proxy needs the letter's reference.")


class PassportNotReady(DomainError):
    code = "passport_not_ready"
    status = 409
    message = _("The passport is ready from %(date)s.")


class AlreadyPickedUp(DomainError):
    code = "already_picked_up"
    status = 409
    message = _("This passport was already handed over.")


# --- setup ----------------------------------------------------------------------------------


def get_queue_settings(office: Office) -> QueueSettings:
    settings = QueueSettings.objects.filter(office=office).first()
    return settings if settings is not None else QueueSettings(office=office)


@transaction.atomic
def ensure_office_queue(*, office: Office) -> None:
    """Create the default stages, lanes and settings of an office; existing rows stay."""
    QueueSettings.objects.get_or_create(office=office)
    if not Stage.objects.filter(office=office).exists():
        for order, (code, name, final, interview) in enumerate(DEFAULT_STAGES, start=1):
            Stage.objects.create(
                office=office,
                code=code,
                name=name,
                order=order * 10,
                is_final=final,
                records_interview=interview,
            )
    for kind, prefix, name, channel_code in DEFAULT_LANES:
        if Lane.objects.filter(office=office, kind=kind).exists():
            continue
        channel = (
            Channel.objects.filter(office=office, code=channel_code).first()
            if channel_code
            else None
        )
        Lane.objects.create(office=office, kind=kind, prefix=prefix, name=name, channel=channel)


@transaction.atomic
def save_counter(
    *,
    office: Office,
    number: int,
    stage_codes: Iterable[str] | None = None,
    lane_kinds: Iterable[str] | None = None,
    name: str = "",
) -> Counter:
    """Create or update a counter; None for stages or lanes means all of them."""
    counter, _created = Counter.objects.update_or_create(
        office=office, number=number, defaults={"name": name or f"Loket {number}"}
    )
    stages = Stage.objects.filter(office=office, is_final=False)
    if stage_codes is not None:
        stages = stages.filter(code__in=list(stage_codes))
    lanes = Lane.objects.filter(office=office)
    if lane_kinds is not None:
        lanes = lanes.filter(kind__in=list(lane_kinds))
    counter.stages.set(stages)
    counter.lanes.set(lanes)
    return counter


def grant_role(*, user, office: Office, role: str, actor=None) -> StaffMembership:
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


# --- helpers --------------------------------------------------------------------------------


def _today(office: Office) -> dt.date:
    return clock.local_today(office.time_zone)


def _first_stage(office: Office) -> Stage:
    stage = Stage.objects.filter(office=office, is_final=False).order_by("order").first()
    if stage is None:
        raise StageNotFound()
    return stage


def _lane(office: Office, kind: str) -> Lane:
    lane = Lane.objects.select_related("channel").filter(office=office, kind=kind).first()
    if lane is None:
        raise LaneNotAvailable()
    return lane


def _next_number(*, office: Office, day: dt.date, lane: Lane) -> int:
    """Allocate the lane's next number: one UPDATE that locks the sequence row, then a read."""
    TicketSequence.objects.get_or_create(office=office, date=day, lane=lane)
    TicketSequence.objects.filter(office=office, date=day, lane=lane).update(
        last_number=F("last_number") + 1
    )
    return TicketSequence.objects.get(office=office, date=day, lane=lane).last_number


def _event(ticket: Ticket, kind: str, *, officer=None, counter=None, stage=None, to_stage=None):
    return TicketEvent.objects.create(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        at=clock.now(),
        stage=stage if stage is not None else ticket.stage,
        counter=counter,
        officer=officer,
        to_stage=to_stage,
    )


def _state(ticket: Ticket) -> dict:
    return {
        "ticket": ticket.display,
        "status": ticket.status,
        "stage": ticket.stage.code,
        "counter": ticket.counter.number if ticket.counter_id else None,
    }


def _issue(
    *,
    office: Office,
    lane: Lane,
    officer,
    name: str,
    nik: str = "",
    birth_date: dt.date | None = None,
    booking: Booking | None = None,
    order_at: dt.datetime | None = None,
    off_window: bool = False,
    priority_reason: str = "",
    slot: CapacitySlot | None = None,
) -> Ticket:
    now = clock.now()
    day = _today(office)
    ticket = Ticket.objects.create(
        office=office,
        date=day,
        lane=lane,
        number=_next_number(office=office, day=day, lane=lane),
        booking=booking,
        slot=slot,
        applicant_name=name[:150],
        applicant_nik=nik,
        birth_date=birth_date,
        priority_reason=priority_reason,
        stage=_first_stage(office),
        status=TicketStatus.WAITING,
        order_at=order_at or now,
        off_window=off_window,
        issued_at=now,
        waiting_since=now,
    )
    _event(ticket, TicketEventKind.ISSUED, officer=officer)
    audit.record(
        action="ticket.issued",
        obj=ticket,
        actor=officer,
        office=office,
        after={**_state(ticket), "lane": lane.kind, "booking": booking.code if booking else None},
    )
    return ticket


# --- check-in and walk-ins ------------------------------------------------------------------


def find_booking(*, office: Office, code: str) -> Booking:
    """A booking of this office by QR payload, booking code or application number."""
    code = (code or "").strip()
    if not code:
        raise BookingNotFoundHere()
    booking = None
    if ":" in code:  # a signed QR payload
        try:
            booking = verify_qr(code)
        except DomainError:
            booking = None
    if booking is None:
        booking = (
            Booking.objects.select_related("office", "applicant")
            .filter(office=office)
            .filter(code=code.upper())
            .first()
            or Booking.objects.select_related("office", "applicant")
            .filter(office=office, application_number=code.upper())
            .first()
        )
    if booking is None or booking.office_id != office.pk:
        raise BookingNotFoundHere()
    return booking


def void_booking_refusal(booking: Booking) -> CheckInRefused | None:
    """Why a cancelled or expired booking can never be checked in, else None (reads only)."""
    if booking.status == BookingStatus.CANCELLED:
        return BookingCancelled()
    if booking.status == BookingStatus.EXPIRED:
        return BookingExpired()
    return None


def check_in_booking(*, office: Office, code: str, confirmed_nik: str, officer) -> Ticket:
    """Check a booking in on its date and issue its first-stage ticket.

    Locks the booking row (conditional UPDATE confirmed -> checked_in), then the lane's sequence.
    """
    booking = find_booking(office=office, code=code)
    today = _today(office)
    if booking.status == BookingStatus.CHECKED_IN:
        ticket = Ticket.objects.filter(booking=booking).select_related("lane").first()
        raise AlreadyCheckedIn(ticket=ticket.display if ticket else "-")
    refusal = void_booking_refusal(booking)
    if refusal is not None:
        raise refusal
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingNotConfirmed(status=booking.get_status_display())
    if booking.date != today:
        raise NotBookedToday(date=f"{booking.date:%d-%m-%Y}")
    if normalize_nik(confirmed_nik) != booking.nik:
        raise NikMismatch()
    settings = get_queue_settings(office)
    window_start = clock.at_local(booking.date, booking.window_start, office.time_zone)
    window_end = clock.at_local(booking.date, booking.window_end, office.time_zone)
    now = clock.now()
    timing = domain.arrival_timing(
        arrived=now,
        window_start=window_start,
        window_end=window_end,
        early_minutes=settings.early_tolerance_minutes,
        late_minutes=settings.late_tolerance_minutes,
    )
    if timing != domain.ArrivalTiming.ON_TIME and settings.off_window_rule == OffWindowRule.REFUSE:
        if timing == domain.ArrivalTiming.EARLY:
            earliest = window_start - dt.timedelta(minutes=settings.early_tolerance_minutes)
            raise ArrivedTooEarly(**{"from": f"{earliest:%H:%M}"})
        raise ArrivedTooLate()
    with transaction.atomic():
        if not lifecycle.change_status(booking, to=BookingStatus.CHECKED_IN):
            raise AlreadyCheckedIn(ticket="-")
        audit.record(
            action="booking.checked_in",
            obj=booking,
            actor=officer,
            office=office,
            before={"status": BookingStatus.CONFIRMED},
            after={"status": BookingStatus.CHECKED_IN, "timing": str(timing)},
        )
        return _issue(
            office=office,
            lane=_lane(office, LaneKind.APPOINTMENT),
            officer=officer,
            name=booking.applicant.name,
            nik=booking.nik,
            birth_date=booking.applicant.birth_date,
            booking=booking,
            order_at=window_start if timing == domain.ArrivalTiming.ON_TIME else now,
            off_window=timing == domain.ArrivalTiming.LATE,
        )


def check_in_at_kiosk(*, office: Office, code: str, nik: str, kiosk) -> Ticket:
    """Self-service check-in: no officer looks at the KTP, so the NIK typed by the applicant must
    match the booking before anything about the booking is said (a wrong number and a wrong NIK
    get the same answer). Then the check-in of the desk, with the kiosk account as the actor."""
    nik = normalize_nik(nik)
    try:
        booking = find_booking(office=office, code=code)
    except BookingNotFoundHere:
        raise KioskNoMatch() from None
    if not nik or nik != booking.nik:
        audit.record(
            action="kiosk.nik_mismatch",
            obj=booking,
            actor=kiosk,
            office=office,
            after={"booking": booking.code},
        )
        raise KioskNoMatch()
    return check_in_booking(office=office, code=booking.code, confirmed_nik=nik, officer=kiosk)


def _take_day_place(
    *, lane: Lane, day: dt.date, exhausted: type[DomainError]
) -> CapacitySlot | None:
    """Take one place of the lane's channel today in the ledger (one conditional UPDATE)."""
    if lane.channel is None:
        return None
    return _take_channel_place(channel=lane.channel, day=day, exhausted=exhausted)


def _take_channel_place(
    *, channel: Channel, day: dt.date, exhausted: type[DomainError]
) -> CapacitySlot:
    """Take one place of a channel on a day, in its first window with room (one conditional
    UPDATE per window tried; the ledger refuses `used > capacity`)."""
    plan = load_channel_plan(channel, day, day)
    windows = plan.window_plans(day)
    for window in windows:
        if window.capacity <= 0:
            continue
        slot = ledger.get_slot(channel=channel, day=day, window_start=window.start)
        if ledger.try_take_place(slot_id=slot.pk):
            return slot
    raise exhausted()


def issue_walk_in_ticket(
    *,
    office: Office,
    lane_kind: str,
    name: str,
    nik: str,
    officer,
    birth_date: dt.date | None = None,
    attested: Iterable[str] = (),
) -> Ticket:
    """A walk-in ticket for the priority, lost/damaged or emergency lane.

    Priority: the person must qualify on the day; a place is taken from the office's `priority`
    channel in the ledger in the same transaction (refused when the day's quota is used up).
    Lost/damaged: a place of the `lost-damaged` channel. Emergency: only a supervisor or hotline
    officer issues one (for an approved case). Locks the slot, then the sequence row.
    """
    if lane_kind not in (LaneKind.PRIORITY, LaneKind.LOST_DAMAGED, LaneKind.EMERGENCY):
        raise LaneNotAvailable()
    if lane_kind == LaneKind.EMERGENCY:
        require_role(user=officer, office=office, roles=EMERGENCY_ROLES)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Write the person's name as on the KTP."))
    today = _today(office)
    reason = office_closed_reason(office, today)
    # An emergency ticket takes no quota place: only a closure or holiday stops it, not a weekend.
    if reason is not None and (lane_kind != LaneKind.EMERGENCY or is_office_closed(office, today)):
        raise OfficeClosedToday(reason=reason)
    nik = normalize_nik(nik)
    if nik:
        info = parse_nik(nik, today=today, declared_birth_date=birth_date)
        birth_date = info.birth_date
    elif lane_kind == LaneKind.PRIORITY and birth_date is None and not attested:
        raise NikInvalid(_("Write the NIK or the birth date to check the priority ground."))
    reason = ""
    if lane_kind == LaneKind.PRIORITY:
        settings = get_queue_settings(office)
        ground = domain.priority_ground(
            birth_date=birth_date,
            day=today,
            attested=attested,
            elderly_age=settings.elderly_age,
            child_under_age=settings.child_under_age,
        )
        if ground is None:
            raise NotEligibleForPriority()
        reason = str(ground)
    lane = _lane(office, lane_kind)
    live.check_free(nik=nik)  # before a number is drawn; the claim below is the guarantee
    with transaction.atomic():
        exhausted = PriorityQuotaExhausted if lane_kind == LaneKind.PRIORITY else LaneQuotaExhausted
        slot = _take_day_place(lane=lane, day=today, exhausted=exhausted)
        ticket = _issue(
            office=office,
            lane=lane,
            officer=officer,
            name=name,
            nik=nik,
            birth_date=birth_date,
            priority_reason=reason,
            slot=slot,
        )
        # One person, one live place: a second walk-in (or a booking) of this NIK is refused.
        live.claim(
            nik=nik,
            kind=lane.channel.kind if lane.channel else ChannelKind.EMERGENCY,
            holder=live.holder_of(ticket),
            office=office,
            day=today,
        )
        return ticket


def release_unclaimed_priority(*, office: Office, officer=None) -> int:
    """Move today's unclaimed priority places to the office's configured channel; returns how
    many moved (0 when none are left). Allowed from the configured time of day.

    Locks today's priority ledger rows (ascending id), then the receiving channel's first row.
    """
    settings = get_queue_settings(office)
    target = settings.priority_release_to
    lane = _lane(office, LaneKind.PRIORITY)
    if settings.priority_release_at is None or target is None or lane.channel is None:
        raise PriorityReleaseNotConfigured()
    local = clock.local_now(office.time_zone)
    if local.time() < settings.priority_release_at:
        raise PriorityReleaseTooEarly(time=f"{settings.priority_release_at:%H:%M}")
    day = local.date()
    with transaction.atomic():
        # The ledger moves the places and offers them to the receiving day's waiting list.
        freed = ledger.move_unclaimed_places(from_channel=lane.channel, to_channel=target, day=day)
        if not freed:
            return 0
        audit.record(
            action="capacity.priority_released",
            obj=target,
            actor=officer,
            office=office,
            before={"priority_unclaimed": freed, "channel": target.code},
            after={"moved": freed, "to": target.code, "date": day.isoformat()},
        )
    return freed


# --- the counter ----------------------------------------------------------------------------


def _lock_counter(counter: Counter) -> Counter:
    return Counter.objects.select_for_update().select_related("office").get(pk=counter.pk)


def current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.select_related("lane", "stage", "booking", "counter")
        .filter(counter=counter, status__in=AT_COUNTER)
        .first()
    )


def _others_since_priority(office: Office, day: dt.date, stage_ids: list[int], ratio: int) -> int:
    if ratio <= 0:
        return 0
    lanes = (
        TicketEvent.objects.filter(
            office=office,
            kind=TicketEventKind.CALLED,
            ticket__date=day,
            stage_id__in=stage_ids,
        )
        .order_by("-at", "-id")
        .values_list("ticket__lane__kind", flat=True)[: ratio + 1]
    )
    return domain.count_others_since_priority(lanes)


def call_next_ticket(*, counter: Counter, officer) -> Ticket:
    """Call the next ticket for a counter, by the office's call policy.

    Locks the counter row (one call at a time per counter), then claims one waiting ticket:
    on PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED (a ticket another counter is claiming
    is skipped, never waited for), on SQLite the IMMEDIATE transaction serialises writers. The
    claim re-checks `status = waiting`, and the partial unique index on the counter backs it.
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        office = counter.office
        busy = current_ticket(counter)
        if busy is not None:
            raise CounterBusy(ticket=busy.display)
        today = _today(office)
        stage_ids = list(counter.stages.values_list("id", flat=True))
        lane_ids = list(counter.lanes.values_list("id", flat=True))
        rows = Ticket.objects.filter(
            office=office,
            date=today,
            status=TicketStatus.WAITING,
            stage_id__in=stage_ids,
            lane_id__in=lane_ids,
        ).values_list("id", "lane__kind", "order_at", "waiting_since", "issued_at", "off_window")
        candidates = [
            domain.Candidate(
                id=r[0],
                lane=r[1],
                order_at=r[2],
                waiting_since=r[3],
                issued_at=r[4],
                off_window=r[5],
            )
            for r in rows
        ]
        settings = get_queue_settings(office)
        order = domain.call_order(
            candidates,
            now=clock.now(),
            policy=domain.CallPolicy(
                others_per_priority=settings.others_per_priority,
                starvation_minutes=settings.starvation_minutes,
            ),
            others_since_priority=_others_since_priority(
                office, today, stage_ids, settings.others_per_priority
            ),
        )
        skip_locked = connection.features.has_select_for_update_skip_locked
        for candidate in order:
            query = Ticket.objects.filter(pk=candidate.id, status=TicketStatus.WAITING)
            if skip_locked:
                query = query.select_for_update(skip_locked=True)
            ticket = query.select_related("lane", "stage").first()
            if ticket is None:
                continue  # taken or being taken by another counter
            now = clock.now()
            claimed = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED, counter=counter, officer=officer, called_at=now
            )
            if not claimed:
                continue
            ticket.status, ticket.counter, ticket.officer, ticket.called_at = (
                TicketStatus.CALLED,
                counter,
                officer,
                now,
            )
            _event(ticket, TicketEventKind.CALLED, officer=officer, counter=counter)
            audit.record(
                action="ticket.called",
                obj=ticket,
                actor=officer,
                office=office,
                after=_state(ticket),
            )
            return ticket
        raise NobodyWaiting()


def _lock_ticket_at_counter(counter: Counter, ticket_id: int | None = None) -> Ticket:
    query = Ticket.objects.select_for_update().filter(counter=counter, status__in=AT_COUNTER)
    if ticket_id is not None:
        query = query.filter(pk=ticket_id)
    ticket = query.first()
    if ticket is None:
        raise TicketNotAtCounter()
    return Ticket.objects.select_related("lane", "stage", "counter", "office", "booking").get(
        pk=ticket.pk
    )


def recall_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Call the counter's ticket again (the board announces it again)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        Ticket.objects.filter(pk=ticket.pk).update(recall_count=F("recall_count") + 1)
        ticket.recall_count += 1
        _event(ticket, TicketEventKind.RECALLED, officer=officer, counter=counter)
        audit.record(
            action="ticket.recalled",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            after={**_state(ticket), "recalls": ticket.recall_count},
        )
        return ticket


def start_service(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """The called person has come to the counter."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        before = _state(ticket)
        ticket.status = TicketStatus.SERVING
        ticket.save(update_fields=["status"])
        _event(ticket, TicketEventKind.STARTED, officer=officer, counter=counter)
        audit.record(
            action="ticket.started",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def _leave_counter(ticket: Ticket, *, status: str, stage: Stage | None = None) -> None:
    if status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
        # Served or missed: the person's live place of the day ends (capacity.live).
        live.release_day(nik=ticket.applicant_nik, day=ticket.date)
    ticket.status = status
    ticket.counter = None
    fields = ["status", "counter"]
    if stage is not None:
        ticket.stage = stage
        fields.append("stage")
    if status == TicketStatus.WAITING:
        ticket.waiting_since = clock.now()
        ticket.recall_count = 0
        fields += ["waiting_since", "recall_count"]
    ticket.save(update_fields=fields)


def mark_no_show(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """The called person did not come after the office's number of recalls.

    A booked applicant's booking becomes `no_show` (conditional UPDATE from checked_in).
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.status != TicketStatus.CALLED:
            raise TicketStateInvalid(status=ticket.get_status_display())
        needed = get_queue_settings(ticket.office).recalls_before_no_show
        if ticket.recall_count < needed:
            raise NoShowTooEarly(recalls=needed)
        before = _state(ticket)
        _leave_counter(ticket, status=TicketStatus.NO_SHOW)
        _event(ticket, TicketEventKind.NO_SHOW, officer=officer, counter=counter)
        if ticket.booking_id:
            lifecycle.change_status(ticket.booking, to=BookingStatus.NO_SHOW)
        audit.record(
            action="ticket.no_show",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def park_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Set the ticket aside while the person fetches a document; the counter is free again."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        before = _state(ticket)
        _leave_counter(ticket, status=TicketStatus.PARKED)
        _event(ticket, TicketEventKind.PARKED, officer=officer, counter=counter)
        audit.record(
            action="ticket.parked",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def return_ticket(*, office: Office, ticket_id: int, officer) -> Ticket:
    """A parked person is back: the ticket waits again at its stage, keeping its place in time."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .filter(pk=ticket_id, office=office, status=TicketStatus.PARKED)
            .first()
        )
        if ticket is None:
            raise TicketStateInvalid(status=_("not parked"))
        ticket = Ticket.objects.select_related("lane", "stage", "office").get(pk=ticket.pk)
        before = _state(ticket)
        ticket.status = TicketStatus.WAITING
        ticket.recall_count = 0
        ticket.save(update_fields=["status", "recall_count"])
        _event(ticket, TicketEventKind.RETURNED, officer=officer)
        audit.record(
            action="ticket.returned",
            obj=ticket,
            actor=officer,
            office=office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def transfer_ticket(
    *, counter: Counter, officer, stage_code: str, ticket_id: int | None = None
) -> Ticket:
    """Send the ticket to wait at another stage (e.g. back to the document check)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        stage = Stage.objects.filter(
            office_id=ticket.office_id, code=stage_code, is_final=False
        ).first()
        if stage is None:
            raise StageNotFound()
        before = _state(ticket)
        from_stage = ticket.stage
        _leave_counter(ticket, status=TicketStatus.WAITING, stage=stage)
        _event(
            ticket,
            TicketEventKind.TRANSFERRED,
            officer=officer,
            counter=counter,
            stage=from_stage,
            to_stage=stage,
        )
        audit.record(
            action="ticket.transferred",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


def complete_ticket(*, counter: Counter, officer, ticket_id: int | None = None) -> Ticket:
    """Finish the stage: the ticket waits at the next stage, or is done after the last one.

    Finishing the interview stage records the issuance (ready after 4 working days); finishing
    the last stage completes the booking (conditional UPDATE from checked_in).
    """
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        before = _state(ticket)
        stage = ticket.stage
        following = (
            Stage.objects.filter(office_id=ticket.office_id, order__gt=stage.order)
            .order_by("order")
            .first()
        )
        _event(ticket, TicketEventKind.FINISHED, officer=officer, counter=counter, stage=stage)
        if stage.records_interview:
            _record_interview(ticket)
        if following is None or following.is_final:
            _leave_counter(ticket, status=TicketStatus.DONE, stage=following or stage)
            if ticket.booking_id:
                lifecycle.change_status(ticket.booking, to=BookingStatus.COMPLETED)
        else:
            _leave_counter(ticket, status=TicketStatus.WAITING, stage=following)
        audit.record(
            action="ticket.completed",
            obj=ticket,
            actor=officer,
            office=ticket.office,
            before=before,
            after=_state(ticket),
        )
        return ticket


# --- lost or damaged: the examination (BAP) -----------------------------------------------

BAP_PHOTO_WORKING_DAYS = 3


def schedule_bap(
    *, counter: Counter, officer, day: dt.date, ticket_id: int | None = None
) -> BapCase:
    """Set the examination (BAP) date of the lost/damaged ticket at this counter, taking a place
    of the office's examination (BAP) channel on that day: its own capacity, not the walk-in
    lane's. Locks the counter, the ticket, then the ledger slot (conditional UPDATE)."""
    with transaction.atomic():
        counter = _lock_counter(counter)
        ticket = _lock_ticket_at_counter(counter, ticket_id)
        if ticket.lane.kind != LaneKind.LOST_DAMAGED:
            raise BapNotForThisTicket()
        existing = BapCase.objects.filter(ticket=ticket).first()
        if existing is not None:
            raise BapAlreadyScheduled(date=f"{existing.bap_date:%d-%m-%Y}")
        office = ticket.office
        today = _today(office)
        if day <= today or is_office_closed(office, day):
            raise BapDateInvalid()
        channel = get_bap_channel(office)
        if channel is None:
            raise BapCapacityNotConfigured()
        if day > today + dt.timedelta(days=channel.horizon_days):
            raise BapDateTooFar(days=channel.horizon_days)
        slot = _take_channel_place(channel=channel, day=day, exhausted=BapQuotaExhausted)
        case = BapCase.objects.create(
            office=office,
            ticket=ticket,
            bap_date=day,
            slot=slot,
            scheduled_by=officer,
            scheduled_at=clock.now(),
        )
        audit.record(
            action="bap.scheduled",
            obj=case,
            actor=officer,
            office=office,
            after={"ticket": ticket.display, "date": day.isoformat()},
        )
        return case


def approve_bap(*, office: Office, case_id: int, officer) -> BapCase:
    """The examination approved the case: the applicant comes back for photos 3 working days
    later (on the office's calendar). Locks the case row."""
    with transaction.atomic():
        case = BapCase.objects.select_for_update().filter(pk=case_id, office=office).first()
        if case is None:
            raise NotFound()
        if case.status != BapStatus.SCHEDULED:
            raise TicketStateInvalid(status=case.get_status_display())
        today = _today(office)
        if today < case.bap_date:
            raise BapNotDue(date=f"{case.bap_date:%d-%m-%Y}")
        case.status = BapStatus.APPROVED
        case.approved_by = officer
        case.approved_at = clock.now()
        case.photo_date = working_days_after(office, today, BAP_PHOTO_WORKING_DAYS)
        case.save(update_fields=["status", "approved_by", "approved_at", "photo_date"])
        audit.record(
            action="bap.approved",
            obj=case,
            actor=officer,
            office=office,
            after={"photo_date": case.photo_date.isoformat()},
        )
        return case


# --- issuance and pickup --------------------------------------------------------------------


def _record_interview(ticket: Ticket) -> Issuance:
    office = ticket.office
    day = _today(office)
    issuance, _created = Issuance.objects.get_or_create(
        ticket=ticket,
        defaults={
            "office": office,
            "interview_date": day,
            "ready_date": working_days_after(office, day, ISSUANCE_WORKING_DAYS),
        },
    )
    return issuance


def record_pickup(
    *,
    office: Office,
    issuance_id: int,
    picked_up_by: str,
    officer,
    collector_name: str = "",
    collector_document: str = "",
) -> Issuance:
    """Hand the passport over: to the applicant, a family member with the KK, or a proxy with a
    letter of authority. Locks the issuance row."""
    if picked_up_by not in PickupBy.values:
        raise PickupInvalid()
    collector_document = (collector_document or "").strip()
    collector_name = (collector_name or "").strip()
    if picked_up_by != PickupBy.APPLICANT and (not collector_document or not collector_name):
        raise PickupInvalid()
    with transaction.atomic():
        issuance = (
            Issuance.objects.select_for_update().filter(pk=issuance_id, office=office).first()
        )
        if issuance is None:
            raise NotFound()
        if issuance.picked_up_at is not None:
            raise AlreadyPickedUp()
        today = _today(office)
        if today < issuance.ready_date:
            raise PassportNotReady(date=f"{issuance.ready_date:%d-%m-%Y}")
        issuance.picked_up_at = clock.now()
        issuance.picked_up_by = picked_up_by
        issuance.collector_name = collector_name
        issuance.collector_document = collector_document
        issuance.handed_over_by = officer
        issuance.save()
        audit.record(
            action="passport.picked_up",
            obj=issuance,
            actor=officer,
            office=office,
            after={"by": picked_up_by, "name": collector_name},
        )
        return issuance


def require_role(*, user, office: Office, roles: Iterable[str]) -> None:
    """Refuse unless the user holds one of the roles at this office."""
    if getattr(user, "is_superuser", False):
        return
    if not StaffMembership.objects.filter(user=user, office=office, role__in=list(roles)).exists():
        raise PermissionDenied()
