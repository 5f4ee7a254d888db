"""The content security policy, enforced, holds on every page: each main page of the applicant
site, the office day, outreach, reports (charts drawn), the audit trail, the Django admin and
the API docs is opened in Chromium as the demo user who would open it, and the browser reports
no violation (the `page` fixture fails the test on any, see conftest.watch_csp)."""

import datetime as dt

import pytest
from django.core.management import call_command

from loket.accounts.services import create_verified_account
from loket.booking.models import Booking, BookingStatus
from loket.demo.office import DEMO_ADMIN, DEMO_APPLICANT
from loket.demo.queue import DEMO_STAFF
from loket.offices.models import CapacityOverride, Channel
from loket.outreach.models import EmergencyCase, OutreachRequest, ServiceDayOccurrence
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 800}
SUPERVISOR = next((e, p) for e, p, role, _n in DEMO_STAFF if role == "supervisor")
KIOSK = next((e, p) for e, p, role, _n in DEMO_STAFF if role == "kiosk")
COORDINATOR = ("koordinator@contoh.id", "koordinator-demo-2026")
HOTLINE = ("hotline@contoh.id", "hotline-demo-2026")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is slow by design; the demo accounts only need a password that works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(office, now):
    """`manage.py load_demo` at the frozen clock: accounts, bookings, staff, outreach days."""
    call_command("load_demo", verbosity=0)


def visit(page, path: str, *, heading: bool = True) -> None:
    """Open `path`, expect a page that is not an error, and let its scripts run."""
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    if heading:
        assert page.locator("main, h1").first.is_visible(), path


def log_in(page, login_path: str, credentials: tuple[str, str]) -> None:
    page.context.clear_cookies()
    page.goto(login_path)
    page.fill("#id_username", credentials[0])
    page.fill("#id_password", credentials[1])
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").last.click()
    assert login_path not in page.url, f"log-in at {login_path} failed for {credentials[0]}"


def test_applicant_pages(page, demo, now):
    """Home, account pages, the booking journey, payment (htmx), proof, the waiting list."""
    for path in (
        "/",
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/password-reset/",
        "/outreach/service-days/?office=KRW",
        "/outreach/eazy-passport/?office=KRW",
    ):
        visit(page, path)
    log_in(page, "/accounts/login/", DEMO_APPLICANT)
    bookings = Booking.objects.filter(account__email=DEMO_APPLICANT[0])
    paid = bookings.filter(status=BookingStatus.CONFIRMED).first()
    held = bookings.filter(status=BookingStatus.AWAITING_PAYMENT).first()
    online = Channel.objects.get(office__code="KRW", code="online")
    day = (now + dt.timedelta(days=2)).date()
    # a full day: its waiting list can be joined
    full = day + dt.timedelta(days=7)
    CapacityOverride.objects.create(channel=online, date=full, capacity=0)
    for path in (
        "/accounts/family/",
        "/accounts/family/add/",
        "/accounts/devices/",
        "/book/",
        "/book/KRW/",
        "/book/KRW/online/",
        f"/book/KRW/online/{day.isoformat()}/",
        f"/book/KRW/online/{day.isoformat()}/0900/",
        f"/book/KRW/online/{full.isoformat()}/waitlist/",
        "/bookings/",
        f"/bookings/{paid.code}/",
        f"/bookings/{paid.code}/proof/",
        f"/bookings/{paid.code}/reschedule/",
        f"/bookings/{held.code}/pay/",
        f"/bookings/{paid.code}/cancel/",
        f"/bookings/{paid.code}/reschedule/{(day + dt.timedelta(days=1)).isoformat()}/",
        f"/accounts/family/{paid.applicant_id}/",
        f"/accounts/family/{paid.applicant_id}/remove/",
    ):
        visit(page, path)
    occurrence = ServiceDayOccurrence.objects.filter(channel__code="paten").first()
    visit(page, f"/outreach/service-days/{occurrence.pk}/book/")
    # the family form's live NIK check (htmx), for an account with room for another person
    create_verified_account(email="baru@contoh.id", password="rahasia-panjang-9")
    log_in(page, "/accounts/login/", ("baru@contoh.id", "rahasia-panjang-9"))
    page.goto("/accounts/family/add/")
    page.fill("#id_nik", "32150")
    page.wait_for_selector("#id_nik_feedback:has-text('5')")
    # the lock-out page after five wrong passwords (answered 429)
    page.context.clear_cookies()
    for _attempt in range(6):
        page.goto("/accounts/login/")
        page.fill("#id_username", "baru@contoh.id")
        page.fill("#id_password", "salah-sekali")
        with page.expect_navigation() as answer:
            page.locator("main form button[type=submit]").click()
    assert answer.value.status == 429 and page.locator("main h1").is_visible()


