import datetime as dt
import re

import pytest

from loket.accounts.models import User
from loket.booking.models import Booking, BookingStatus
from loket.notifications.models import OutboxMessage
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import make_nik

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "dewi@contoh.id"
PASSWORD = "kopi-tubruk-1990"
BIRTH = dt.date(1995, 7, 21)


def submit(page):
    page.locator("main form[method=post] button[type=submit]").last.click()


def test_register_to_printed_proof(page, shoot, now):
    """Register, verify, add a person, book, pay (simulated), see and print the proof."""
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "id"
    shoot(page, "01-home")

    page.click("header a[href='/accounts/register/']")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    shoot(page, "02a-register")
    submit(page)

    page.wait_for_url("**/accounts/verify/")
    message = OutboxMessage.objects.filter(recipient=EMAIL).latest("id")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    page.fill("#id_code", code)
    shoot(page, "02b-verify")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_url("**/accounts/family/")
    assert User.objects.get(email=EMAIL).is_verified

    page.click("main a[href='/accounts/family/add/']")
    page.wait_for_url("**/accounts/family/add/")
    page.wait_for_load_state()  # htmx is initialised: typing now sends the live check
    page.fill("#id_nik", "32150")
    page.wait_for_selector("#id_nik_feedback:has-text('5')")  # "5 of 16 digits so far"
    page.fill("#id_nik", make_nik(BIRTH, "F"))
    page.wait_for_selector("#id_nik_feedback .field-feedback--ok")
    # The NIK fills birth date and sex (still editable): nothing typed twice.
    page.wait_for_function(f"document.querySelector('#id_birth_date').value === '{BIRTH}'")
    assert page.is_checked("#id_sex_1")  # perempuan
    page.fill("#id_name", "Dewi Lestari")
    page.fill("#id_phone", "081311112222")
    # The regency by its name, from the list offered while typing (no code to know).
    assert page.locator("#regency-list option[value='Kab. Karawang']").count() == 1
    page.fill("#id_domicile_regency", "Kab. Karawang")
    page.wait_for_selector("#id_domicile_regency_feedback .field-feedback--ok")
    assert "32.15" in page.inner_text("#id_domicile_regency_feedback")
    shoot(page, "03-add-person")
    submit(page)
    page.wait_for_url("**/accounts/family/")
    assert page.locator("main li strong", has_text="Dewi Lestari").is_visible()

    page.goto("/book/")
    shoot(page, "04-choose-office")
    page.click("main a[href='/book/KRW/']")
    page.click("main a[href='/book/KRW/online/']")
    shoot(page, "05-calendar")
    page.click("main a[href='/book/KRW/online/2026-12-03/']")
    shoot(page, "06-windows")
    page.click("main a[href='/book/KRW/online/2026-12-03/0900/']")
    page.check("#id_applicant_0")
    page.check("#id_application_type_0")
    page.select_option("#id_purpose", "tourism")
    page.check("#id_passport_type_1")
    shoot(page, "07-details")
    submit(page)
    page.wait_for_url("**/book/check/")
    shoot(page, "08-check")
    submit(page)

    page.wait_for_url("**/pay/")
    booking = Booking.objects.get(account__email=EMAIL)
    assert page.get_by_text(booking.billing_code).is_visible()
    countdown = page.locator("[data-countdown]")
    countdown.wait_for()
    assert re.search(r"1:59:\d\d|2:00:00", countdown.inner_text())  # the live countdown
    shoot(page, "09-pay")
    submit(page)  # simulate payment: the signed gateway notice

    page.wait_for_url("**/proof/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert page.get_by_text(booking.application_number).first.is_visible()
    assert page.locator(".qr svg").is_visible()
    shoot(page, "10-proof")

    page.emulate_media(media="print")
    assert not page.locator("header.header").is_visible()
    assert page.locator(".print-only").first.is_visible()
    assert page.locator(".qr svg").is_visible()
    shoot(page, "11-proof-print")
    page.pdf(path=str(SCREENSHOTS / "proof.pdf"), format="A4")
    page.emulate_media(media="screen")

    page.goto("/bookings/")
    assert page.locator("main dd", has_text=booking.code).is_visible()
    shoot(page, "12-my-bookings")

    # Cancelled, the proof page says so: no "terkonfirmasi", no QR code, no "Dibayar".
    page.click(f"main a[href='/bookings/{booking.code}/cancel/']")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bookings/")
    assert page.locator("main .tag--cancelled").first.is_visible()
    link = page.locator(f"main a[href='/bookings/{booking.code}/proof/']").inner_text()
    assert link.startswith("Rincian")  # details, no longer "Bukti pendaftaran"
    page.goto(f"/bookings/{booking.code}/proof/")
    main = page.inner_text("main")
    assert "Pendaftaran ini dibatalkan" in main
    assert "terkonfirmasi" not in main and "Dibayar" not in main
    assert page.locator(".qr svg").count() == 0
    shoot(page, "12b-proof-cancelled")


def test_page_works_without_javascript(browser, live_server, office):
    """With JavaScript off, the payment deadline is still shown and the forms still post."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/book/KRW/online/")
    page.click("main a[href='/book/KRW/online/2026-12-03/']")
    assert page.locator("main .windows li").count() == 7
    context.close()


def test_language_switch(page):
    """Bahasa Indonesia by default; English at a click; and back."""
    page.goto("/book/")
    assert page.locator("html").get_attribute("lang") == "id"
    page.click("button[name=language][value=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith("/book/")
    page.click("button[name=language][value=id]")
    page.wait_for_function("document.documentElement.lang === 'id'")


def test_keyboard_reaches_the_skip_link_first(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_family_form_works_without_javascript(browser, live_server, office, account, now):
    """No JavaScript: birth date and sex left empty come from the NIK, the regency is typed
    by name, and the person is saved."""
    from loket.accounts.models import Applicant

    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "budi@contoh.id")
    page.fill("#id_password", "rahasia-panjang-1")
    page.locator("main form button[type=submit]").click()
    page.goto("/accounts/family/add/")
    page.fill("#id_nik", make_nik(BIRTH, "F", serial=7))
    page.fill("#id_name", "Sari Lestari")
    page.fill("#id_phone", "081311113333")
    page.fill("#id_domicile_regency", "karawang")
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url("**/accounts/family/")
    person = Applicant.objects.get(account=account)
    assert (person.birth_date, person.sex, person.domicile_regency) == (BIRTH, "F", "3215")
    context.close()
