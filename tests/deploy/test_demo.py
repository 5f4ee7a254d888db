"""An honest demo: history only up to yesterday, the future free but for the README's sample
bookings, and every demo account of the README's table working where the table says."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum

from loket.booking.models import ACTIVE_STATUSES, Booking
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.core.models import AuditEvent
from loket.reports.generator import GENERATED_EMAIL_DOMAIN
from tests.conftest import WIB

README = Path(__file__).resolve().parents[2] / "README.md"
# Monday 7 December 2026, 10:00 WIB: the day the issue saw the month's future filled.
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_demo() -> None:
    """What `make demo` runs (Makefile), with fewer generated bookings."""
    makefile = (README.parent / "Makefile").read_text()
    generate = re.search(r"manage\.py generate_year (.+)", makefile).group(1).split()
    assert "--last-days" in generate  # history, never the month's future
    generate[generate.index("--bookings") + 1] = "600"
    call_command("load_demo", stdout=io.StringIO())
    call_command("generate_year", *generate, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_demo_history_ends_yesterday_and_the_future_is_free(db, fast_passwords):
    """Generated history covers the 30 days before today: no booking dated today or later, no
    booking made and no audit event in the future; places from today on are taken only by the
    sample bookings (4 for the applicant, and the one for today)."""
    with clock.frozen_at(MONDAY):
        make_demo()
    today = MONDAY.date()
    generated = Booking.objects.filter(account__email__endswith=f"@{GENERATED_EMAIL_DOMAIN}")
    assert generated.count() > 300
    assert not generated.filter(date__gte=today).exists()
    assert generated.filter(date=today - dt.timedelta(days=1)).exists() or (
        (today - dt.timedelta(days=1)).weekday() >= 5
    )
    assert not Booking.objects.filter(created_at__gt=MONDAY).exists()
    assert not AuditEvent.objects.filter(at__gt=MONDAY).exists()
    future = CapacitySlot.objects.filter(date__gte=today, channel__office__code="KRW")
    sample = Booking.objects.filter(
        date__gte=today, status__in=ACTIVE_STATUSES, account__email="pemohon@contoh.id"
    )
    assert sample.count() == 5  # 4 sample bookings and today's
    assert future.aggregate(n=Sum("used"))["n"] == sample.count()


def demo_accounts() -> list[tuple[str, str, str]]:
    """(e-mail, password, where) of every row of the README's "Demo accounts" table."""
    text = README.read_text()
    table = text[text.index("### Demo accounts") :].split("\n\n")[1]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        emails = re.findall(r"`([^`]+@[^`]+)`", cells[1])
        password = cells[2].strip("`")
        where = re.search(r"(/[\w/.-]*)", cells[3].replace("http://127.0.0.1:8000", "")).group(1)
        rows += [(email, password, where) for email in emails]
    return rows


def test_every_demo_account_of_the_readme_works_where_the_readme_says(db, client):
    """Each account logs in on its page (the site's, the office's or the admin's log-in), opens
    the page the table names, and gets an API token (the supervisor's reports need one)."""
    with clock.frozen_at(MONDAY):
        call_command("load_demo", stdout=io.StringIO())
        accounts = demo_accounts()
        assert len(accounts) == 11
        for email, password, where in accounts:
            client.logout()
            if where.startswith("/admin/"):
                login = "/admin/login/"
            elif where.startswith("/accounts/"):
                login = "/accounts/login/"
            else:
                login = "/office/login/"
            answer = client.post(login, {"username": email, "password": password})
            assert answer.status_code == 302, (email, login)
            page = where if where != "/accounts/login/" else "/bookings/"
            if page.startswith("/outreach/"):
                page += "?office=KRW"
            assert client.get(page, follow=True).status_code == 200, (email, page)
            token = client.post(
                "/api/v1/auth/token",
                {"email": email, "password": password},
                content_type="application/json",
            )
            assert token.status_code == 200, (email, token.json())
        supervisor = client.post(
            "/api/v1/auth/token",
            {"email": "supervisor@contoh.id", "password": "supervisor-demo-2026"},
            content_type="application/json",
        ).json()["token"]
        figures = client.get(
            "/api/v1/reports/figures?office=KRW", HTTP_AUTHORIZATION=f"Bearer {supervisor}"
        )
        assert figures.status_code == 200
