"""The office closed today says so; training mode runs the office day on the next working day
through the one clock, and every staff page says it is training."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from loket.accounts.models import User
from loket.core import clock
from loket.demo import office as office_demo
from loket.demo import queue as queue_demo
from loket.queue import walk_ins
from loket.queue.errors import OfficeClosedToday
from loket.queue.models import LaneKind, StaffRole
from tests.conftest import WIB

# Sunday 6 December 2026, 10:15 WIB; Friday 25 December 2026 is Christmas.
SUNDAY = dt.datetime(2026, 12, 6, 10, 15, tzinfo=WIB)
CHRISTMAS = dt.datetime(2026, 12, 25, 10, 15, tzinfo=WIB)
ELDERLY = {"name": "Ibu Sepuh", "nik": "", "birth_date": dt.date(1950, 1, 1)}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_time(monkeypatch):
    """Set the real time (what the clock reads when nothing is frozen)."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))

    return set_to


def load_demo_office():
    office = office_demo.load_office()
    queue_demo.load_queue_demo()
    from loket.queue.models import StaffMembership

    desk = StaffMembership.objects.get(office=office, role=StaffRole.DESK).user
    return office, desk


@pytest.mark.parametrize(
    ("moment", "reason_en", "reason_id"),
    [(SUNDAY, "Sunday", "Minggu"), (CHRISTMAS, "Christmas", "Natal")],
)
def test_a_priority_walk_in_on_a_closed_day_is_told_the_office_is_closed(
    db, moment, reason_en, reason_id
):
    """Not "the priority quota is used up": the office is closed, and why."""
    with clock.frozen_at(moment):
        office, desk = load_demo_office()
        with pytest.raises(OfficeClosedToday) as refused:
            walk_ins.issue_walk_in_ticket(
                office=office, lane_kind=LaneKind.PRIORITY, officer=desk, **ELDERLY
            )
        assert "closed today" in str(refused.value) and reason_en in str(refused.value)
        with translation.override("id"):
            with pytest.raises(OfficeClosedToday) as refused:
                walk_ins.issue_walk_in_ticket(
                    office=office, lane_kind=LaneKind.LOST_DAMAGED, officer=desk, **ELDERLY
                )
            assert "Kantor tutup hari ini" in str(refused.value)
            assert reason_id in str(refused.value)


def test_the_desk_and_walk_in_pages_say_the_office_is_closed_and_how_to_train(db, client):
    with clock.frozen_at(SUNDAY):
        office, desk = load_demo_office()
        client.force_login(desk)
        for path in ("/office/KRW/desk/", "/office/KRW/walk-in/"):
            page = client.get(path).content.decode()
            assert "The office is closed today (Sunday)" in page, path
            assert "LOKET_TRAINING_DATE=next-working-day" in page
            assert "Mode latihan / Training" not in page
        page = client.post(
            "/office/KRW/walk-in/",
            {"lane": "priority", "name": "Ibu Sepuh", "birth_date": "1950-01-01"},
        ).content.decode()
        assert "quota" not in page


def test_training_mode_runs_the_office_day_on_the_next_working_day(db, client, settings, real_time):
    """On a Sunday, LOKET_TRAINING_DATE=next-working-day: the clock says Monday at the real
    time of day; a priority walk-in gets its ticket, the board's clock shows the same time, and
    every staff page (desk, reports, outreach, admin) says "Mode latihan / Training"."""
    real_time(SUNDAY)
    settings.LOKET_TRAINING_DATE = "next-working-day"
    assert clock.local_today("Asia/Jakarta") == dt.date(2026, 12, 7)
    assert clock.local_now("Asia/Jakarta").time() == SUNDAY.time()
    assert clock.training_day() == dt.date(2026, 12, 7)
    office, desk = load_demo_office()
    ticket = walk_ins.issue_walk_in_ticket(
        office=office, lane_kind=LaneKind.PRIORITY, officer=desk, **ELDERLY
    )
    assert ticket.date == dt.date(2026, 12, 7)
    client.force_login(desk)
    board = client.get("/office/KRW/board/data/").json()
    assert board["now"] == "10:15"
    desk_page = client.get("/office/KRW/desk/").content.decode()
    assert "Mode latihan / Training" in desk_page
    assert "closed today" not in desk_page
    supervisor = User.objects.get(email="supervisor@contoh.id")
    client.force_login(supervisor)
    for path in ("/office/KRW/supervisor/", "/reports/?office=KRW", "/audit/?office=KRW"):
        assert "Mode latihan / Training" in client.get(path).content.decode(), path
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    client.force_login(User.objects.get(email="hotline@contoh.id"))
    assert "Mode latihan / Training" in client.get("/outreach/hotline/?office=KRW").content.decode()
    client.force_login(User.objects.get(email="admin@contoh.id"))
    assert "Mode latihan / Training" in client.get("/admin/").content.decode()


def test_training_on_a_given_date_and_off_by_default(db, settings, real_time):
    real_time(SUNDAY)
    assert clock.training_day() is None
    assert clock.local_today("Asia/Jakarta") == SUNDAY.date()
    settings.LOKET_TRAINING_DATE = "2026-12-09"
    assert clock.local_today("Asia/Jakarta") == dt.date(2026, 12, 9)
    real_time(CHRISTMAS)  # a holiday: the next working day is after it
    settings.LOKET_TRAINING_DATE = "next-working-day"
    assert clock.local_today("Asia/Jakarta").weekday() < 5
    assert clock.local_today("Asia/Jakarta") > CHRISTMAS.date()


def test_production_refuses_training_mode():
    env = {
        **os.environ,
        "LOKET_PRODUCTION": "1",
        "LOKET_SECRET_KEY": "a-real-secret-for-this-test-only-0123456789",
        "LOKET_PAYMENT_SECRET": "another-real-secret",
        "LOKET_TRAINING_DATE": "next-working-day",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "LOKET_TRAINING_DATE" in done.stderr
