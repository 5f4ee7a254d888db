from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from loket.core.backup import BackupFailed, restore_checks, restore_database


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `backup`. Stop the server and "
        "the worker first. Ends with the ledger integrity check."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a backup file written by `backup`")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask: replace the current data"
        )

    def handle(self, *args, file, database, yes, **options):
        name = connections[database].settings_dict["NAME"]
        self.stdout.write(
            f"Restoring {file} over the database {name}: all current data is replaced."
        )
        if not yes and input("Type 'yes' to continue: ").strip().lower() != "yes":
            raise CommandError("Restore cancelled.")
        try:
            restore_database(source=file, using=database)
        except BackupFailed as exc:
            raise CommandError(str(exc)) from exc
        checks = restore_checks()
        for check in checks:
            problems = check.problems()
            for line in problems:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"Restored, but {check.failure.format(count=len(problems))}.")
        clean = "; ".join(["Restored"] + [check.clean for check in checks])
        self.stdout.write(self.style.SUCCESS(f"{clean}."))
