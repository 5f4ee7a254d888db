"""Booking writes. Every function is one transaction; rows locked are named in its docstring.

Lock order, everywhere: the booking row (if any), then ledger slots in ascending id.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.accounts.services import save_applicant
from loket.booking import config_cache, domain, lifecycle
from loket.booking.gates import pass_gates
from loket.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEventKind,
    BookingStatus,
    IdempotencyRecord,
    Purpose,
)
from loket.booking.payments import receive_payment_notice
from loket.capacity import live
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import audit, clock, fastsql
from loket.core.errors import DomainError, InvalidInput, NotFound
from loket.identity import registry
from loket.identity.nik import parse_nik
from loket.notifications import texts
from loket.notifications.services import build_message
from loket.offices.domain import DayState, release_moment
from loket.offices.models import ApplicationType, Channel, PassportType

# Choices' .values builds a new list on every use.
_PURPOSES = frozenset(Purpose.values)
_PASSPORT_TYPES = frozenset(PassportType.values)


class BookingNotFound(NotFound, code="booking_not_found"):
    message = _("There is no such booking.")


class ActiveBookingExists(DomainError, code="active_booking_exists", status=409):
    message = _("This NIK already has an active booking. Cancel it or use it first.")


class WalkInOnly(DomainError, code="walk_in_only", status=422):
    message = _(
        "Lost and damaged passports are served only in person. Come to the office with your "
        "KTP, KK and the police report (lost) or the damaged passport."
    )


class ApplicationTypeNotOffered(DomainError, code="application_type_not_offered", status=422):
    message = _("This service channel does not serve this application type.")


class ChannelNotBookable(DomainError, code="channel_not_bookable", status=422):
    message = _("This service channel cannot be booked online.")


class DatePast(DomainError, code="date_past", status=422):
    message = _("This date has passed. Choose a later date.")


class DateTooSoon(DomainError, code="date_too_soon", status=422):
    message = _("This date is too close. Book at least %(days)s day(s) ahead.")


class OfficeClosed(DomainError, code="office_closed", status=422):
    message = _("The office is closed on this date. Choose another date.")


class NotReleased(DomainError, code="not_released", status=422):
    message = _("Places for this date are not released yet. They open on %(opens)s.")


class BeyondHorizon(DomainError, code="beyond_horizon", status=422):
    message = _("This date is too far ahead. You can book at most %(days)s days ahead.")


class BookingNotActive(DomainError, code="booking_not_active", status=409):
    message = _("This booking is no longer active.")


class RescheduleNotAllowed(DomainError, code="reschedule_not_allowed", status=409):
    message = _("A booking can be rescheduled once, no later than the day before the appointment.")


class SameSlot(DomainError, code="same_slot", status=422):
    message = _("The booking is already for this date and window.")


class TariffMissing(DomainError, code="tariff_missing", status=503):
    message = _("No fee is configured for this passport type. Contact the office.")


class IdempotencyKeyReused(DomainError, code="idempotency_key_reused", status=422):
    message = _("This Idempotency-Key was used for a different request.")


@dataclass(frozen=True)
class ApplicantData:
    nik: str
    name: str
    birth_date: dt.date
    sex: str
    phone: str
    domicile_regency: str
    married: bool = False


def check_bookable(
    *, channel: Channel, day: dt.date, application_type: str, purpose: str, passport_type: str
) -> None:
    """The one set of checks before a place is asked for online (booking, the waiting list):
    the channel, the application, then the day. Raises the first that fails; no writes."""
    if not channel.is_bookable_online:
        raise ChannelNotBookable()
    if application_type in (ApplicationType.LOST, ApplicationType.DAMAGED):
        raise WalkInOnly()
    if application_type not in channel.application_types:
        raise ApplicationTypeNotOffered()
    if purpose not in _PURPOSES:
        raise InvalidInput(_("Choose a purpose of travel from the list."))
    if passport_type not in _PASSPORT_TYPES:
        raise InvalidInput(_("Choose ordinary or electronic passport."))
    check_bookable_day(channel=channel, day=day)


def check_bookable_day(*, channel: Channel, day: dt.date) -> None:
    """Whether `day` is open for booking in `channel` (past, too soon, closed, not released,
    beyond the horizon each raise their own error)."""
    plan = config_cache.day_plan(channel, day)
    state = plan.state(day)
    if state == DayState.OPEN:
        return
    if state == DayState.PAST:
        raise DatePast()
    if state == DayState.TOO_SOON:
        raise DateTooSoon(days=channel.min_days_ahead)
    if state == DayState.CLOSED:
        raise OfficeClosed()
    if state == DayState.BEYOND_HORIZON:
        raise BeyondHorizon(days=channel.horizon_days)
    raise NotReleased(opens=f"{release_moment(plan.policy, day):%d-%m-%Y %H:%M}")


def _fee(*, item: str, on: dt.date) -> int:
    amount = config_cache.fee(item, on)
    if amount is None:
        raise TariffMissing()
    return amount


def _window_slot(channel: Channel, day: dt.date, window_start: dt.time) -> CapacitySlot:
    """The window's ledger row identity (cached: id and times; its counters are not read)."""
    slot = config_cache.slot_identity(channel, day, window_start)
    if slot is None:
        slot = ledger.get_slot(channel=channel, day=day, window_start=window_start)
        config_cache.remember_slot(slot)
    return slot


