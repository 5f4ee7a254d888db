"""Checking a booking in at the desk or the kiosk: its first ticket of the day."""

import datetime as dt

from django.db import transaction

from loket.booking import lifecycle
from loket.booking.models import Booking, BookingStatus
from loket.booking.proofs import verify_qr
from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.identity.nik import normalize_nik
from loket.offices.models import Office
from loket.queue import domain
from loket.queue.errors import (
    AlreadyCheckedIn,
    ArrivedTooEarly,
    ArrivedTooLate,
    BookingCancelled,
    BookingExpired,
    BookingNotConfirmed,
    BookingNotFoundHere,
    CheckInRefused,
    KioskNoMatch,
    NikMismatch,
    NotBookedToday,
)
from loket.queue.models import LaneKind, OffWindowRule, Ticket
from loket.queue.office_setup import get_queue_settings
from loket.queue.tickets import _issue, _lane, _today


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
