"""PostgreSQL goes down under load (killed, then a clean restart) and comes back.

It runs on a private PostgreSQL cluster (initdb into a temporary directory, its own port), so
crashing it harms no one else using the machine's server. The test's data (the demo office,
accounts, an open day, a logged-in session) is made in the pytest database and copied over with
pg_dump. While the database is away the API answers 503 `service_unavailable` with Retry-After and
the pages a calm 503 page, never a 500; clients retry with the same Idempotency-Key, and
afterwards every acknowledged booking exists once, the ledger is clean and amcheck finds the
tables and indexes intact.
"""

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from bench.load import booking_body
from bench.prepare import distinct_niks, make_accounts, prepare_day
from loket.accounts.models import User
from loket.demo import office as demo
from tests.chaos.harness import (
    RETRYABLE,
    KillableServer,
    PrivateCluster,
    Tally,
    free_port,
    manage,
    postgres_bindir,
    request,
    run_threads,
    send_until_answered,
)

pytestmark = [pytest.mark.postgres, pytest.mark.chaos]

CLIENTS = 8
ACCOUNTS = 30  # 5 people each
PLACES = 400  # enough for everyone: every booking should go through in the end
OUTAGES = ["immediate", "fast"]  # pg_ctl stop modes: a crash (recovery on start), then clean
OUTAGE_SECONDS = 2.0
PAGES = ["/book/KRW/online/", "/bookings/", "/"]


@pytest.fixture
def cluster():
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root needs runuser to start PostgreSQL as postgres")
    private = PrivateCluster(bindir=bindir, port=free_port())
    try:
        private.create()
    except subprocess.CalledProcessError as exc:
        private.destroy()
        pytest.skip(f"could not start a private PostgreSQL cluster: {exc.stderr[-300:]}")
    yield private
    private.destroy()


