import datetime as dt

from django.core.management.base import BaseCommand

from loket.core import clock
from loket.core.errors import DomainError
from loket.outreach.models import ServiceDayRule
from loket.outreach.service_days import generate_occurrences


class Command(BaseCommand):
    help = "Plan the days of every active service-day rule for the coming days (safe to rerun)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="How far ahead (default 90).")

    def handle(self, *args, days: int, **options):
        failed = 0
        for rule in ServiceDayRule.objects.filter(is_active=True).select_related(
            "office", "channel", "team"
        ):
            today = clock.local_today(rule.office.time_zone)
            try:
                made = generate_occurrences(
                    rule=rule, start=today, end=today + dt.timedelta(days=days)
                )
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{rule}: {exc}")
                continue
            self.stdout.write(f"{rule}: {len(made)} new day(s)")
        if failed:
            raise SystemExit(1)
