"""The audit search page and the masking of personal data in logs."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from loket.core import audit, clock
from loket.core.masking import MaskingFilter, mask_text
from loket.offices.models import Office
from loket.staff import services as staff_services
from loket.staff.models import StaffRole

pytestmark = pytest.mark.django_db
NIK = "3215010101900001"


def _staff(email, office, role):
    user = get_user_model().objects.create_user(
        email, "rahasia-staf-123", is_staff=True, email_verified_at=clock.now()
    )
    staff_services.grant_role(user=user, office=office, role=role)
    return user


@pytest.fixture
def events(office):
    other = Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")
    audit.record(
        action="ticket.called",
        obj=office,
        actor_label="spv@contoh.id",
        office=office,
        before={"nik": NIK, "phone": "081234567890"},
        after={"state": "called"},
    )
    audit.record(action="quota.changed", obj=other, actor_label="bdg@contoh.id", office=other)
    return other


def test_supervisor_sees_own_office_masked(client, office, events):
    """A supervisor sees their office's events, with the NIK and phone masked."""
    client.force_login(_staff("spv@contoh.id", office, StaffRole.SUPERVISOR))
    response = client.get(reverse("audit:search"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "ticket.called" in body and "quota.changed" not in body
    assert NIK not in body and "081234567890" not in body and "3215**********01" in body


def test_filters_and_other_office_refused(client, office, events):
    """Filtering by action narrows the list; asking for another office's trail is refused."""
    client.force_login(_staff("adm@contoh.id", office, StaffRole.OFFICE_ADMIN))
    response = client.get(reverse("audit:search"), {"action": "nothing-like-this"})
    assert "ticket.called" not in response.content.decode()
    assert client.get(reverse("audit:search"), {"office": "BDG"}).status_code == 403


def test_counter_officer_refused(client, office, events):
    client.force_login(_staff("loket@contoh.id", office, StaffRole.COUNTER))
    assert client.get(reverse("audit:search")).status_code == 403


def test_superuser_sees_every_office(client, office, events):
    root = get_user_model().objects.create_superuser("root@contoh.id", "rahasia-staf-123")
    client.force_login(root)
    body = client.get(reverse("audit:search")).content.decode()
    assert "ticket.called" in body and "quota.changed" in body


def test_admin_cannot_change_audit_events(client, office, events):
    """The audit trail is read-only in the admin, even for a superuser."""
    root = get_user_model().objects.create_superuser("root@contoh.id", "rahasia-staf-123")
    client.force_login(root)
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    event_id = audit.record(action="x", obj=office, actor_label="system").pk
    response = client.post(f"/admin/core/auditevent/{event_id}/delete/", {"post": "yes"})
    assert response.status_code == 403


def test_log_records_are_masked():
    """A NIK or a phone number in a log message or its arguments never reaches a handler."""
    record = logging.LogRecord(
        "loket",
        logging.INFO,
        __file__,
        1,
        "booking for %s phone %s",
        (NIK, "+62 812-3456-7890"),
        None,
    )
    assert MaskingFilter().filter(record)
    message = record.getMessage()
    assert NIK not in message and "3456" not in message and message.endswith("90")
    assert "3215**********01" in message  # the project's one NIK mask
    assert mask_text("at 2026-11-28 05:43:08.120083") == "at 2026-11-28 05:43:08.120083"


def test_logging_config_masks():
    """The installed LOGGING config carries the masking filter on its console handler."""
    from django.conf import settings

    assert "mask_personal_data" in settings.LOGGING["handlers"]["console"]["filters"]


def test_dates_are_the_offices_local_days(client, office):
    """An event at 06:30 WIB on 2 December (23:30 UTC on the 1st) is found on the 2nd only."""
    import datetime as dt

    moment = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        audit.record(action="quota.changed", obj=office, actor_label="x", office=office)
    client.force_login(_staff("spv2@contoh.id", office, StaffRole.SUPERVISOR))
    url = reverse("audit:search")
    on_2nd = client.get(url, {"office": office.code, "start": "2026-12-02", "end": "2026-12-02"})
    on_1st = client.get(url, {"office": office.code, "start": "2026-12-01", "end": "2026-12-01"})
    assert "quota.changed" in on_2nd.content.decode()
    assert "quota.changed" not in on_1st.content.decode()
