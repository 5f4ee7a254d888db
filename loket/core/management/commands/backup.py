from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from loket.core.backup import BackupFailed, backup_database, default_backup_path


class Command(BaseCommand):
    help = (
        "Back up the whole database to a file: SQLite with its online backup API, PostgreSQL "
        "with pg_dump (custom format). Safe while the server runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="file to write (default: DATA_DIR/backups/loket-<UTC time>.<sqlite3|dump>)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, output, database, **options):
        output = output or default_backup_path(using=database)
        vendor = connections[database].vendor
        self.stdout.write(f"Backing up the {vendor} database to {output} ...")
        try:
            result = backup_database(destination=output, using=database)
        except BackupFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {result.path} ({result.size} bytes)")
        )
