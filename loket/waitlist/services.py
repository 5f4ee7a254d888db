"""Waiting-list writes. Every function is one transaction; rows locked are named in its docstring.

Lock order, everywhere: the booking row (if any), then ledger slots in ascending id, then
waiting-list entries (by conditional UPDATE). An open offer holds one ledger place; it passes
from entry to entry without ever going back to the ledger while someone is still waiting.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import Applicant, User
from loket.accounts.services import ApplicantNotFound
from loket.booking import services as booking_services
from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.events import PlacesAdded, PlacesFreed
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock
from loket.core.errors import DomainError, NotFound
from loket.identity import registry
from loket.notifications import texts
from loket.notifications.services import enqueue_message
from loket.offices.domain import DayState
from loket.offices.models import Channel
from loket.offices.selectors import load_channel_plan
from loket.waitlist.models import EntryStatus, WaitlistEntry


class DayNotFull(DomainError, code="day_not_full", status=409):
    message = _("This day still has free places. Book one of them instead of waiting.")


class AlreadyWaiting(DomainError, code="already_waiting", status=409):
    message = _("This person is already on the waiting list for this day.")


class WaitlistEntryNotFound(NotFound, code="waitlist_entry_not_found"):
    message = _("There is no such waiting-list entry.")


class OfferNotOpen(DomainError, code="offer_not_open", status=409):
    message = _("This offer is no longer open: it was answered or its time ran out.")


class EntryNotOpen(DomainError, code="waitlist_entry_closed", status=409):
    message = _("This entry is no longer on the waiting list.")


def offer_minutes() -> int:
    return int(getattr(settings, "LOKET_WAITLIST_OFFER_MINUTES", 120))


def _snapshot(entry: WaitlistEntry) -> dict:
    data = {"status": entry.status, "date": entry.date.isoformat(), "nik": entry.nik[-4:]}
    if entry.status == EntryStatus.OFFERED and entry.slot_id:
        data["window"] = f"{entry.slot.window_start:%H:%M}"
        data["until"] = entry.offer_expires_at.isoformat()
    return data


def _local(moment: dt.datetime, tz: str) -> str:
    """A moment for a message: the office's wall clock with the zone's name (WIB)."""
    return texts.office_moment(moment, tz)


def _day_is_open(channel: Channel, day: dt.date) -> bool:
    return load_channel_plan(channel, day, day).state(day) == DayState.OPEN


def _waiting(channel_id: int, day: dt.date):
    return WaitlistEntry.objects.filter(
        channel_id=channel_id, date=day, status=EntryStatus.WAITING
    ).exclude(nik__in=Booking.objects.filter(status__in=ACTIVE_STATUSES).values("nik"))


def join_waitlist(
    *,
    account: User,
    channel: Channel,
    day: dt.date,
    applicant_id: int,
    application_type: str,
    purpose: str,
    passport_type: str,
) -> WaitlistEntry:
    """Put one of the account's people on a full day's waiting list, last in line.

    Locks: the account row (as booking does), then the day's ledger slots (ascending id,
    SELECT ... FOR UPDATE) so a place freed at the
    same moment is either seen here (the day is not full) or offered to this entry after commit.
    The partial unique index refuses a second open entry of the NIK for the day.
    """
    booking_services.check_bookable(
        channel=channel,
        day=day,
        application_type=application_type,
        purpose=purpose,
        passport_type=passport_type,
    )
    applicant = Applicant.objects.filter(account=account, pk=applicant_id).first()
    if applicant is None:
        raise ApplicantNotFound()
    ledger.ensure_day_slots(channel=channel, day=day)
    # Only the NIK's owner (as booking checks); a live booking of the NIK is named only to the
    # account holding it, anyone else gets the identity refusal (see loket.identity.registry).
    registry.verify_person(nik=applicant.nik, name=applicant.name, birth_date=applicant.birth_date)
    booking_services.expire_overdue_holds(nik=applicant.nik)
    booked = Booking.objects.filter(nik=applicant.nik, status__in=ACTIVE_STATUSES)
    if booked.filter(account=account).exists():
        raise booking_services.ActiveBookingExists()
    if booked.exists():
        raise registry.IdentityNotConfirmed()
    live.check_free(nik=applicant.nik)  # a place in another channel (walk-in, visit...)
    for slot_id in CapacitySlot.objects.filter(
        channel=channel, date=day, used__gte=F("capacity")
    ).values_list("pk", flat=True):
        booking_services.expire_overdue_holds(slot_id=slot_id)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=account.pk).first()
        day_slots = CapacitySlot.objects.filter(channel=channel, date=day)
        slots = list(day_slots.select_for_update().order_by("pk"))
        if not slots or any(s.used < s.capacity for s in slots):
            raise DayNotFull()
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(
                    account=account,
                    applicant=applicant,
                    nik=applicant.nik,
                    office=channel.office,
                    channel=channel,
                    date=day,
                    application_type=application_type,
                    purpose=purpose,
                    passport_type=passport_type,
                    joined_at=clock.now(),
                )
        except IntegrityError:
            raise AlreadyWaiting() from None
        audit.record(
            action="waitlist.joined",
            obj=entry,
            actor=account,
            office=channel.office,
            after=_snapshot(entry),
        )
    return entry


def _offer_to_next(slot: CapacitySlot) -> WaitlistEntry | None:
    """Give a place this transaction holds in `slot` to the first person waiting for its day.

    The caller has taken the place (or holds it through an offer that just ended). First in
    line by join order; an entry is claimed by a conditional UPDATE, so two transactions never
    offer to the same entry. Nobody waiting (or the day no longer bookable): the place goes
    back to the ledger.
    """
    channel = slot.channel
    if _day_is_open(channel, slot.date):
        now = clock.now()
        until = now + dt.timedelta(minutes=offer_minutes())
        while True:
            candidate = (
                _waiting(slot.channel_id, slot.date).order_by("pk").values_list("pk", flat=True)
            ).first()
            if candidate is None:
                break
            claimed = WaitlistEntry.objects.filter(pk=candidate, status=EntryStatus.WAITING).update(
                status=EntryStatus.OFFERED, slot=slot, offered_at=now, offer_expires_at=until
            )
            if not claimed:
                continue  # taken by a concurrent offer: the next in line
            entry = WaitlistEntry.objects.select_related("account", "applicant").get(pk=candidate)
            entry.slot = slot
            _announce_offer(entry, channel)
            return entry
    # Nobody to pass it to (just checked): no new offer round for this place.
    ledger.release_place(slot_id=slot.pk, reoffer=False)
    return None


def _announce_offer(entry: WaitlistEntry, channel: Channel) -> None:
    # The person offered is rarely the one whose action freed the place: write in the site's
    # default language, not the language of the request that happens to run this.
    with translation.override(settings.LANGUAGE_CODE):
        _write_offer(entry, channel)


def _write_offer(entry: WaitlistEntry, channel: Channel) -> None:
    tz = channel.office.time_zone
    audit.record(
        action="waitlist.offered",
        obj=entry,
        actor_label="system",
        office=channel.office,
        before={"status": EntryStatus.WAITING},
        after=_snapshot(entry),
    )
    enqueue_message(
        dedupe_key=f"waitlist-offer:{entry.pk}:{entry.offered_at.isoformat()}",
        recipient=entry.account.email,
        subject=gettext("A place is free for %(name)s on %(date)s")
        % {"name": entry.applicant.name, "date": f"{entry.date:%d-%m-%Y}"},
        body=gettext(
            "A place has come free on %(date)s at %(window)s at %(office)s, and it is held for "
            '%(name)s until %(deadline)s. Open "My bookings" to accept it (then pay as for any '
            "booking) or decline it. If you do not answer in time, it goes to the next person "
            "waiting."
        )
        % {
            "date": texts.office_day(entry.date),
            "window": texts.office_window(entry.slot.window_start, entry.slot.window_end, tz),
            "office": channel.office.name,
            "name": entry.applicant.name,
            "deadline": _local(entry.offer_expires_at, tz),
        }
        + "\n\n"
        + gettext("Accept or decline it here: %(url)s") % {"url": texts.link("web:my_bookings")},
    )


def offer_freed_place(*, slot_id: int) -> WaitlistEntry | None:
    """Right after the caller released a place of `slot_id`: offer it to the first in line.

    Runs inside the caller's transaction. Locks: the slot (already locked by the release),
    then one waiting entry. Costs one query when nobody waits for the day.
    """
    anyone = WaitlistEntry.objects.filter(
        status=EntryStatus.WAITING, channel__slots__pk=slot_id, date=F("channel__slots__date")
    ).exists()
    if not anyone:
        return None
    slot = CapacitySlot.objects.select_related("channel__office").get(pk=slot_id)
    if not ledger.try_take_place(slot_id=slot_id):
        return None  # someone took the place in the meantime
    return _offer_to_next(slot)


def offer_on_places_freed(event: PlacesFreed) -> None:
    """Listener (registered in WaitlistConfig.ready): a place of the ledger was freed."""
    if event.reoffer:
        offer_freed_place(slot_id=event.slot_id)


def offer_on_places_added(event: PlacesAdded) -> None:
    """Listener: a day gained places (its capacity was raised or places moved to it)."""
    offer_free_places(channel=event.channel, day=event.day)


def offer_free_places(*, channel: Channel, day: dt.date) -> int:
    """After a day's capacity changed: offer each free place to the next person in line.

    Locks: each slot of the day in ascending id (conditional UPDATE), then waiting entries.
    Returns the number of offers made.
    """
    offered = 0
    with transaction.atomic():
        if not _waiting(channel.pk, day).exists():
            return 0
        slots = CapacitySlot.objects.select_related("channel__office").filter(
            channel=channel, date=day, used__lt=F("capacity")
        )
        for slot in slots.order_by("pk"):
            while ledger.try_take_place(slot_id=slot.pk):
                if _offer_to_next(slot) is None:
                    break
                offered += 1
    return offered


def get_account_entry(*, account: User, entry_id: int) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("channel__office", "slot", "applicant", "account")
        .filter(account=account, pk=entry_id)
        .first()
    )
    if entry is None:
        raise WaitlistEntryNotFound()
    return entry


def _end_offer(
    entry: WaitlistEntry, *, to: str, actor: User | None, only_lapsed: bool = False
) -> bool:
    """End an open offer and pass its place on. Locks: the slot, then the entry."""
    with transaction.atomic():
        slot = (
            CapacitySlot.objects.select_for_update()
            .select_related("channel__office")
            .get(pk=entry.slot_id)
        )
        now = clock.now()
        ending = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.OFFERED)
        if only_lapsed:
            ending = ending.filter(offer_expires_at__lte=now)
        before = _snapshot(entry)
        if not ending.update(status=to, answered_at=now):
            return False
        entry.status = to
        entry.answered_at = now
        audit.record(
            action=f"waitlist.{to}",
            obj=entry,
            actor=actor,
            actor_label=None if actor is not None else "system",
            office=slot.channel.office,
            before=before,
            after=_snapshot(entry),
        )
        _offer_to_next(slot)
    return True


def decline_offer(*, account: User, entry_id: int) -> WaitlistEntry:
    """Say no to an offer: the place goes to the next person waiting (or back to the ledger)."""
    entry = get_account_entry(account=account, entry_id=entry_id)
    if entry.status != EntryStatus.OFFERED or not _end_offer(
        entry, to=EntryStatus.DECLINED, actor=account
    ):
        raise OfferNotOpen()
    return entry


def leave_waitlist(*, account: User, entry_id: int) -> WaitlistEntry:
    """Leave a day's waiting list; an open offer is declined and its place passed on."""
    entry = get_account_entry(account=account, entry_id=entry_id)
    if entry.status == EntryStatus.OFFERED:
        if not _end_offer(entry, to=EntryStatus.LEFT, actor=account):
            raise EntryNotOpen()
        return entry
    with transaction.atomic():
        before = _snapshot(entry)
        if not WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
            status=EntryStatus.LEFT, answered_at=clock.now()
        ):
            raise EntryNotOpen()
        entry.status = EntryStatus.LEFT
        audit.record(
            action="waitlist.left",
            obj=entry,
            actor=account,
            office=entry.channel.office,
            before=before,
            after=_snapshot(entry),
        )
    return entry


