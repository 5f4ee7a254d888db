"""What outreach plans share: who may plan, the office's open days and working area, teams,
and the places of a day.

Staff rights are StaffMembership roles at the office concerned (loket.queue.permissions).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.errors import InvalidInput, PermissionDenied
from loket.offices import domain as office_domain
from loket.offices.models import CapacityOverride, Channel, Closure, Office
from loket.outreach.errors import DayClosed, DayInPast, TeamBusy
from loket.outreach.models import OutreachRequest, ServiceDayOccurrence, Team, TeamAssignment
from loket.queue.models import StaffRole
from loket.queue.staff_roles import require_role

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


def working_area(office: Office) -> list[str]:
    return list(office.working_area.values_list("regency_code", flat=True))


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


def _set_day_places(*, channel: Channel, day: dt.date, places: int, reason: str) -> None:
    """The ledger figure of a channel on a date (existing ledger rows follow, never below use)."""
    CapacityOverride.objects.update_or_create(
        channel=channel, date=day, defaults={"capacity": places, "reason": reason[:200]}
    )
    # The ledger offers new places to the waiting list (PlacesAdded).
    ledger.resize_day(channel=channel, day=day)


def _take_place_on(slots: list[CapacitySlot], window_start: dt.time) -> CapacitySlot:
    ordered = sorted(slots, key=lambda s: (s.window_start != window_start, s.window_start))
    for slot in ordered:
        if ledger.try_take_place(slot_id=slot.pk):
            return slot
    raise ledger.QuotaExhausted()
