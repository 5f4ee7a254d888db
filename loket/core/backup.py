"""Backing up and restoring the whole database: SQLite or PostgreSQL, whichever is configured.

SQLite: a consistent copy of the live file through SQLite's online backup API (writers keep
working while it runs), checked with `PRAGMA integrity_check`. PostgreSQL: `pg_dump` in its
custom format, restored with `pg_restore --clean --if-exists` in a single transaction.
"""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.backends.sqlite3._functions import register as register_django_functions
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.errors import DomainError


class BackupFailed(DomainError, code="backup_failed", status=500):
    message = _("The backup or restore failed: %(reason)s")


@dataclass(frozen=True)
class RestoreCheck:
    """A check run after every restore, registered by the app whose data must agree with
    itself (the capacity ledger): `problems()` gives one line per problem; `failure` names
    them ("{count} ledger slot(s) drift"), `clean` says all is well ("ledger clean")."""

    problems: Callable[[], list[str]]
    failure: str
    clean: str


_restore_checks: dict[str, RestoreCheck] = {}


def register_restore_check(name: str, check: RestoreCheck) -> None:
    _restore_checks[name] = check


def restore_checks() -> list[RestoreCheck]:
    return list(_restore_checks.values())


@dataclass(frozen=True)
class BackupResult:
    path: Path
    vendor: str
    size: int


def default_backup_path(*, using: str = "default") -> Path:
    """DATA_DIR/backups/loket-YYYYMMDD-HHMMSS.<sqlite3|dump> (UTC)."""
    suffix = "sqlite3" if connections[using].vendor == "sqlite" else "dump"
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"loket-{stamp}.{suffix}"


def backup_database(*, destination: Path | None = None, using: str = "default") -> BackupResult:
    """Write a full backup of the database to `destination` (created atomically: a file that
    exists is a complete backup)."""
    connection = connections[using]
    destination = Path(destination or default_backup_path(using=using))
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(source=_sqlite_path(connection), destination=partial)
        elif connection.vendor == "postgresql":
            _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"]
                + _pg_connection_args(connection),
                connection,
            )
        else:
            raise BackupFailed(reason=f"unsupported database {connection.vendor}")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=destination, vendor=connection.vendor, size=destination.stat().st_size)


def restore_database(*, source: Path, using: str = "default") -> None:
    """Replace the database's contents with the backup in `source`.

    Closes this process's connections first; other processes (server, worker) should be
    stopped while a restore runs.
    """
    connection = connections[using]
    source = Path(source)
    if not source.is_file():
        raise BackupFailed(reason=f"no backup file at {source}")
    connection.close()
    if connection.vendor == "sqlite":
        _sqlite_check(source)
        _sqlite_backup(source=source, destination=_sqlite_path(connection))
    elif connection.vendor == "postgresql":
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
            ]
            + _pg_connection_args(connection)
            + [str(source)],
            connection,
        )
    else:
        raise BackupFailed(reason=f"unsupported database {connection.vendor}")


def _sqlite_path(connection) -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupFailed(reason="an in-memory SQLite database cannot be backed up")
    return Path(name)


def _sqlite_backup(*, source: Path, destination: Path) -> None:
    """Copy page by page with SQLite's online backup API; the source may be in use."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(destination, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _sqlite_check(destination)


def _sqlite_check(path: Path) -> None:
    db = sqlite3.connect(path)
    # Constraints and indexes use functions (REGEXP, date extraction) that Django registers
    # on its own connections.
    register_django_functions(db)
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(reason=f"{path} is not a valid SQLite database ({exc})") from exc
    finally:
        db.close()
    if result != "ok":
        raise BackupFailed(reason=f"{path} fails the integrity check: {result}")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(reason=f"{name} is not installed (PostgreSQL client tools)")
    return path


def _pg_connection_args(connection) -> list[str]:
    """Host, port, user and database from the Django settings (i.e. from DATABASE_URL)."""
    s = connection.settings_dict
    args = []
    if s.get("HOST"):
        args.append(f"--host={s['HOST']}")
    if s.get("PORT"):
        args.append(f"--port={s['PORT']}")
    if s.get("USER"):
        args.append(f"--username={s['USER']}")
    args.append(f"--dbname={s['NAME']}")
    return args


def _run(command: list[str], connection) -> None:
    env = {**os.environ}
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise BackupFailed(
            reason=f"{tool} exited with {result.returncode}: {result.stderr[-2000:]}"
        )
