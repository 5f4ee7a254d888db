"""The README's office-node walk-through (issue 16's "Done when"), done as its users do it.

Two real `make run` processes on one machine (`python -m config.run`: collectstatic, gunicorn,
the worker and, on the node, `run_sync`), each on its own SQLite database in a temporary
directory, on the training day. In Chromium: the office administrator opens same-day online
booking, an applicant books online at the central site and pays, the desk checks the booking in
at the node; the central site is stopped; the node says it is offline, the desk checks in the
demo's booking for today and issues a priority walk-in ticket, a counter officer calls it and
the board shows and says it; the central site is started again, the node catches up, and the
supervisor sees every visit of the day, once, in the central reports.

The test makes its own databases and never touches the test database: it runs on the SQLite
run of the suite and is skipped on the PostgreSQL one (it would run the same thing twice).
"""

import datetime as dt
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.browser.conftest import (
    PHONE,
    SCREENSHOTS,
    SPEECH_STUB,
    TV,
    assert_no_csp_violations,
    watch_csp,
)
from tests.sync.link import OFFICE_KEY, ROOT, CentralSite

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the walk-through runs its own SQLite central site and node, never the test "
    "database: the SQLite run of the suite covers it",
)

DAY = dt.date(2026, 12, 8)  # the training day (a Tuesday, no holiday near): any day runs it
DOCS = ROOT / "docs" / "screenshots"
WIDE = {"width": 1280, "height": 900}
APPLICANT_NIK = "3215016506950007"  # the README's API example: Dewi Lestari, 25-06-1995
ELDERLY_NIK = "3215011403500001"  # born 14-03-1950: the priority lane's elderly
OFFLINE = "Kantor sedang offline sejak"


def two_free_ports() -> tuple[int, int]:
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return a.getsockname()[1], b.getsockname()[1]


class MakeRun(CentralSite):
    """One `make run` on its own data directory: what `python -m config.run` starts."""

    def __init__(self, *, data_dir: Path, port: int, **extra_env: str):
        super().__init__(
            data_dir=data_dir,
            day=DAY.isoformat(),
            LOKET_STATIC_ROOT=str(data_dir / "static"),
            LOKET_GUNICORN_WORKERS="1",  # two sites, the browser and the test share 2 cores
            **extra_env,
        )
        self.env.pop("REDIS_URL", None)  # each its own cache, as on two machines
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database = data_dir / "loket.sqlite3"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "config.run", "--host", "127.0.0.1", f"--port={self.port}"]

    def query(self, sql: str) -> list[tuple]:
        """Read this site's database (what its own pages would show), read-only."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10) as db:
            return db.execute(sql).fetchall()


def migrate_both(*sites: MakeRun) -> None:
    """`make run`'s migrate step of both sites, side by side (each on its own database)."""
    running = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=site.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for site in sites
    ]
    for process in running:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors[-3000:]