def copy_test_database(cluster: PrivateCluster, name: str) -> str:
    """pg_dump the pytest database (schema and the test's committed rows) into `name` on the
    private cluster; returns its URL."""
    source = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    subprocess.run(
        [str(cluster.bindir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port)]
        + ["-U", "postgres", "-q", "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    dump = subprocess.Popen(
        [str(cluster.bindir / "pg_dump"), "--no-owner", "--no-privileges"]
        + ["-h", source.get("HOST") or "127.0.0.1", "-p", str(source.get("PORT") or 5432)]
        + ["-U", source.get("USER") or "postgres", source["NAME"]],
        stdout=subprocess.PIPE,
        env=env,
    )
    restore = subprocess.run(
        [str(cluster.bindir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port)]
        + ["-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
        stdin=dump.stdout,
        capture_output=True,
        timeout=120,
    )
    dump.stdout.close()
    assert dump.wait(timeout=30) == 0, "pg_dump failed"
    assert restore.returncode == 0, restore.stderr[-500:]
    return cluster.url(name)


def test_a_database_restart_under_load_is_a_clear_503_and_loses_nothing(
    live_database_url, cluster, tmp_path, figures
):
    demo.load_office()
    day = prepare_day(places=PLACES)
    tokens = make_accounts(ACCOUNTS, prefix="outage")
    browser = Client()
    browser.force_login(User.objects.get(email="outage0@bench.loket"))
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    niks = distinct_niks()
    families = []
    for a, token in enumerate(tokens):
        family = []
        for i in range(5):
            nik, birth = next(niks)
            body = booking_body(day, day.windows[(a + i) % len(day.windows)], nik, birth)
            family.append(
                {"token": token, "body": json.dumps(body).encode(), "key": uuid.uuid4().hex}
            )
        families.append(family)
    url = copy_test_database(cluster, "loket_outage")
    server = KillableServer(database_url=url, data_dir=tmp_path, port=free_port({cluster.port}))
    try:
        server.start()
        _storm_through_outages(server, cluster, families, session, figures)
    finally:
        server.stop()

    booked = [job for family in families for job in family if job.get("status") == 201]
    codes = [job["code"] for job in booked]
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        found = db.execute(
            "SELECT count(*) FROM booking_booking WHERE code = ANY(%s) AND status = "
            "'awaiting_payment'",
            [codes],
        ).fetchone()[0]
        in_db = db.execute("SELECT count(*) FROM booking_booking").fetchone()[0]
        doubled = db.execute(
            "SELECT count(*) FROM (SELECT nik FROM booking_booking GROUP BY nik "
            "HAVING count(*) > 1) d"
        ).fetchone()[0]
    ledger = manage("check_ledger", database_url=url, data_dir=tmp_path, timeout=120)
    amcheck = subprocess.run(
        [str(cluster.bindir / "pg_amcheck"), "-h", "127.0.0.1", "-p", str(cluster.port)]
        + ["-U", "postgres", "--install-missing", "--heapallindexed", "loket_outage"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    figures.update(
        acknowledged=len(booked),
        found=found,
        in_database=in_db,
        doubled=doubled + len(codes) - len(set(codes)),
        ledger=ledger.stdout.strip() or ledger.stderr.strip()[-200:],
        amcheck="clean" if amcheck.returncode == 0 else amcheck.stdout[-200:],
    )
    everyone = ACCOUNTS * 5
    assert len(booked) == everyone, "every booking goes through once the database is back"
    assert found == in_db == everyone
    assert figures["doubled"] == 0
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    assert amcheck.returncode == 0, amcheck.stdout + amcheck.stderr


def _storm_through_outages(server, cluster, families, session, figures) -> None:
    api, pages = Tally(), Tally()
    pending: queue.Queue = queue.Queue()
    for family in families:
        pending.put(family)
    acks = [0]
    deadline = time.monotonic() + 120
    storm_over = threading.Event()

    def book(job: dict) -> None:
        answer = send_until_answered(
            server.base_url,
            "POST",
            "/api/v1/bookings",
            body=job["body"],
            headers={
                "Authorization": f"Bearer {job['token']}",
                "Idempotency-Key": job["key"],
                "Content-Type": "application/json",
            },
            tally=api,
            deadline=deadline,
        )
        if answer is not None:
            job["status"], job["code"] = answer.status, answer.body.get("code", "")
            acks[0] += 1

    def client(_i: int) -> None:
        while True:
            try:
                family = pending.get_nowait()
            except queue.Empty:
                return
            for job in family:
                book(job)

    def reader() -> None:
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
        while not storm_over.is_set():
            for path in PAGES:
                try:
                    pages.saw(request(server.base_url, "GET", path, headers=headers), path)
                except RETRYABLE as exc:
                    pages.failed(exc)
            time.sleep(0.05)

    def outages() -> None:
        for mode in OUTAGES:
            mark = acks[0]
            while acks[0] < mark + 25 and time.monotonic() < deadline:
                time.sleep(0.05)
            cluster.stop(mode)
            time.sleep(OUTAGE_SECONDS)
            cluster.start()
            figures.setdefault("database_restarts", []).append(mode)

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    restarter = threading.Thread(target=outages, daemon=True)
    for thread in [*readers, restarter]:
        thread.start()
    run_threads(CLIENTS, client, timeout=150)
    restarter.join(timeout=60)
    storm_over.set()
    for thread in readers:
        thread.join(timeout=20)

    # Every acknowledged booking replayed with its key once the database is back.
    replays = {}
    for family in families:
        for job in family:
            if job.get("status") == 201:
                answer = send_until_answered(
                    server.base_url,
                    "POST",
                    "/api/v1/bookings",
                    body=job["body"],
                    headers={
                        "Authorization": f"Bearer {job['token']}",
                        "Idempotency-Key": job["key"],
                        "Content-Type": "application/json",
                    },
                    tally=api,
                    deadline=time.monotonic() + 30,
                )
                replays[job["key"]] = answer.body.get("code") if answer else None
    figures.update(
        api_503=api.unavailable,
        page_503=pages.unavailable,
        api_answers=sum(api.answers.values()),
        page_answers=dict(pages.by_path),
        transport_errors=sum(api.transport_errors.values()) + sum(pages.transport_errors.values()),
    )
    assert figures.get("database_restarts") == OUTAGES
    assert not api.server_errors, api.server_errors[:3]
    assert not pages.server_errors, pages.server_errors[:3]
    assert not api.unclear_503 and not pages.unclear_503, (api.unclear_503 + pages.unclear_503)[:3]
    assert api.unavailable > 0, "no API client saw the outage: the test did not test it"
    assert pages.unavailable > 0, "no page saw the outage: the test did not test it"
    page_statuses = {key.split()[0] for key in pages.answers}
    assert page_statuses <= {"200", "503"}, pages.answers
    api_codes = {key for key in api.answers if key.startswith("503")}
    assert api_codes == {"503 service_unavailable"}, api.answers
    unanswered = [j for f in families for j in f if "status" not in j]
    assert not unanswered, f"{len(unanswered)} bookings never got an answer"
    refused = {j["code"] for f in families for j in f if j["status"] != 201}
    assert not refused, refused
    assert replays == {j["key"]: j["code"] for f in families for j in f if j["status"] == 201}, (
        "a retry returned another booking"
    )