def book_appointment(
    *,
    account: User,
    channel: Channel,
    day: dt.date,
    window_start: dt.time,
    application_type: str,
    purpose: str,
    passport_type: str,
    applicant: ApplicantData,
    held_slot_id: int | None = None,
    _retry: bool = True,
) -> Booking:
    """Hold a place for an applicant, awaiting payment.

    Locks: the account row (applicant list), then the one ledger slot, last, by a conditional
    UPDATE just before commit. The NIK's unique index refuses a second active booking.
    `held_slot_id`: the caller already holds a place in this slot (an accepted waiting-list
    offer, in the caller's transaction); the booking takes it over instead of taking one.

    Fast refusal: a window flagged full (see capacity.services) is refused before any write.
    Overdue unpaid holds (of the window, or of this NIK) are expired only when the ledger or
    the NIK index refuses, then the booking is tried once more.
    """
    args = {
        "account": account,
        "channel": channel,
        "day": day,
        "window_start": window_start,
        "application_type": application_type,
        "purpose": purpose,
        "passport_type": passport_type,
        "applicant": applicant,
        "held_slot_id": held_slot_id,
    }
    check_bookable(
        channel=channel,
        day=day,
        application_type=application_type,
        purpose=purpose,
        passport_type=passport_type,
    )
    tz = channel.office.time_zone
    if held_slot_id is not None:
        slot = CapacitySlot.objects.get(pk=held_slot_id, channel=channel, date=day)
    else:
        slot = _window_slot(channel, day, window_start)
        full, slot_version = ledger.full_state(slot.pk)
        if full:
            raise ledger.QuotaExhausted()
    # Only the person the NIK belongs to (name and birth date as the registry holds them).
    nik = parse_nik(
        applicant.nik, declared_birth_date=applicant.birth_date, today=clock.local_today(tz)
    ).nik
    registry.verify_person(nik=nik, name=applicant.name, birth_date=applicant.birth_date)
    now = clock.now()
    try:
        with transaction.atomic():
            person = save_applicant(
                account=account,
                nik=applicant.nik,
                name=applicant.name,
                birth_date=applicant.birth_date,
                sex=applicant.sex,
                phone=applicant.phone,
                domicile_regency=applicant.domicile_regency,
                married=applicant.married,
                today=clock.local_today(tz),
            )
            if held_slot_id is None:
                # A fair-release channel: only with a current waiting-room admission.
                pass_gates(account=account, channel=channel, day=day, nik=person.nik)
            validity = domain.validity_years(
                birth_date=person.birth_date, on=day, married=person.married
            )
            amount = _fee(
                item=domain.tariff_item(passport_type=passport_type, validity=validity), on=day
            )
            booking = Booking(
                code=domain.new_booking_code(),
                account=account,
                applicant=person,
                nik=person.nik,
                office=channel.office,
                channel=channel,
                slot=slot,
                date=day,
                window_start=slot.window_start,
                window_end=slot.window_end,
                application_type=application_type,
                purpose=purpose,
                passport_type=passport_type,
                validity_years=validity,
                billing_code=domain.new_billing_code(),
                amount=amount,
                pay_before=now + dt.timedelta(minutes=channel.hold_minutes),
                created_at=now,
                updated_at=now,
            )
            message = {
                "dedupe_key": f"booking-created:{booking.code}",
                "recipient": account.email,
                "subject": gettext("Booking %(code)s: pay before %(deadline)s")
                % {"code": booking.code, "deadline": _local(booking.pay_before, tz)},
                "body": gettext(
                    "Your place on %(date)s at %(window)s is held until %(deadline)s. "
                    "Pay Rp%(amount)s with billing code %(billing)s."
                )
                % {
                    "date": texts.office_day(day),
                    "window": texts.office_window(slot.window_start, slot.window_end, tz),
                    "deadline": _local(booking.pay_before, tz),
                    "amount": f"{amount:,}".replace(",", "."),
                    "billing": booking.billing_code,
                }
                + "\n\n"
                + gettext("Pay or check the payment here: %(url)s")
                % {"url": texts.link("web:pay", booking.code)},
            }
            took = _write_booking(
                booking,
                actor=account,
                message=message,
                take_slot_id=slot.pk if held_slot_id is None else None,
            )
            if not took:
                raise ledger.QuotaExhausted()
    except IntegrityError as exc:
        if "booking_one_active_per_nik" in str(exc) or "booking_booking.nik" in str(exc):
            # The person's own unpaid hold past its deadline must not block them.
            if _retry and expire_overdue_holds(nik=nik):
                return book_appointment(**args, _retry=False)
            # Named only to the account holding it; to any other account the same answer as a
            # mismatch, so nobody learns whether a stranger's NIK has a live booking.
            if Booking.objects.filter(
                nik=nik, status__in=ACTIVE_STATUSES, account=account
            ).exists():
                raise ActiveBookingExists() from None
            raise registry.IdentityNotConfirmed() from None
        if live.is_refused_claim(exc):
            # Another channel holds the person's place (a walk-in, a visit, an emergency case:
            # a booking of another account is refused above, by its own index, first); a
            # lapsed one or an overdue hold of their own gives way once.
            if _retry and (live.clear_lapsed(nik=nik) or expire_overdue_holds(nik=nik)):
                return book_appointment(**args, _retry=False)
            raise live.refusal(nik) from None
        raise
    except ledger.QuotaExhausted:
        if held_slot_id is None:
            # A full window gives back its overdue holds before it says no.
            if _retry and expire_overdue_holds(slot_id=slot.pk):
                return book_appointment(**args, _retry=False)
            ledger.mark_full(slot.pk, slot_version)
        raise
    return booking


