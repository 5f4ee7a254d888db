"""The background worker (manage.py run_worker) is killed (SIGKILL) again and again while it
sends the outbox, and started again.

Sending is at least once: a worker killed after a send and before marking the message sent
sends it again. Every attempt carries the same Message-ID (derived from the outbox row), and the
mailbox here keeps one copy per Message-ID, as a receiver that honours the key does: each message
is delivered exactly once to it, and every outbox row ends marked sent.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from loket.notifications.models import OutboxMessage
from loket.notifications.services import email_message_id, enqueue_message
from tests.chaos.harness import ROOT
from tests.chaos.sink import ATTEMPTS_LOG, file_name

pytestmark = [pytest.mark.postgres, pytest.mark.chaos]

MESSAGES = 240
SEND_SECONDS = 0.015  # the mailbox's pause after each message: where the kills land
MAX_KILLS = 5


class Worker:
    """manage.py run_worker in its own process group, on the test database."""

    def __init__(self, *, database_url: str, data_dir: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LOKET_DATA_DIR": str(data_dir),
            "LOKET_EMAIL_BACKEND": "tests.chaos.sink.OneFilePerMessageId",
            "LOKET_CHAOS_SINK_DELAY": str(SEND_SECONDS),
            "LOKET_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        self.log = data_dir / "worker.log"
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def worker(live_database_url, tmp_path):
    started = Worker(database_url=live_database_url, data_dir=tmp_path)
    yield started
    started.stop()


def unsent() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def test_every_outbox_message_is_delivered_once_through_worker_kills(worker, tmp_path, figures):
    for i in range(MESSAGES):
        enqueue_message(
            dedupe_key=f"chaos:{i}",
            recipient=f"pemohon{i}@contoh.id",
            subject=f"Pesan {i}",
            body="Jadwal Anda sudah tercatat.",
        )
    mailbox = tmp_path / "mail"
    worker.start()
    deadline = time.monotonic() + 90
    # Kill it whenever it has made some progress, until it is done or has been killed enough.
    while worker.kills < MAX_KILLS and time.monotonic() < deadline:
        before = unsent()
        if before == 0:
            break
        while time.monotonic() < deadline and unsent() > before - 25 and unsent() > 0:
            time.sleep(0.05)
        if unsent() == 0:
            break
        worker.kill()
        worker.start()
    while unsent() and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.stop()

    rows = list(OutboxMessage.objects.all())
    delivered = {p.name for p in mailbox.glob("*.eml")}
    attempts = (mailbox / ATTEMPTS_LOG).read_text().split() if mailbox.exists() else []
    figures.update(
        messages=len(rows),
        delivered=len(delivered),
        send_attempts=len(attempts),
        resends_absorbed=len(attempts) - len(set(attempts)),
        kills=worker.kills,
    )
    assert worker.kills >= 3, "the worker finished before it could be killed mid-send"
    assert all(row.sent_at is not None for row in rows), "a message was never marked sent"
    assert delivered == {file_name(email_message_id(row)) for row in rows}
    assert set(attempts) == {email_message_id(row) for row in rows}
    out = StringIO()
    call_command("check_ledger", stdout=out)
    figures["ledger"] = out.getvalue().strip()
