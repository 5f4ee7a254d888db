"""A central site in a process of its own, for the office-node tests: its database (SQLite in a
temporary directory, or PostgreSQL), commands run against it, and its server started and
stopped (the link cut by stopping the server)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OFFICE_KEY = "kunci-kantor-karawang-uji-0123456789"


def free_port() -> int:
    """A port the kernel hands out (ephemeral, so not one another test run of this machine has
    just been given: a node must never reach another run's central site)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralSite:
    def __init__(self, *, data_dir: Path, day: str, database_url: str = "", **extra_env: str):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("LOKET_", "DATABASE_URL"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONPATH=str(ROOT),
            LOKET_DATA_DIR=str(data_dir),
            LOKET_SYNC_KEYS=f"KRW={OFFICE_KEY}",
            LOKET_TRAINING_DATE=day,
            LOKET_DEBUG="0",
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.env.update(extra_env)
        self.log = data_dir / "central.log"
        self.server: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def call(self, function: str, *args):
        """Run tests.sync.central_site.<function>(*args) against this site's database."""
        code = (
            "import django, json; django.setup(); from tests.sync import central_site; "
            f"print(json.dumps(central_site.{function}(*{args!r})))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
        ]

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "ab") as log:
            self.server = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.server.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError(f"{self.url} did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """The central site goes down (the link is cut)."""
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        self.server = None


def office_node(*, data_dir: Path, day: str, central: CentralSite) -> CentralSite:
    """An office node's processes (LOKET_ROLE=office) on their own SQLite database."""
    return CentralSite(
        data_dir=data_dir,
        day=day,
        LOKET_ROLE="office",
        LOKET_CENTRAL_URL=central.url,
        LOKET_OFFICE_CODE="KRW",
        LOKET_OFFICE_KEY=OFFICE_KEY,
        LOKET_SYNC_KEYS="",
        LOKET_SYNC_TIMEOUT="30",  # a stopped central site refuses at once; a loaded one is slow
    )


def popen(site: CentralSite, code_or_args: list[str], log_name: str) -> subprocess.Popen:
    log = open(site.log.parent / log_name, "ab")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=site.env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )


def recreate_database(url: str) -> str:
    """Drop and create the PostgreSQL database of `url` (a throwaway central site)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def copy_database(source: CentralSite, target: CentralSite) -> None:
    """Start `target` from a copy of `source`'s database (stopped): the same rows, the same
    ids. SQLite through the backup API (a consistent copy, WAL included); PostgreSQL as a new
    database made from the other as its template."""
    import sqlite3

    url = target.env.get("DATABASE_URL", "")
    if url:
        import psycopg

        name, template = url.rsplit("/", 1)[1], source.env["DATABASE_URL"].rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return
    paths = [Path(site.env["LOKET_DATA_DIR"]) / "loket.sqlite3" for site in (source, target)]
    origin, copy = sqlite3.connect(paths[0]), sqlite3.connect(paths[1])
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()