def accept_offer(*, account: User, entry_id: int) -> Booking:
    """Book the offered place: the booking takes over the place the offer holds, then waits
    for payment like any booking.

    Locks: as `book_appointment` (the account's applicant row, the NIK's unique index), then
    the entry by conditional UPDATE; no ledger write, the place is already held.
    """
    entry = get_account_entry(account=account, entry_id=entry_id)
    now = clock.now()
    if entry.status != EntryStatus.OFFERED or entry.offer_expires_at <= now:
        raise OfferNotOpen()
    booking_services.expire_overdue_holds(nik=entry.nik)
    person = entry.applicant
    with transaction.atomic():
        booking = booking_services.book_appointment(
            account=account,
            channel=entry.channel,
            day=entry.date,
            window_start=entry.slot.window_start,
            application_type=entry.application_type,
            purpose=entry.purpose,
            passport_type=entry.passport_type,
            applicant=booking_services.ApplicantData(
                nik=person.nik,
                name=person.name,
                birth_date=person.birth_date,
                sex=person.sex,
                phone=person.phone,
                domicile_regency=person.domicile_regency,
                married=person.married,
            ),
            held_slot_id=entry.slot_id,
        )
        before = _snapshot(entry)
        if not WaitlistEntry.objects.filter(
            pk=entry.pk, status=EntryStatus.OFFERED, offer_expires_at__gt=clock.now()
        ).update(status=EntryStatus.ACCEPTED, answered_at=clock.now(), booking=booking):
            raise OfferNotOpen()
        entry.status = EntryStatus.ACCEPTED
        entry.booking = booking
        audit.record(
            action="waitlist.accepted",
            obj=entry,
            actor=account,
            office=entry.channel.office,
            before=before,
            after={**_snapshot(entry), "booking": booking.code},
        )
        # The person is booked: their other days' places in line are closed.
        WaitlistEntry.objects.filter(nik=entry.nik, status=EntryStatus.WAITING).update(
            status=EntryStatus.CLOSED, answered_at=clock.now()
        )
    for other in WaitlistEntry.objects.filter(nik=entry.nik, status=EntryStatus.OFFERED):
        _end_offer(other, to=EntryStatus.CLOSED, actor=None)
    return booking


def expire_lapsed_offers(*, limit: int = 500) -> int:
    """End offers past their time and pass each place to the next person (worker step).

    Each offer ends by a conditional UPDATE, so the worker and a late answer never both win.
    """
    lapsed = WaitlistEntry.objects.filter(
        status=EntryStatus.OFFERED, offer_expires_at__lte=clock.now()
    ).order_by("offer_expires_at", "pk")[:limit]
    ended = 0
    for entry in list(lapsed.select_related("slot")):
        if _end_offer(entry, to=EntryStatus.EXPIRED, actor=None, only_lapsed=True):
            ended += 1
    return ended