def wait_until(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture
def sites(tmp_path):
    central_port, node_port = two_free_ports()
    central = MakeRun(
        data_dir=tmp_path / "central",
        port=central_port,
        LOKET_SYNC_KEYS=f"KRW={OFFICE_KEY}",
    )
    node = MakeRun(
        data_dir=tmp_path / "node",
        port=node_port,
        LOKET_ROLE="office",
        LOKET_CENTRAL_URL=central.url,
        LOKET_OFFICE_CODE="KRW",
        LOKET_OFFICE_KEY=OFFICE_KEY,
        LOKET_SYNC_KEYS="",
        LOKET_SYNC_TIMEOUT="3",
    )
    try:
        yield central, node
    finally:
        node.stop()
        central.stop()


@pytest.fixture
def open_page(browser):
    """A browser page of its own (its own cookies: each person at their own screen)."""
    contexts, violations, problems = [], [], []

    def open_(base_url: str, *, viewport=PHONE, init_script=None):
        context = browser.new_context(
            viewport=viewport, locale="id-ID", base_url=base_url, device_scale_factor=1
        )
        contexts.append(context)
        violations.append(watch_csp(context))
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert problems == [], problems
    assert_no_csp_violations([v for found in violations for v in found])


def staff_login(page, email: str, password: str, *, site: str = "") -> None:
    page.goto(f"{site}/office/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/office/login/" not in url)


def check_in(desk, code: str, nik: str) -> str:
    desk.goto("/office/KRW/desk/")
    desk.fill("#id_code", code)
    desk.locator("#find-form button[type=submit]").click()
    desk.wait_for_selector("#id_nik")
    desk.fill("#id_nik", nik)
    desk.locator("form[action$='/desk/check-in/'] button[type=submit]").click()
    desk.wait_for_selector(".ticket-number")
    return desk.locator(".ticket-number").inner_text()


def submit(page) -> None:
    page.locator("main form[method=post] button[type=submit]").last.click()


def banner_text(page, path: str) -> str:
    page.goto(path)
    banners = page.locator(".sync-banner")
    return " ".join(banners.all_inner_texts())


def test_the_office_keeps_serving_while_the_central_site_is_down(sites, open_page, shoot):
    """Booked online, checked in at the node; the central site down: the node says so and
    keeps checking in, issuing and calling (shown and spoken on the board); the central site
    back: the node catches up and the central day report counts every visit once."""
    started = time.monotonic()
    central, node = sites
    migrate_both(central, node)
    demo = central.manage("load_demo")
    todays = re.search(r"today's booking to check in: (\w+) \((.+), NIK (\d{16})\)", demo)
    assert todays, demo
    demo_code, demo_nik = todays.group(1), todays.group(3)
    central.start()
    node.start()
    wait_until(
        lambda: node.query("SELECT 1 FROM sync_nodestate WHERE last_ok_at IS NOT NULL"),
        seconds=30,
        what="the node's first contact with the central site",
    )

    # The office administrator opens same-day online booking (the demo opens from tomorrow).
    admin = open_page(central.url, viewport=WIDE)
    admin.goto("/admin/")
    admin.fill("#id_username", "admin@contoh.id")
    admin.fill("#id_password", "admin-demo-2026")
    admin.locator("#login-form [type=submit]").click()
    admin.wait_for_url(lambda url: "/login/" not in url)
    admin.goto("/admin/offices/channel/")
    admin.locator("#result_list tr", has_text="Janji temu online").locator("th a").click()
    admin.fill("#id_min_days_ahead", "0")
    admin.locator("input[name=_save]").click()
    admin.locator(".messagelist .success").wait_for()

    # An applicant books online at the central site for today, and pays.
    applicant = open_page(central.url)
    applicant.goto("/accounts/login/")
    applicant.fill("#id_username", "api@contoh.id")
    applicant.fill("#id_password", "api-demo-2026")
    applicant.locator("main form button[type=submit]").click()
    applicant.wait_for_url(lambda url: "/accounts/login/" not in url)
    applicant.goto("/accounts/family/add/")
    applicant.wait_for_load_state()
    applicant.fill("#id_nik", APPLICANT_NIK)
    applicant.wait_for_selector("#id_nik_feedback .field-feedback--ok")
    applicant.fill("#id_name", "Dewi Lestari")
    applicant.fill("#id_phone", "081234567890")
    applicant.fill("#id_domicile_regency", "Kab. Karawang")
    applicant.wait_for_selector("#id_domicile_regency_feedback .field-feedback--ok")
    submit(applicant)
    applicant.wait_for_url("**/accounts/family/")
    applicant.goto("/book/KRW/online/")
    applicant.click(f"main a[href='/book/KRW/online/{DAY}/']")
    applicant.click(f"main a[href='/book/KRW/online/{DAY}/0900/']")
    applicant.check("#id_applicant_0")
    applicant.check("#id_application_type_0")
    applicant.select_option("#id_purpose", "tourism")
    applicant.check("#id_passport_type_0")
    submit(applicant)
    applicant.wait_for_url("**/book/check/")
    submit(applicant)
    applicant.wait_for_url("**/pay/")
    submit(applicant)  # the demo's "simulate payment": the gateway's signed notice
    applicant.wait_for_url("**/proof/")
    number = re.search(r"KRW-\d{8}-\d{4}", applicant.inner_text("main")).group(0)

    # The desk, at the node, checks the booking in (the node has it within a round or two).
    wait_until(
        lambda: node.query(
            f"SELECT 1 FROM booking_booking WHERE application_number = '{number}' "
            "AND status = 'confirmed'"
        ),
        seconds=15,
        what="the new booking at the node",
    )
    desk = open_page(node.url)
    staff_login(desk, "meja@contoh.id", "meja-demo-2026")
    # One browser on both ports (cookies ignore the port): a login at the node leaves the
    # applicant logged in at the central site.
    staff_login(applicant.context.new_page(), "meja@contoh.id", "meja-demo-2026", site=node.url)
    applicant.goto("/bookings/")
    assert applicant.url == f"{central.url}/bookings/"
    assert OFFLINE not in banner_text(desk, "/office/KRW/desk/")
    assert check_in(desk, number, APPLICANT_NIK) == "A001"

    # The central site goes down (Ctrl-C on its `make run`).
    central.stop()
    offline = wait_until(
        lambda: OFFLINE in (text := banner_text(desk, "/office/KRW/desk/")) and text,
        seconds=15,
        what="the node's offline banner",
    )
    assert "The office is offline since" in offline

    # The office keeps working: a check-in, a priority walk-in, a call shown and spoken.
    assert check_in(desk, demo_code, demo_nik) == "A002"
    desk.goto("/office/KRW/walk-in/")
    desk.check("#id_lane_0")  # priority
    desk.fill("#id_name", "Ibu Sepuh")
    desk.fill("#id_nik", ELDERLY_NIK)
    desk.locator("main form button[type=submit]").click()
    desk.wait_for_selector(".ticket-number")
    assert desk.locator(".ticket-number").inner_text() == "P001"

    board = open_page(node.url, viewport=TV, init_script=SPEECH_STUB)
    board.goto("/office/KRW/board/")
    banner = board.locator(".sync-banner").first
    assert OFFLINE in banner.inner_text()
    colours = banner.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert colours[0] != colours[1], "the board's offline banner is unreadable"
    board.click("#board-sound")  # the one click when the TV is switched on
    counter = open_page(node.url, viewport=WIDE)
    staff_login(counter, "loket1@contoh.id", "loket-demo-2026")
    counter.goto("/office/KRW/counters/1/")
    counter.locator("#counter-sign-in button").click()
    call_next = counter.locator("#counter-panel button[accesskey='n']")
    call_next.wait_for()
    call_next.click()
    counter.locator("#counter-panel .ticket-number", has_text="P001").wait_for()
    board.locator("#now-ticket", has_text="P001").wait_for(timeout=5_000)
    sentence = "Nomor antrian P nol nol satu, silakan menuju loket satu"
    assert board.locator("body").get_attribute("data-last-announcement") == sentence
    board.locator("html[data-spoken='1']").wait_for(state="attached")
    assert board.evaluate("window.__spoken") == [{"text": sentence, "lang": "id-ID"}]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    board.screenshot(path=str(SCREENSHOTS / "node-03-board-offline.png"))

    offline = banner_text(desk, "/office/KRW/desk/")
    waiting = int(re.search(r"(\d+) perubahan menunggu", offline).group(1))
    assert waiting > 0, offline
    shoot(desk, "node-01-desk-offline")  # the phone-sized page, no sideways scrolling

    assert node.log.read_text().count("sync: link down") == 1  # once per outage, not per round

    # The central site comes back (`make run` again: the demo loads again, changing nothing).
    central.manage("load_demo")
    central.start()
    wait_until(
        lambda: OFFLINE not in banner_text(desk, "/office/KRW/desk/"),
        seconds=20,
        what="the node back online",
    )
    wait_until(
        lambda: node.query("SELECT COUNT(*) FROM sync_nodechange")[0][0] == 0,
        seconds=20,
        what="every change of the node sent",
    )

    # The supervisor, at the central site, sees the day's three visits, once.
    supervisor = open_page(central.url, viewport=WIDE)
    staff_login(supervisor, "supervisor@contoh.id", "supervisor-demo-2026")
    supervisor.goto("/office/")
    supervisor.click("main a[href^='/reports/']")
    supervisor.select_option("#id_period", "day")
    supervisor.locator("main form button[type=submit]").first.click()
    supervisor.locator("h1", has_text=f"{DAY:%d-%m-%Y}").wait_for()
    served = supervisor.locator("tr", has=supervisor.locator("td", has_text=re.compile("^served$")))
    assert served.first.locator("td").nth(2).inner_text() == "3"  # 2 bookings, 1 walk-in
    served.first.locator("xpath=ancestor::section[1]").screenshot(
        path=str(SCREENSHOTS / "node-02-central-report.png")
    )
    day = central.call("day_figures", DAY.isoformat())
    tickets = {f"{prefix}{number:03d}": code for _, prefix, number, _, code in day["tickets"]}
    assert sorted(tickets) == ["A001", "A002", "P001"]  # every ticket once
    assert tickets["A002"] == demo_code and tickets["P001"] is None
    assert day["bookings"].get("checked_in") == 2
    assert day["drift"] == []
    print(f"walk-through: {time.monotonic() - started:.0f} s")