def _write_booking(
    booking: Booking, *, actor: User, message: dict, take_slot_id: int | None
) -> bool:
    """INSERT the booking, its `booking.created` audit row, its outbox message and the
    person's live-place claim (loket.capacity.live: an IntegrityError if another channel holds
    it), then take the place in `take_slot_id` (if given) by the ledger's conditional UPDATE,
    last, so the hot slot row is locked only until the commit. False: no place was free.

    Each row comes from its own builder; PostgreSQL gets the five statements in one round
    trip (loket.core.fastsql.Batch), in this order, in the caller's transaction; other
    databases the ORM's statements one by one.
    """
    batch = fastsql.Batch(Booking)
    batch.insert(booking, returning_pk=True)
    batch.insert(
        audit.build(
            action="booking.created",
            obj=booking,
            actor=actor,
            office=booking.office,
            after=lifecycle.snapshot(booking),
        )
    )
    batch.insert(build_message(**message), ignore_conflicts=True)
    batch.insert(
        live.new_claim(
            nik=booking.nik,
            kind=booking.channel.kind,
            holder=live.holder_of(booking),
            office=booking.office,
            day=booking.date,
        )
    )
    if take_slot_id is not None:
        batch.execute(*ledger.take_place_statement(take_slot_id))
    counts = batch.run()
    return take_slot_id is None or counts[-1] == 1


def _local(moment: dt.datetime, tz: str) -> str:
    """A moment for a message: the office's wall clock with the zone's name (WIB)."""
    return texts.office_moment(moment, tz)


def get_account_booking(*, account: User, code: str) -> Booking:
    booking = (
        Booking.objects.select_related("office", "channel", "applicant")
        .filter(account=account, code=(code or "").upper())
        .first()
    )
    if booking is None:
        raise BookingNotFound()
    return booking


def cancel_booking(*, account: User, code: str, actor: User | None = None) -> Booking:
    """Cancel an active booking, at the latest on its day, and free its place at once.

    Locks: the booking row (conditional UPDATE), then its slot.
    """
    booking = get_account_booking(account=account, code=code)
    today = clock.local_today(booking.office.time_zone)
    if booking.date < today:
        raise BookingNotActive()
    with transaction.atomic():
        before = lifecycle.snapshot(booking)
        # The lifecycle gives the place back; the ledger offers it to the waiting list.
        if not lifecycle.change_status(booking, to=BookingStatus.CANCELLED):
            raise BookingNotActive()
        audit.record(
            action="booking.cancelled",
            obj=booking,
            actor=actor or account,
            office=booking.office,
            before=before,
            after=lifecycle.snapshot(booking),
        )
    return booking


