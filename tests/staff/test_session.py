"""Staff sessions on shared PCs: an idle time-out, and two-factor (TOTP) login once on."""

import datetime as dt

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.core import clock
from loket.core.models import AuditEvent
from loket.staff import two_factor
from loket.staff.models import StaffRole
from tests.conftest import DEFAULT_NOW
from tests.queue.conftest import make_staff

PASSWORD = "rahasia-staf-123"


def staff_login(client, user):
    response = client.post("/office/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return response


def current_code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_staff_session_ends_after_the_idle_minutes(client, now, desk, settings):
    """30 idle minutes (configurable) on a shared PC: the next request is sent to log in."""
    assert settings.LOKET_STAFF_IDLE_MINUTES == 30
    staff_login(client, desk)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=29)):
        assert client.get("/office/KRW/desk/").status_code == 200
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=58)):
        assert client.get("/office/KRW/desk/").status_code == 200  # active 29 minutes ago
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=89)):
        response = client.get("/office/KRW/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/office/login/")
    # The session is over: signing in again is needed even at once.
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=90)):
        assert client.get("/office/KRW/desk/").status_code == 302


def test_the_idle_minutes_are_configurable(client, now, desk, settings):
    settings.LOKET_STAFF_IDLE_MINUTES = 5
    staff_login(client, desk)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=6)):
        assert client.get("/office/KRW/desk/").status_code == 302


def test_polling_does_not_keep_an_abandoned_session_alive(client, now, supervisor):
    """The live pages poll with htmx; that is not activity."""
    staff_login(client, supervisor)
    answers = []
    for minute in range(2, 40, 2):
        with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=minute)):
            response = client.get("/office/KRW/supervisor/", HTTP_HX_REQUEST="true")
        answers.append((minute, response.status_code))
        if response.status_code != 200:
            break
    assert answers[-1] == (32, 204)
    assert response["HX-Redirect"] == "/office/login/"


def test_applicants_are_not_timed_out(client, now, account):
    client.force_login(account)
    client.get("/accounts/family/")
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=5)):
        assert client.get("/accounts/family/").status_code == 200


def test_the_kiosk_account_is_not_timed_out(client, now, queue_office):
    kiosk = make_staff(queue_office, "kiosk@contoh.id", StaffRole.KIOSK)
    staff_login(client, kiosk)
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=3)):
        assert client.get("/office/KRW/kiosk/").status_code == 200


def next_window(device) -> None:
    """As if 30 seconds passed: a code is accepted once (replays are refused), and failures
    are throttled; the tests' codes come from the real time."""
    device.refresh_from_db()
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def turn_on(client, user) -> TOTPDevice:
    staff_login(client, user)
    page = client.get("/office/two-factor/")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/office/two-factor/", {"action": "on", "code": "000000"})
    assert wrong.status_code == 400
    next_window(device)
    response = client.post("/office/two-factor/", {"action": "on", "code": current_code(device)})
    assert response.status_code == 302, response.content.decode()[-1500:]
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_supervisor_turns_two_factor_on_and_then_needs_the_code(client, now, supervisor):
    device = turn_on(client, supervisor)
    assert AuditEvent.objects.filter(action="staff.two_factor_on").exists()
    client.logout()
    response = staff_login(client, supervisor)
    assert response["Location"] == "/office/login/code/"
    # Not signed in yet: staff pages still send to log in.
    assert client.get("/office/KRW/supervisor/").status_code == 302
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    assert client.post("/office/login/code/", {"code": wrong}).status_code == 400
    next_window(device)
    response = client.post("/office/login/code/", {"code": current_code(device)})
    assert response.status_code == 302
    assert client.get("/office/KRW/supervisor/").status_code == 200


def test_turning_two_factor_on_ends_the_other_sessions(client, now, supervisor):
    """A session left open on another PC is ended; the one that turned it on goes on."""
    other = Client()
    staff_login(other, supervisor)
    assert other.get("/office/KRW/supervisor/").status_code == 200
    turn_on(client, supervisor)
    assert client.get("/office/KRW/supervisor/").status_code == 200
    response = other.get("/office/KRW/supervisor/")
    assert response.status_code == 302 and response["Location"].startswith("/office/login/")


