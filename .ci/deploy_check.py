"""The README's "Deploying on PostgreSQL", run for real (`make deploy-check`, part of .ci/run).

On a throwaway PostgreSQL database, with production settings (LOKET_PRODUCTION=1 and fresh
secrets): `manage.py check --deploy`, `migrate`, `collectstatic`, `createsuperuser`, the demo
office (`load_demo`, so that every page has its users), then gunicorn with config/gunicorn.py
and the worker, as the README starts them. Every main page is then fetched as its user through
the front door (log-in forms with CSRF, the proxy's `X-Forwarded-Proto: https`), expecting 200,
and every static file those pages refer to must be served (the manifest storage's hashed
names). Everything is removed afterwards: the processes, the database, the temporary directory.

DEPLOY_CHECK_DATABASE_URL: the database to create and drop (default
postgres://postgres@127.0.0.1:5432/loket_deploy_check).
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loket_deploy_check"
HOST = "127.0.0.1"

# e-mail, password (README, "Demo accounts")
APPLICANT = ("pemohon@contoh.id", "pemohon-demo-2026")
ADMIN = ("admin@contoh.id", "admin-demo-2026")
DESK = ("meja@contoh.id", "meja-demo-2026")
COUNTER = ("loket1@contoh.id", "loket-demo-2026")
SUPERVISOR = ("supervisor@contoh.id", "supervisor-demo-2026")
KIOSK = ("kiosk@contoh.id", "loket-demo-2026")
COORDINATOR = ("koordinator@contoh.id", "koordinator-demo-2026")
HOTLINE = ("hotline@contoh.id", "hotline-demo-2026")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def admin_connection(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    return psycopg.connect(maintenance, autocommit=True), name


def recreate_database(database_url: str, *, create: bool) -> None:
    from psycopg import sql

    conn, name = admin_connection(database_url)
    with conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Browser:
    """A browser behind the TLS proxy: cookies (Secure ones too: the proxy speaks HTTPS to the
    real browser), CSRF tokens from the forms, redirects followed on this host."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        sent = {
            "Host": f"{HOST}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "id",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        conn.close()
        return response.status, response.headers, data

    def get(self, path: str, *, follow: int = 5):
        status, headers, data = self.request("GET", path)
        while status in (301, 302, 303) and follow:
            target = urlsplit(headers["Location"])
            path = target.path + (f"?{target.query}" if target.query else "")
            status, headers, data = self.request("GET", path)
            follow -= 1
        return status, path, data

    def log_in(self, login_path: str, credentials: tuple[str, str]) -> str:
        """Fill the log-in form; returns where it led (refused: still the log-in page)."""
        status, _path, page = self.get(login_path)
        if status != 200:
            raise CheckFailed(f"{login_path}: {status}")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            raise CheckFailed(f"{login_path}: no CSRF token in the form")
        form = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": credentials[0],
            "password": credentials[1],
        }
        status, headers, _data = self.request(
            "POST",
            login_path,
            urlencode(form).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}:{self.port}{login_path}",
            },
        )
        if status != 302:
            raise CheckFailed(f"log-in of {credentials[0]} at {login_path}: {status}")
        return headers["Location"]


class CheckFailed(Exception):
    pass


STATIC = re.compile(rb'(?:src|href)="(/static/[^"]+)"')


class Checker:
    def __init__(self, port: int):
        self.port = port
        self.pages = 0
        self.static: set[str] = set()
        self.failures: list[str] = []

    def pages_as(self, who: str, browser: Browser, paths: list[str]) -> None:
        for path in paths:
            status, final, body = browser.get(path)
            self.pages += 1
            if status != 200 or final.split("?")[0] != path.split("?")[0]:
                self.failures.append(f"{who} {path}: {status} (ended at {final})")
                continue
            for ref in STATIC.findall(body):
                self.static.add(ref.decode())
            print(f"  200 {path} ({who})", flush=True)

    def static_files(self) -> None:
        anonymous = Browser(self.port)
        for path in sorted(self.static):
            status, _headers, _data = anonymous.request("GET", path)
            if status != 200:
                self.failures.append(f"static {path}: {status}")
        print(f"  {len(self.static)} static files referred to by those pages: served", flush=True)


