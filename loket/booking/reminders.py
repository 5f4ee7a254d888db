"""The day-before reminder: an e-mail (and an SMS when the applicant has a phone) for every
confirmed booking whose appointment is tomorrow in its office's time zone."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from loket.booking.models import Booking, BookingStatus
from loket.booking.proofs import qr_payload as booking_qr_payload
from loket.core import clock
from loket.notifications import texts
from loket.notifications.models import OutboxMessage
from loket.notifications.services import enqueue_message
from loket.offices.models import Office


def reminder_keys(booking: Booking) -> tuple[str, str]:
    """Dedupe keys of a booking's reminder e-mail and SMS: one each per appointment date."""
    return (
        f"reminder:{booking.code}:{booking.date.isoformat()}",
        f"reminder-sms:{booking.code}:{booking.date.isoformat()}",
    )


def _reminder_texts(booking: Booking) -> dict[str, str]:
    zone = texts.zone_abbr(booking.office.time_zone)
    values = {
        "code": booking.code,
        "office": booking.office.name,
        "address": booking.office.address,
        "date": texts.office_day(booking.date),
        "start": f"{booking.window_start:%H:%M}",
        "end": f"{booking.window_end:%H:%M} {zone}",
        "number": booking.application_number or "",
        "name": booking.applicant.name,
    }
    return {
        "subject": _("Reminder: your appointment tomorrow, %(date)s") % values,
        "body": _(
            "Your appointment at %(office)s is tomorrow, %(date)s. Please arrive between "
            "%(start)s and %(end)s.\n\n"
            "Applicant: %(name)s\nApplication number: %(number)s\nBooking code: %(code)s\n"
            "Address: %(address)s\n\n"
            "Bring your e-KTP, your KK, your old passport if you have one, and the booking "
            "proof with its QR code (printed or on your phone)."
        )
        % values
        + "\n\n"
        + _("Your booking proof, to print or cancel or reschedule: %(url)s")
        % {"url": texts.link("web:proof", booking.code)},
        "sms": _(
            "Loket: appointment tomorrow %(date)s, %(start)s-%(end)s at %(office)s. "
            "Booking %(code)s. Bring e-KTP, KK and the QR proof."
        )
        % values,
    }


def send_appointment_reminders(now: dt.datetime | None = None) -> int:
    """Enqueue the reminders that are due; returns how many bookings were reminded.

    A booking is reminded once per appointment date, on the day before it in its office's
    time zone, from LOKET_REMINDER_HOUR (local) on. Written in Bahasa Indonesia: the
    recipient's language is not stored. Safe to call every round and from several workers:
    the outbox's dedupe keys make a second enqueue a no-op.
    """
    now = now or clock.now()
    reminder_hour = getattr(settings, "LOKET_REMINDER_HOUR", 8)
    reminded = 0
    for tz_name in (
        Office.objects.filter(is_active=True).values_list("time_zone", flat=True).distinct()
    ):
        local = now.astimezone(zoneinfo.ZoneInfo(tz_name))
        if local.hour < reminder_hour:
            continue
        tomorrow = local.date() + dt.timedelta(days=1)
        bookings = list(
            Booking.objects.filter(
                office__time_zone=tz_name,
                office__is_active=True,
                date=tomorrow,
                status=BookingStatus.CONFIRMED,
            )
            .select_related("office", "applicant", "account")
            .order_by("window_start", "id")
        )
        keys = [reminder_keys(b)[0] for b in bookings]
        done = set(
            OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        for booking in bookings:
            email_key, sms_key = reminder_keys(booking)
            if email_key in done:
                continue
            with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
                words = _reminder_texts(booking)
                enqueue_message(
                    dedupe_key=email_key,
                    recipient=booking.account.email,
                    subject=words["subject"],
                    body=words["body"],
                    qr_payload=booking_qr_payload(booking),
                )
                if booking.applicant.phone:
                    enqueue_message(
                        dedupe_key=sms_key,
                        recipient=booking.applicant.phone,
                        subject=words["subject"],
                        body=words["sms"],
                        channel=OutboxMessage.Channel.SMS,
                    )
            reminded += 1
    return reminded
