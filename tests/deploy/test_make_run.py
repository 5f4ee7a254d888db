"""`make run` serves like production: a burst of 200 clients is answered, every one of them.

The server is what `make run` starts (`python -m config.run`: collectstatic, gunicorn with
config/gunicorn.py, the worker) on a fresh embedded SQLite database and a free port. SQLite
only: `make run` uses the embedded database (the suite's PostgreSQL run skips it).
"""

import asyncio
import concurrent.futures
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from bench import burst

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="make run serves the embedded SQLite database"
)

CLIENTS = 200
PLACES = 120


@pytest.fixture
def make_run():
    with tempfile.TemporaryDirectory(prefix="loket-make-run-") as data_dir:
        env, setup = burst.prepare_make_run(data_dir, clients=CLIENTS, places=PLACES)
        server = burst.MakeRun(env=env, log=Path(data_dir) / "run.log")
        server.start(timeout=90)
        try:
            yield server, setup
        finally:
            server.stop()


def test_a_burst_of_200_clients_is_answered_and_ctrl_c_stops_everything(make_run):
    """200 simultaneous bookings, each on its own connection: every one gets an answer (201 or
    409, or 429/503 with Retry-After), none is reset; the day's places are taken exactly; static
    files are served; Ctrl-C stops the server and the worker."""
    server, setup = make_run
    assert len(server.processes()) >= 4  # the launcher, gunicorn's master and worker(s), the worker
    # In a thread of its own: a browser test earlier in this worker may leave an event loop
    # running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(
            asyncio.run,
            burst.burst(
                base_url=server.base_url,
                day=setup["day"],
                tokens=setup["tokens"],
                people=burst.people_for(CLIENTS),
                timeout=90,
            ),
        ).result()
    assert result.connections_dropped == 0, result.summary()
    assert result.answered == CLIENTS, result.summary()
    assert result.unexpected == 0 and result.without_retry_after == 0, result.summary()
    assert result.created == PLACES, result.summary()
    with urllib.request.urlopen(f"{server.base_url}/static/queue/queue.css", timeout=10) as r:
        assert r.status == 200 and b"{" in r.read()

    status, lingering = server.stop()
    assert status == 0
    assert lingering == []


def readme_api_walkthrough(base_url: str) -> str:
    """The README's "Booking through the API, step by step" shell block, aimed at `base_url`."""
    readme = (burst.ROOT / "README.md").read_text()
    section = readme[readme.index("## Booking through the API, step by step") :]
    block = section[section.index("```sh\n") + 6 : section.index("\n```", section.index("```sh"))]
    assert "BASE=http://127.0.0.1:8000\n" in block
    return block.replace("BASE=http://127.0.0.1:8000", f"BASE={base_url}", 1)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="curl, openssl")
def test_the_readme_api_walkthrough_books_and_pays_on_make_run(tmp_path):
    """The README's curl steps, run as written against `make run`'s server with the demo: the
    day and window come from the availability answer, the booking is paid and confirmed."""
    env = burst.make_run_env(str(tmp_path))
    env.pop("LOKET_PAYMENT_SECRET", None)
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=burst.ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    server = burst.MakeRun(env=env, log=tmp_path / "run.log")
    server.start(timeout=90)
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_api_walkthrough(server.base_url)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr + done.stdout
    bookings = json.loads(done.stdout.strip().splitlines()[-1])
    assert [b["status"] for b in bookings] == ["confirmed"]
    assert bookings[0]["application_number"]


def test_make_run_starts_the_production_launcher_and_make_dev_the_development_server():
    """The burst above is against what `make run` starts; `make dev` keeps runserver."""
    makefile = (burst.ROOT / "Makefile").read_text()

    def recipe(target: str) -> str:
        body = makefile[makefile.index(f"\n{target}:") :].split("\n\n")[0]
        return body

    assert "-m config.run --host $(HOST) --port $(PORT)" in recipe("run")
    assert "runserver" not in recipe("run")
    assert "manage.py runserver" in recipe("dev") and "run_worker" in recipe("dev")
