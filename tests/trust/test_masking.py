"""Masking (UU 27/2022): log lines carry no NIK, phone, e-mail or name; staff lists show a
masked NIK; the report exports hold figures only."""

import logging

from django.urls import reverse

from loket.core.masking import MaskingFilter, mask_log_text
from loket.outreach import eazy_passport
from loket.outreach import hotline as outreach_hotline
from loket.queue.models import StaffRole
from tests.outreach.conftest import make_staff
from tests.outreach.test_requests import csv_of, data


def _masked(message: str, *args) -> str:
    record = logging.LogRecord("loket", logging.WARNING, __file__, 1, message, args, None)
    assert MaskingFilter().filter(record)
    return record.getMessage()


def test_log_lines_lose_names_emails_and_the_failing_row():
    """Names can't be found in free text, so the filter drops what names are logged with:
    name-like keys, e-mail addresses and the whole row PostgreSQL quotes in an error."""
    line = _masked("ticket %s issued: name=%s, nik=%s", "A001", "Budi Santoso", "3215011708010001")
    assert "Budi" not in line and "3215011708010001" not in line and "A001" in line
    assert "Budi" not in _masked('{"applicant_name": "Budi Santoso", "status": "waiting"}')
    assert "Sari" not in _masked("caller_name='Ibu Sari' phone 081298765432")
    login = _masked(
        "AXES: New login failure by {username: 'budi@contoh.id', ip_address: '10.0.0.1'}"
    )
    assert "budi@contoh.id" not in login and "10.0.0.1" in login
    error = _masked(
        'new row for relation "outreach_emergencycase" violates check constraint '
        '"emergency_nik_digits"\nDETAIL:  Failing row contains (7, Ibu Sari, 0812 9876 5432, '
        "Pak Darto (ayah), 3215).\n"
    )
    assert "Sari" not in error and "Darto" not in error and "emergency_nik_digits" in error
    assert "Failing row contains (...)" in error
    # Times, dates, amounts and codes stay readable.
    assert mask_log_text("GET /api/v1/slots?date=2026-12-03 200 in 12.5 ms at 09:10:01") == (
        "GET /api/v1/slots?date=2026-12-03 200 in 12.5 ms at 09:10:01"
    )


def test_the_sms_logging_sender_writes_no_number(caplog):
    from loket.notifications.models import OutboxMessage
    from loket.notifications.services import LoggingSender

    message = OutboxMessage(channel="sms", recipient="081234567890", subject="Kode KRW123")
    with caplog.at_level(logging.INFO):
        LoggingSender().send(message)
    assert "081234567890" not in caplog.text and "KRW123" in caplog.text


def test_the_participant_list_shows_masked_niks(client, office):
    """The coordinator's page of an Eazy Passport request lists names with masked NIKs."""
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(25)
    )
    nik = request.participants.order_by("row_number")[0].nik
    client.force_login(make_staff("koordinator@contoh.id", office, StaffRole.OUTREACH))
    page = client.get(reverse("outreach:staff_request", args=[request.code])).content.decode()
    assert "Peserta 1" in page
    assert nik not in page and f"{nik[:4]}**********{nik[-2:]}" in page


def test_hotline_list_shows_no_nik_or_phone_and_the_case_page_does_for_its_roles(client, office):
    """The recent-cases list names the applicant only; the case page, for the hotline officer
    and the supervisor who decide on it, shows the NIK and the caller's phone."""
    hotline = make_staff("hotline@contoh.id", office, StaffRole.HOTLINE)
    case = outreach_hotline.record_emergency_case(
        office=office,
        actor=hotline,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik="3215014204800001",
        applicant_name="Pak Darto",
        domicile_regency="3215",
        reason="medical_abroad",
    )
    client.force_login(hotline)
    listing = client.get(reverse("outreach:hotline"), {"office": office.code}).content.decode()
    assert "Pak Darto" in listing
    assert case.nik not in listing and "081298765432" not in listing
    detail = client.get(reverse("outreach:hotline_case", args=[case.pk])).content.decode()
    assert case.nik in detail and "081298765432" in detail


def test_the_admin_shows_masked_niks_and_phones(client, office, now):
    """Tickets, emergency cases and Eazy Passport participants in the admin: NIK and phone
    masked, the KK or letter number of a passport's collector not shown."""
    from django.contrib.auth import get_user_model

    from loket.queue import office_setup, walk_ins
    from loket.queue.models import LaneKind

    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    boss = make_staff(
        "spv@contoh.id", office, StaffRole.SUPERVISOR, StaffRole.DESK, StaffRole.HOTLINE
    )
    ticket = walk_ins.issue_walk_in_ticket(
        office=office,
        lane_kind=LaneKind.LOST_DAMAGED,
        name="Orang Hilang",
        nik="3215011205900007",
        officer=boss,
    )
    case = outreach_hotline.record_emergency_case(
        office=office,
        actor=boss,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik="3215014204800001",
        applicant_name="Pak Darto",
        domicile_regency="3215",
        reason="medical_abroad",
    )
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(), participants_file=csv_of(25)
    )
    nik = request.participants.order_by("row_number")[0].nik
    admin = get_user_model().objects.create_superuser("root@contoh.id", "rahasia-root-2026")
    client.force_login(admin)
    pages = {
        "3215011205900007": reverse("admin:queue_ticket_change", args=[ticket.pk]),
        "3215014204800001": reverse("admin:outreach_emergencycase_change", args=[case.pk]),
        nik: reverse("admin:outreach_outreachrequest_change", args=[request.pk]),
    }
    for secret, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert secret not in page and f"{secret[:4]}**********{secret[-2:]}" in page, url
    assert "081298765432" not in client.get(pages["3215014204800001"]).content.decode()


def test_gunicorn_access_lines_carry_no_query_string():
    """The NIK check of the family form sends the NIK in the query string: gunicorn's access
    log (outside Django's masking filter) writes the path only."""
    import runpy
    from pathlib import Path

    from django.conf import settings

    config = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "gunicorn.py"))
    line_format = config["access_log_format"]
    assert "%(U)s" in line_format
    assert not any(part in line_format for part in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"))
