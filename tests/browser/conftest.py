"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser)."""

import os
from pathlib import Path

import pytest

from tests.web.conftest import person  # noqa: F401  (a person on the demo account)

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# there (reading the outbox, setting up data) are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, office):
    """A 360 px wide phone page in Indonesian, against the live server with the demo office."""
    context = browser.new_context(
        viewport=PHONE, locale="id-ID", base_url=live_server.url, device_scale_factor=1
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/screenshots/; the page must fit 360 px."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width} px)"
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
