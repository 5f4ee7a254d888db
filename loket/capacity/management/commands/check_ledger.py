import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot


class Command(BaseCommand):
    help = "Verify that every ledger slot's taken places equal its live bookings and holds."

    def add_arguments(self, parser):
        parser.add_argument("--office", help="office code (default: all)")
        parser.add_argument("--from", dest="start", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", type=dt.date.fromisoformat)

    def handle(self, *args, office, start, end, **options):
        slots = CapacitySlot.objects.all()
        if office:
            slots = slots.filter(channel__office__code=office.upper())
        if start:
            slots = slots.filter(date__gte=start)
        if end:
            slots = slots.filter(date__lte=end)
        checked = slots.count()
        drifts = find_drift(slots)
        for drift in drifts:
            self.stdout.write(f"DRIFT slot {drift.slot_id}: {drift}")
        if drifts:
            raise CommandError(f"{len(drifts)} of {checked} ledger slot(s) drift.")
        self.stdout.write(self.style.SUCCESS(f"Ledger clean: {checked} slot(s) checked."))