def test_office_day_pages(page, demo):
    """The supervisor's pages of the office day, the board, and the kiosk account's page."""
    page.set_viewport_size(DESKTOP)
    log_in(page, "/office/login/", SUPERVISOR)
    for path in (
        "/office/",
        "/office/KRW/desk/",
        "/office/KRW/walk-in/",
        "/office/KRW/counters/",
        "/office/KRW/counters/1/",
        "/office/KRW/supervisor/",
        "/office/KRW/ledger/",
        "/office/KRW/refunds/",
        "/office/KRW/desk/release-nik/",
        "/office/two-factor/",
        "/office/KRW/bap/",
        "/office/KRW/pickup/",
        "/office/KRW/board/",
        "/audit/",
        "/audit/?office=KRW",
    ):
        visit(page, path, heading=not path.endswith("/board/"))
    log_in(page, "/office/login/", KIOSK)
    visit(page, "/office/KRW/kiosk/")
    refused = page.goto("/office/KRW/desk/")  # the kiosk account opens the kiosk page only
    assert refused.status == 403 and page.locator("main").is_visible()


def test_outreach_pages(page, demo):
    """The coordinator's and the hotline officer's pages."""
    page.set_viewport_size(DESKTOP)
    log_in(page, "/office/login/", COORDINATOR)
    occurrence = ServiceDayOccurrence.objects.filter(channel__office__code="KRW").first()
    for path in (
        "/outreach/staff/requests/?office=KRW",
        "/outreach/staff/teams/?office=KRW",
        f"/outreach/staff/service-days/{occurrence.pk}/",
        "/outreach/staff/check-in/?office=KRW",
    ):
        visit(page, path)
    request = OutreachRequest.objects.first()
    if request is not None:
        visit(page, f"/outreach/staff/requests/{request.code}/")
    log_in(page, "/office/login/", HOTLINE)
    visit(page, "/outreach/hotline/?office=KRW")
    case = EmergencyCase.objects.first()
    if case is not None:
        visit(page, f"/outreach/hotline/{case.pk}/")


def test_reports_pages_draw_their_charts(page, demo):
    """Figures, the monthly report and the planner: Chart.js draws every chart."""
    page.set_viewport_size(DESKTOP)
    log_in(page, "/office/login/", SUPERVISOR)
    for path in ("/reports/?office=KRW", "/reports/monthly/?office=KRW", "/reports/planner/"):
        visit(page, path)
        canvases = page.locator("canvas")
        for i in range(canvases.count()):
            # Chart.js sized the canvas and bound it (a chart instance per canvas)
            assert canvases.nth(i).evaluate("c => !!Chart.getChart(c)"), (path, i)
    page.goto("/reports/?office=KRW")
    assert page.locator("canvas").count() > 0


def test_admin_and_api_docs(page, demo):
    """The Django admin (log-in, index, a changelist, a change form with inlines) and the API's
    Swagger page, served from django-ninja's own static files."""
    page.set_viewport_size(DESKTOP)
    visit(page, "/api/v1/docs", heading=False)
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock-summary").first.click()  # an operation opened and tried out
    page.locator("button.try-out__btn").first.click()
    page.locator("button.execute").first.click()
    page.locator(".live-responses-table").first.wait_for()
    visit(page, "/admin/login/")
    log_in(page, "/admin/login/", DEMO_ADMIN)
    office = Channel.objects.get(office__code="KRW", code="online").office
    for path in (
        "/admin/",
        "/admin/booking/booking/",
        "/admin/offices/office/",
        f"/admin/offices/office/{office.pk}/change/",
        "/admin/outreach/servicedayrule/",
        "/admin/accounts/user/",
        "/admin/outreach/servicedayrule/add/",  # date widgets (calendar, clock)
        "/admin/core/auditevent/",
    ):
        visit(page, path)
    # the admin's date picker opens under the policy
    page.goto("/admin/outreach/servicedayrule/add/")
    page.locator(".datetimeshortcuts a[id^=calendarlink]").first.click()
    page.locator(".calendarbox").first.wait_for()


def test_a_violation_fails_the_test(browser, live_server, office):
    """The watch itself: an inline style attribute on a page under the policy is reported."""
    from tests.browser.conftest import watch_csp

    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    violations = watch_csp(context)
    page = context.new_page()
    page.goto("/")
    page.evaluate(
        "() => { const d = document.createElement('div');"
        " d.innerHTML = '<p style=\"color:red\">x</p>'; document.body.appendChild(d); }"
    )
    page.wait_for_timeout(300)
    context.close()
    assert violations, "an inline style was not reported"
