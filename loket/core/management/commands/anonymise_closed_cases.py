from django.conf import settings
from django.core.management.base import BaseCommand

from loket.core.personal_data import KINDS, anonymise_closed_cases, retention_cutoff


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of cases closed more than LOKET_RETENTION_DAYS days ago "
        "(bookings, applicants, waiting-list entries, queue tickets, passport pickups, walk-ins, "
        "Eazy Passport participants and contacts, emergency cases, sent outbox messages); the "
        "figures stay. Idempotent; run daily. Each run is recorded in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"retention in days (default {settings.LOKET_RETENTION_DAYS})"
        )
        parser.add_argument("--dry-run", action="store_true", help="count per kind, change nothing")

    def handle(self, *args, days, dry_run, **options):
        cutoff = retention_cutoff(retention_days=days)
        self.stdout.write(f"Anonymising cases closed before {cutoff:%Y-%m-%d %H:%M} ...")
        result = anonymise_closed_cases(retention_days=days, dry_run=dry_run)
        verb = "Would anonymise" if dry_run else "Anonymised"
        for kind in KINDS:
            self.stdout.write(f"  {kind}: {result.counts[kind]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {result.bookings} booking(s) and {result.applicants} applicant(s), "
                f"{result.total} record(s) in all."
            )
        )
