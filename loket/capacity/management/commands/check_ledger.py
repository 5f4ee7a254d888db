import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from loket.capacity.integrity import check_ledger


class Command(BaseCommand):
    help = "Verify that every ledger slot's taken places equal its live bookings and holds."

    def add_arguments(self, parser):
        parser.add_argument("--office", help="office code (default: all)")
        parser.add_argument("--from", dest="start", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", type=dt.date.fromisoformat)

    def handle(self, *args, office, start, end, **options):
        result = check_ledger(office_code=office, start=start, end=end)
        for drift in result.drifts:
            self.stdout.write(f"DRIFT slot {drift.slot_id}: {drift}")
        if result.drifts:
            raise CommandError(f"{len(result.drifts)} of {result.checked} ledger slot(s) drift.")
        self.stdout.write(self.style.SUCCESS(f"Ledger clean: {result.checked} slot(s) checked."))
