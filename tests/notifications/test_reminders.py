"""The day-before reminder: once per booking, on the day before in the office's time zone."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from loket.booking.reminders import send_appointment_reminders
from loket.booking.services import cancel_booking
from loket.core import clock
from loket.notifications.models import OutboxMessage
from loket.notifications.services import deliver_due_messages
from tests.conftest import WIB

UTC = dt.UTC


def reminders():
    return OutboxMessage.objects.filter(dedupe_key__startswith="reminder")


@pytest.mark.django_db
def test_a_confirmed_booking_is_reminded_once_on_the_day_before(confirmed):
    """Wednesday 08:00 WIB, a Thursday appointment: one e-mail and one SMS, never again."""
    assert send_appointment_reminders(clock.now()) == 0  # Tuesday: too early
    wednesday = dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)
    assert send_appointment_reminders(wednesday) == 1
    assert send_appointment_reminders(wednesday + dt.timedelta(hours=3)) == 0
    email = reminders().get(channel="email")
    sms = reminders().get(channel="sms")
    assert email.recipient == "budi@contoh.id"
    assert sms.recipient == "081234567890"
    assert confirmed.application_number in email.body
    assert "09:00" in email.body and confirmed.code in sms.body


@pytest.mark.django_db
def test_the_reminder_is_in_bahasa_indonesia(confirmed):
    """The recipient's language is not stored: reminders are written in Bahasa Indonesia."""
    send_appointment_reminders(dt.datetime(2026, 12, 2, 9, 0, tzinfo=WIB))
    email = reminders().get(channel="email")
    assert email.subject == "Pengingat: jadwal Anda besok, Kamis, 3 Desember 2026"
    assert "Silakan datang antara pukul 09:00" in email.body
    assert "Bawa e-KTP" in reminders().get(channel="sms").body


@pytest.mark.django_db
def test_not_before_the_reminder_hour_of_the_office(confirmed, settings):
    settings.LOKET_REMINDER_HOUR = 8
    assert send_appointment_reminders(dt.datetime(2026, 12, 2, 7, 59, tzinfo=WIB)) == 0
    assert send_appointment_reminders(dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)) == 1


@pytest.mark.django_db
def test_the_day_before_is_counted_in_the_office_time_zone(confirmed, settings):
    """00:30 WIB on Wednesday is still Tuesday in UTC; the office's calendar decides."""
    settings.LOKET_REMINDER_HOUR = 0
    tuesday_night_wib = dt.datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 23:30 WIB Tuesday
    assert send_appointment_reminders(tuesday_night_wib) == 0
    wednesday_wib = dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 00:30 WIB Wednesday
    assert send_appointment_reminders(wednesday_wib) == 1


@pytest.mark.django_db
def test_unpaid_and_cancelled_bookings_are_not_reminded(held, account):
    wednesday = dt.datetime(2026, 12, 2, 9, 0, tzinfo=WIB)
    assert send_appointment_reminders(wednesday) == 0  # awaiting payment
    cancel_booking(account=account, code=held.code)
    assert send_appointment_reminders(wednesday) == 0
    assert not reminders().exists()


@pytest.mark.django_db
def test_the_worker_enqueues_and_delivers_the_reminder(confirmed, monkeypatch):
    from loket.notifications.management.commands import run_worker

    # The test's connection holds its transaction: the worker must not close it.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    mail.outbox.clear()
    with clock.frozen_at(dt.datetime(2026, 12, 2, 9, 0, tzinfo=WIB)):
        call_command("run_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
        call_command("run_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("Pengingat: jadwal Anda besok, Kamis, 3 Desember 2026") == 1
    assert reminders().filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_delivering_twice_sends_the_reminder_once(confirmed):
    with clock.frozen_at(dt.datetime(2026, 12, 2, 9, 0, tzinfo=WIB)):
        send_appointment_reminders(clock.now())
        mail.outbox.clear()
        deliver_due_messages()
        send_appointment_reminders(clock.now())
        deliver_due_messages()
    assert len([m for m in mail.outbox if m.subject.startswith("Pengingat")]) == 1