def test_turning_two_factor_off_ends_the_other_sessions(client, now, supervisor):
    device = turn_on(client, supervisor)
    other = Client()
    staff_login(other, supervisor)
    next_window(device)
    assert other.post("/office/login/code/", {"code": current_code(device)}).status_code == 302
    assert other.get("/office/KRW/supervisor/").status_code == 200
    next_window(device)
    response = client.post("/office/two-factor/", {"action": "off", "code": current_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert client.get("/office/KRW/supervisor/").status_code == 200
    assert other.get("/office/KRW/supervisor/").status_code == 302


def test_a_new_password_ends_the_other_sessions(client, now, supervisor):
    other = Client()
    staff_login(other, supervisor)
    staff_login(client, supervisor)
    response = client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "sandi-baru-yang-panjang-9",
            "new_password2": "sandi-baru-yang-panjang-9",
        },
    )
    assert response.status_code == 302, response.content[-800:]
    assert client.get("/office/KRW/supervisor/").status_code == 200
    assert other.get("/office/KRW/supervisor/").status_code == 302


def test_two_factor_cannot_be_skipped_through_another_login_page(client, now, supervisor):
    """A session signed in with the password only (the applicants' or the admin's login page)
    is ended once two-factor login is on."""
    turn_on(client, supervisor)
    client.logout()
    response = client.post("/accounts/login/", {"username": supervisor.email, "password": PASSWORD})
    response = client.get("/office/KRW/supervisor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/office/login/")
    client.logout()
    client.force_login(supervisor)
    assert client.get("/admin/").status_code == 302


def test_two_factor_is_for_supervisors_and_administrators(client, now, desk, queue_office):
    staff_login(client, desk)
    assert client.get("/office/two-factor/").status_code == 403
    admin = make_staff(queue_office, "admin@contoh.id", StaffRole.OFFICE_ADMIN)
    client.logout()
    staff_login(client, admin)
    assert client.get("/office/two-factor/").status_code == 200


def test_turning_two_factor_off_needs_a_current_code(client, now, supervisor):
    device = turn_on(client, supervisor)
    with pytest.raises(two_factor.CodeWrong):
        two_factor.turn_off(user=supervisor, code="000000")
    next_window(device)
    two_factor.turn_off(user=supervisor, code=current_code(device))
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


def test_a_database_failure_in_the_session_check_is_not_a_500(client, now, desk, monkeypatch):
    """The check runs before the view; a database that fails there leaves the answer to the
    view (a calm 503 when the database is really down: tests/chaos/test_database_restart.py)."""
    from django.db import OperationalError

    from loket.staff import session as staff_session

    client.force_login(desk)
    session = client.session
    session.pop(staff_session.INFO_KEY, None)
    session.save()

    def down(user):
        raise OperationalError("connection refused")

    monkeypatch.setattr(staff_session, "describe", down)
    assert client.get("/office/KRW/desk/").status_code == 200


def test_a_staff_session_ends_after_a_working_day_however_active(client, now, desk, settings):
    assert settings.LOKET_STAFF_SESSION_HOURS == 12
    staff_login(client, desk)
    for minutes in range(20, 12 * 60, 20):  # active all day, never idle
        with clock.frozen_at(DEFAULT_NOW + dt.timedelta(minutes=minutes)):
            assert client.get("/office/KRW/desk/").status_code == 200
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(hours=12, minutes=5)):
        assert client.get("/office/KRW/desk/").status_code == 302


@pytest.mark.parametrize("how", ["delete page", "delete selected"])
def test_removing_a_lost_device_in_the_admin_ends_the_officers_sessions(
    client, now, supervisor, queue_office, how
):
    """An administrator removes a supervisor's device (a lost phone): like turning two-factor
    off, the supervisor's sessions end; the administrator's own goes on, and the removal is
    audited."""
    device = turn_on(client, supervisor)
    assert client.get("/office/KRW/supervisor/").status_code == 200
    admin = make_staff(queue_office, "admin@contoh.id")
    admin.is_superuser = True
    admin.save()
    boss = Client()
    staff_login(boss, admin)
    assert boss.get("/admin/").status_code == 200
    if how == "delete page":
        url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
        response = boss.post(url, {"post": "yes"})
    else:
        response = boss.post(
            "/admin/otp_totp/totpdevice/",
            {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"},
        )
    assert response.status_code == 302, response.content.decode()[-800:]
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    response = client.get("/office/KRW/supervisor/")
    assert response.status_code == 302 and response["Location"].startswith("/office/login/")
    assert boss.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="admin.totpdevice.deleted").count() == 1


def test_an_administrator_removing_their_own_device_stays_signed_in(client, now, queue_office):
    """The administrator's own device, removed in the admin: their other sessions end, the
    one that removed it goes on."""
    admin = make_staff(queue_office, "admin@contoh.id", StaffRole.OFFICE_ADMIN)
    admin.is_superuser = True
    admin.save()
    device = turn_on(client, admin)
    other = Client()
    staff_login(other, admin)
    next_window(device)
    assert other.post("/office/login/code/", {"code": current_code(device)}).status_code == 302
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302
