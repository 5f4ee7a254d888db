"""Walk-in lanes: priority, lost/damaged and emergency tickets, and the release of
unclaimed priority places."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import DomainError, InvalidInput
from loket.identity.nik import NikInvalid, normalize_nik, parse_nik
from loket.offices.models import ChannelKind, Office
from loket.offices.selectors import is_office_closed, office_closed_reason
from loket.queue import domain
from loket.queue.errors import (
    LaneNotAvailable,
    LaneQuotaExhausted,
    NotEligibleForPriority,
    OfficeClosedToday,
    PriorityQuotaExhausted,
    PriorityReleaseNotConfigured,
    PriorityReleaseTooEarly,
)
from loket.queue.models import Lane, LaneKind, Ticket
from loket.queue.office_setup import get_queue_settings
from loket.queue.tickets import _issue, _lane, _take_channel_place, _today
from loket.staff.permissions import require


def _take_day_place(
    *, lane: Lane, day: dt.date, exhausted: type[DomainError]
) -> CapacitySlot | None:
    """Take one place of the lane's channel today in the ledger (one conditional UPDATE)."""
    if lane.channel is None:
        return None
    return _take_channel_place(channel=lane.channel, day=day, exhausted=exhausted)


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
        require(officer, office, "emergency.register")
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
        freed = ledger.move_unclaimed_places(
            from_channel=lane.channel, to_channel=target, day=day, officer=officer
        )
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
