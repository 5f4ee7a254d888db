"""What the messages say: the link to act on, the proof's QR code, times with the office's
zone, a plain-text and an HTML part."""

import datetime as dt
import email as email_parser

import pytest
from django.core import mail

from loket.accounts.services import resend_verification
from loket.booking.proofs import verify_qr
from loket.booking.reminders import send_appointment_reminders
from loket.notifications.models import OutboxMessage
from loket.notifications.services import deliver_due_messages
from tests.conftest import WIB

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.LOKET_SITE_URL = "https://loket.contoh.id"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def sent_to(recipient: str, subject_part: str):
    return next(m for m in mail.outbox if m.to == [recipient] and subject_part in m.subject)


def test_the_hold_message_links_to_the_payment_with_wib(held):
    body = OutboxMessage.objects.get(dedupe_key=f"booking-created:{held.code}").body
    assert f"https://loket.contoh.id/bookings/{held.code}/pay/" in body
    assert "11:00 WIB" in body  # pay before 1 December 11:00 WIB
    assert "09:00-10:00 WIB" in body


def test_the_confirmation_carries_the_proof_link_and_its_qr_code(confirmed):
    deliver_due_messages()
    message = sent_to("budi@contoh.id", "confirmed")
    assert f"https://loket.contoh.id/bookings/{confirmed.code}/proof/" in message.body
    assert "WIB" in message.body and confirmed.application_number in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="https://loket.contoh.id/bookings/{confirmed.code}/proof/"' in html
    assert 'src="cid:qr-code"' in html
    parsed = email_parser.message_from_bytes(message.message().as_bytes())
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<qr-code>"
    assert images[0].get_payload(decode=True).startswith(b"\x89PNG")
    stored = OutboxMessage.objects.get(dedupe_key=f"booking-paid:{confirmed.code}")
    assert verify_qr(stored.qr_payload).pk == confirmed.pk  # the QR is the proof's


def test_every_email_has_a_plain_text_and_an_html_part(held):
    deliver_due_messages()
    assert mail.outbox
    for message in mail.outbox:
        assert message.body and message.alternatives[0][1] == "text/html"


def test_the_reminder_links_to_the_proof_with_wib_and_the_qr(confirmed):
    send_appointment_reminders(dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB))
    reminder = OutboxMessage.objects.get(dedupe_key__startswith="reminder:")
    assert f"https://loket.contoh.id/bookings/{confirmed.code}/proof/" in reminder.body
    assert "10:00 WIB" in reminder.body and reminder.qr_payload


def test_the_verification_code_links_to_where_it_is_entered(db):
    from loket.accounts.services import register_account

    register_account(email="ani@contoh.id", password="kopi-susu-2026")
    resend_verification(email="ani@contoh.id")
    for message in OutboxMessage.objects.filter(recipient="ani@contoh.id"):
        assert "https://loket.contoh.id/accounts/verify/" in message.body