def reschedule_booking(*, account: User, code: str, day: dt.date, window_start: dt.time) -> Booking:
    """Move a booking to another date and window, once, no later than H-1.

    Locks: the booking row, then both slots in ascending id. If the new window is full the
    transaction rolls back and the old place is kept.
    """
    booking = get_account_booking(account=account, code=code)
    if booking.status not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED):
        raise BookingNotActive()
    channel = booking.channel
    today = clock.local_today(booking.office.time_zone)
    if booking.reschedule_count >= 1 or not domain.may_reschedule(
        appointment=booking.date, today=today, min_days_before=channel.reschedule_min_days_before
    ):
        raise RescheduleNotAllowed()
    check_bookable_day(channel=channel, day=day)
    new_slot = ledger.get_slot(channel=channel, day=day, window_start=window_start)
    if new_slot.pk == booking.slot_id:
        raise SameSlot()
    if new_slot.used >= new_slot.capacity:
        expire_overdue_holds(slot_id=new_slot.pk)
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED):
            raise BookingNotActive()
        if locked.reschedule_count >= 1:
            raise RescheduleNotAllowed()
        # Moving into a day that is being released goes through its waiting room too.
        pass_gates(account=account, channel=channel, day=day, nik=locked.nik)
        before = lifecycle.snapshot(locked)
        # The old place is offered to the waiting list (capacity.events.PlacesFreed).
        if not lifecycle.move_booking(
            locked,
            to_slot=new_slot,
            kind=BookingEventKind.RESCHEDULED,
            reschedule_count=locked.reschedule_count + 1,
        ):
            raise ledger.QuotaExhausted()
        audit.record(
            action="booking.rescheduled",
            obj=locked,
            actor=account,
            office=booking.office,
            before=before,
            after=lifecycle.snapshot(locked),
        )
    return locked


def expire_overdue_holds(
    *, slot_id: int | None = None, nik: str | None = None, limit: int = 500
) -> int:
    """End unpaid holds past their deadline and give their places back.

    Each booking is expired by a conditional UPDATE, so a place is freed once even when the
    worker and a booking request expire the same hold at the same moment.
    """
    overdue = Booking.objects.filter(
        status=BookingStatus.AWAITING_PAYMENT, pay_before__lte=clock.now()
    )
    if slot_id is not None:
        overdue = overdue.filter(slot_id=slot_id)
    if nik is not None:
        overdue = overdue.filter(nik=nik)
    expired = 0
    for booking in overdue.select_related("office")[:limit]:
        with transaction.atomic():
            before = lifecycle.snapshot(booking)
            if not lifecycle.change_status(booking, to=BookingStatus.EXPIRED):
                continue
            audit.record(
                action="booking.expired",
                obj=booking,
                actor_label="system",
                office=booking.office,
                before=before,
                after=lifecycle.snapshot(booking),
            )
            expired += 1
    return expired


def record_payment(*, body: bytes, signature: str) -> Booking:
    """Accept the gateway's signed notice: recorded whatever its outcome, the booking confirmed
    when it can be (see loket.booking.payments). Idempotent. The booking carries the Payment
    as `last_payment`."""
    payment = receive_payment_notice(body=body, signature=signature)
    booking = payment.booking
    booking.last_payment = payment
    return booking


def request_digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_idempotent(*, account: User, key: str | None, payload: dict, action) -> tuple[int, dict]:
    """Run `action()` -> (status, body) once per (account, key); a retry gets the stored answer.

    The key row is inserted in the same transaction as the action, so a concurrent retry waits
    on its unique index and then replays the answer instead of booking twice.
    """
    if not key:
        return action()
    key = key.strip()[:100]
    digest = request_digest(payload)

    def replay() -> tuple[int, dict] | None:
        record = IdempotencyRecord.objects.filter(account=account, key=key).first()
        if record is None:
            return None
        if record.request_digest != digest:
            raise IdempotencyKeyReused()
        return record.status_code, record.response

    stored = replay()
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                account=account,
                key=key,
                request_digest=digest,
                status_code=0,
                response={},
                created_at=clock.now(),
            )
            status, body = action()
            record.status_code, record.response = status, body
            record.save(update_fields=["status_code", "response"])
            return status, body
    except IntegrityError:
        stored = replay()
        if stored is None:
            raise
        return stored


def active_slot_usage(slot: CapacitySlot) -> int:
    return Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()
