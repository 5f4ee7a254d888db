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
TV = {"width": 1280, "height": 720}
# Records what the board asks the browser to say (headless Chromium has no voices); the count is
# mirrored in <html data-spoken> so the test can wait on it with a locator.
SPEECH_STUB = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speak: function (u) {
    window.__spoken.push({text: u.text, lang: u.lang});
    document.documentElement.dataset.spoken = String(window.__spoken.length);
    setTimeout(function () { if (u.onend) u.onend(); }, 50);
  },
  getVoices: function () { return []; },
  cancel: function () {}
}});
"""


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


# Every page a test opens is watched for Content Security Policy violations: the document's
# `securitypolicyviolation` events (pushed to window.__cspViolations and reported to the test
# through an exposed function, so a navigation does not lose them) and the console lines
# Chromium writes for a violation (enforced or report-only).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var v = {
    directive: e.effectiveDirective || e.violatedDirective,
    blocked: e.blockedURI,
    source: e.sourceFile + ":" + e.lineNumber,
    sample: e.sample,
    page: document.location.pathname,
    disposition: e.disposition
  };
  window.__cspViolations.push(v);
  if (window.__reportCspViolation) { window.__reportCspViolation(v); }
}, true);
"""


def watch_csp(context) -> list:
    """Collect every CSP violation of the pages opened in `context` (a browser context)."""
    violations: list = []
    context.expose_function("__reportCspViolation", lambda v: violations.append(v))
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append({"console": message.text, "at": message.location})

    context.on("console", on_console)
    return violations


def assert_no_csp_violations(violations: list) -> None:
    if violations:
        listing = "\n".join(f"  - {v}" for v in violations)
        pytest.fail(f"{len(violations)} Content Security Policy violation(s):\n{listing}")


@pytest.fixture(autouse=True)
def enforced_csp(settings):
    """The browser tests run under the policy enforced (the default), whatever
    LOKET_CSP_ENFORCE says: a blocked script or style must show as a broken page too."""
    policy = (
        getattr(settings, "CONTENT_SECURITY_POLICY", None)
        or settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
    )
    assert "'unsafe-inline'" not in policy["DIRECTIVES"]["script-src"]
    assert "'unsafe-inline'" not in policy["DIRECTIVES"]["style-src"]
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None


@pytest.fixture
def page(browser, live_server, office):
    """A 360 px wide phone page in Indonesian, against the live server with the demo office.
    The test fails if any page it opened broke the content security policy."""
    context = browser.new_context(
        viewport=PHONE, locale="id-ID", base_url=live_server.url, device_scale_factor=1
    )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.csp_violations = violations
    yield page
    context.close()
    assert_no_csp_violations(violations)


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/screenshots/; the page must fit 360 px."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        page.wait_for_load_state()  # a click may have started a navigation
        width = page.evaluate("document.documentElement?.scrollWidth")
        if width is None:  # between two documents: wait for the new one
            page.wait_for_load_state()
            width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width} px)"
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
