"""The supervisor's ledger check page, and the staff index's links for each role."""

import pytest
from django.conf import settings
from django.db.models import F
from django.urls import reverse

from loket.booking.services import cancel_booking
from loket.capacity.models import CapacitySlot
from loket.offices.models import Office
from loket.staff.models import StaffRole
from tests.queue.conftest import make_staff

pytestmark = pytest.mark.django_db


def ledger_url(code="KRW"):
    return reverse("queue:ledger", args=[code])


def test_a_clean_ledger_says_so_with_the_days_checked(client, booking, supervisor):
    """By default the check covers 30 days back to 90 days ahead, and says it is clean."""
    client.force_login(supervisor)
    response = client.get(ledger_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Clean: the ledger matches" in body
    assert "01-11-2026" in body and "01-03-2027" in body  # today 1 Dec 2026, -30 / +90 days
    assert "slots checked" in body


def test_drift_is_shown_with_the_slot_and_the_rows_pointing_at_it(
    client, booking, account, supervisor
):
    """A ledger row out of step with its bookings is listed, with the bookings behind it."""
    cancelled = cancel_booking(account=account, code=booking.code)
    # A slot changed behind the services' back: the ledger still counts the cancelled place.
    CapacitySlot.objects.filter(pk=booking.slot_id).update(used=F("used") + 1)
    client.force_login(supervisor)
    body = client.get(ledger_url()).content.decode()
    assert "Drift: 1 of" in body
    assert f"#{booking.slot_id}" in body
    assert "2026-12-03 09:00" in body
    assert "Taken according to the ledger" in body and "+1" in body
    assert cancelled.code in body and cancelled.get_status_display() in body


def test_the_range_is_checked(client, queue_office, supervisor):
    """A range that ends before it starts, or a date outside it, is reported, not run."""
    client.force_login(supervisor)
    body = client.get(ledger_url(), {"start": "2026-12-10", "end": "2026-12-01"}).content.decode()
    assert "error-summary" in body and "must not be before" in body
    assert "Clean: the ledger matches" not in body
    outside = client.get(ledger_url(), {"start": "2026-01-01", "end": "2026-12-31"})
    assert "Clean: the ledger matches" in outside.content.decode()
    too_long = client.get(ledger_url(), {"start": "2025-01-01", "end": "2026-12-31"})
    assert "at most 366 days" in too_long.content.decode()


def test_a_drift_in_another_office_is_not_shown_here(client, booking, supervisor):
    """The check covers the office in the URL only."""
    CapacitySlot.objects.filter(pk=booking.slot_id).update(used=F("used") + 1)
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    spv = make_staff(other, "spv-bdg@contoh.id", StaffRole.SUPERVISOR)
    client.force_login(spv)
    body = client.get(ledger_url("BDG")).content.decode()
    assert "Clean: the ledger matches" in body
    assert client.get(ledger_url("KRW")).status_code == 403


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(r, r in (StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN)) for r in StaffRole.values],
)
def test_only_supervisors_and_office_admins_open_the_ledger_page(
    client, queue_office, role, allowed
):
    client.force_login(make_staff(queue_office, f"{role}@contoh.id", role))
    assert client.get(ledger_url()).status_code == (200 if allowed else 403)


def test_the_ledger_page_is_in_bahasa_indonesia_by_default(client, queue_office, supervisor):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(supervisor)
    body = client.get(ledger_url()).content.decode()
    assert "Bersih: buku kuota cocok" in body


# --- the staff index ------------------------------------------------------------------------


def _links(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("staff:index")).content.decode()


def test_a_supervisor_s_index_links_reports_audit_and_ledger(client, queue_office, supervisor):
    body = _links(client, supervisor)
    assert reverse("reports:index") + "?office=KRW" in body
    assert reverse("audit:search") + "?office=KRW" in body
    assert ledger_url() in body
    assert reverse("outreach:hotline") + "?office=KRW" in body  # supervisors decide cases


def test_an_outreach_coordinator_s_index_links_their_outreach_pages(client, queue_office):
    coordinator = make_staff(queue_office, "koordinator@contoh.id", StaffRole.OUTREACH)
    body = _links(client, coordinator)
    assert reverse("outreach:staff_requests") + "?office=KRW" in body
    assert reverse("outreach:team_calendar") + "?office=KRW" in body
    assert reverse("outreach:check_in") + "?office=KRW" in body
    assert reverse("outreach:hotline") not in body
    assert reverse("reports:index") not in body and ledger_url() not in body


def test_a_hotline_officer_s_index_links_the_hotline(client, queue_office):
    hotline = make_staff(queue_office, "hotline@contoh.id", StaffRole.HOTLINE)
    body = _links(client, hotline)
    assert reverse("outreach:hotline") + "?office=KRW" in body
    assert reverse("outreach:check_in") + "?office=KRW" in body
    assert reverse("outreach:staff_requests") not in body
    assert reverse("reports:index") not in body and reverse("audit:search") not in body


def test_a_desk_officer_s_index_has_no_oversight_links(client, queue_office, desk):
    body = _links(client, desk)
    assert reverse("queue:desk", args=["KRW"]) in body
    assert reverse("reports:index") not in body
    assert reverse("audit:search") not in body
    assert ledger_url() not in body
    assert reverse("outreach:check_in") not in body  # the desk page takes outreach codes


def test_every_index_link_opens_for_its_role(client, queue_office):
    """Each link the index shows a role answers that role with a page, not a refusal."""
    import re

    for role in StaffRole.values:
        if role == StaffRole.KIOSK:
            continue  # a kiosk account is sent straight to its page
        user = make_staff(queue_office, f"link-{role}@contoh.id", role)
        body = _links(client, user)
        for href in re.findall(r'<a [^>]*href="(/[^"]+)"', body):
            href = href.replace("&amp;", "&")
            if "logout" in href or href == reverse("staff:index"):
                continue
            status = client.get(href).status_code
            assert status == 200, (role, href, status)
