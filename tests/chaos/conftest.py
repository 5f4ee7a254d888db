"""Crash tests: the real server, the worker and the database are killed under load.

PostgreSQL only (skipped on SQLite): the server processes and the test share the pytest-django
test database, committed for real (`transaction=True`). Each test records its figures; `make
chaos` prints them at the end of the run (without xdist; under xdist they are still asserted).
"""

import json
import os
import time

import pytest
from django.db import connection

from tests.chaos.harness import KillableServer, database_url, free_port

FIGURES: list[tuple[str, dict]] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: crash tests (kills and restarts); make chaos")


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("crash test figures")
    for name, figures in FIGURES:
        line = ", ".join(f"{key} {value}" for key, value in figures.items())
        terminalreporter.write_line(f"{name}: {line}")


@pytest.fixture
def figures(request):
    """A test's figures (acknowledged, found, doubled, kills...), reported after the run and
    appended as JSON lines to $LOKET_CHAOS_FIGURES when that is set."""
    collected: dict = {}
    yield collected
    FIGURES.append((request.node.name, collected))
    path = os.environ.get("LOKET_CHAOS_FIGURES")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"test": request.node.name, **collected}, default=str) + "\n")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The accounts made here only need tokens; Argon2 would only make the setup slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def live_database_url(transactional_db):
    """The test database, committed for real so that other processes see the test's rows.

    Afterwards, any session a killed process left on it is ended, so the flush can run."""
    yield database_url(connection.settings_dict)
    name = connection.settings_dict["NAME"]
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()",
                [name],
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.2)
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND "
            "pid <> pg_backend_pid()",
            [name],
        )


@pytest.fixture
def server(live_database_url, tmp_path):
    """The real server (gunicorn, 2 workers, the production config) on the test database;
    not started: the test starts it once its data is ready. Always stopped afterwards."""
    under_test = KillableServer(database_url=live_database_url, data_dir=tmp_path, port=free_port())
    yield under_test
    under_test.stop()