def run(cmd: list[str], env: dict) -> None:
    print("$", " ".join(cmd[1:] if cmd[0] == sys.executable else cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return
        time.sleep(0.3)
    raise CheckFailed(f"gunicorn did not answer on port {port} within {timeout}s")


def check_pages(port: int) -> Checker:
    check = Checker(port)
    anonymous = Browser(port)
    check.pages_as(
        "anonymous",
        anonymous,
        [
            "/",
            "/accounts/login/",
            "/accounts/register/",
            "/book/",
            "/book/KRW/",
            "/book/KRW/online/",
            "/outreach/eazy-passport/?office=KRW",
            "/office/login/",
            "/admin/login/",
            "/api/v1/docs",
            "/api/v1/openapi.json",
            "/healthz",
        ],
    )
    status, _h, body = anonymous.request("GET", "/api/v1/offices/KRW/availability?channel=online")
    days = json.loads(body) if status == 200 else []
    days = days.get("days", days) if isinstance(days, dict) else days
    open_day = next((d["date"] for d in days if d.get("status") == "open"), None)

    applicant = Browser(port)
    applicant.log_in("/accounts/login/", APPLICANT)
    check.pages_as(
        "applicant",
        applicant,
        ["/bookings/", "/accounts/family/", "/accounts/family/add/"]
        + ["/outreach/service-days/?office=KRW"]
        + ([f"/book/KRW/online/{open_day}/"] if open_day else []),
    )
    if open_day is None:
        check.failures.append("availability: no open day for the applicant's day page")

    for who, credentials, paths in (
        ("desk", DESK, ["/office/", "/office/KRW/desk/", "/office/KRW/walk-in/"]),
        ("counter", COUNTER, ["/office/KRW/counters/", "/office/KRW/counters/1/"]),
        (
            "supervisor",
            SUPERVISOR,
            [
                "/office/KRW/supervisor/",
                "/office/KRW/ledger/",
                "/office/KRW/board/",
                "/audit/?office=KRW",
                "/reports/?office=KRW",
                "/reports/monthly/?office=KRW",
                "/reports/planner/",
            ],
        ),
        ("kiosk", KIOSK, ["/office/KRW/kiosk/"]),
        ("coordinator", COORDINATOR, ["/outreach/staff/requests/?office=KRW"]),
        ("hotline", HOTLINE, ["/outreach/hotline/?office=KRW"]),
    ):
        staff = Browser(port)
        staff.log_in("/office/login/", credentials)
        check.pages_as(who, staff, paths)

    admin = Browser(port)
    admin.log_in("/admin/login/?next=/admin/", ADMIN)
    check.pages_as(
        "admin",
        admin,
        ["/admin/", "/admin/offices/office/", "/admin/booking/booking/", "/admin/accounts/user/"],
    )

    # The API as a client uses it: a supervisor's token and the reports.
    status, _h, body = anonymous.request(
        "POST",
        "/api/v1/auth/token",
        json.dumps({"email": SUPERVISOR[0], "password": SUPERVISOR[1]}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        check.failures.append(f"supervisor's API token: {status} {body[:200]!r}")
    check.static_files()
    return check


def main() -> int:
    database_url = os.environ.get("DEPLOY_CHECK_DATABASE_URL", DEFAULT_URL)
    started = time.monotonic()
    data_dir = tempfile.mkdtemp(prefix="loket-deploy-check-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKET_")}
    env.pop("REDIS_URL", None)
    env.update(
        {
            # The README's production environment.
            "DATABASE_URL": database_url,
            "LOKET_PRODUCTION": "1",
            "LOKET_SECRET_KEY": secrets.token_urlsafe(50),
            "LOKET_PAYMENT_SECRET": secrets.token_urlsafe(32),
            "LOKET_ALLOWED_HOSTS": f"{HOST},localhost",
            # Throwaway places for this run's files.
            "LOKET_DATA_DIR": data_dir,
            "LOKET_STATIC_ROOT": str(Path(data_dir) / "static"),
            "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
            "PYTHONPATH": str(ROOT),
        }
    )
    py = sys.executable
    processes: list[subprocess.Popen] = []
    try:
        recreate_database(database_url, create=True)
        run([py, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
        run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([py, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        run([py, "manage.py", "createsuperuser", "--noinput", "--email", "it@contoh.id"], env)
        run([py, "manage.py", "load_demo"], env)
        log = open(Path(data_dir) / "server.log", "wb")  # noqa: SIM115 - closed with the dir
        for cmd in (
            [py, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
            + ["--bind", f"{HOST}:{port}", "--workers", "2"],
            [py, "manage.py", "run_worker"],
        ):
            print("$", " ".join(cmd[1:]), flush=True)
            processes.append(
                subprocess.Popen(
                    cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
                )
            )
        wait_for(port)
        check = check_pages(port)
        if any(p.poll() is not None for p in processes):
            check.failures.append("gunicorn or the worker exited during the check")
        if check.failures:
            print("\n".join(["FAILED:"] + check.failures))
            print((Path(data_dir) / "server.log").read_text(errors="replace")[-3000:])
            return 1
        print(
            f"deploy check: OK, {check.pages} pages and {len(check.static)} static files "
            f"answered 200 in {time.monotonic() - started:.0f}s"
        )
        return 0
    except (CheckFailed, subprocess.CalledProcessError) as exc:
        print(f"deploy check FAILED: {exc}")
        with contextlib.suppress(OSError):
            print((Path(data_dir) / "server.log").read_text(errors="replace")[-3000:])
        return 1
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(Exception):
            recreate_database(database_url, create=False)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
