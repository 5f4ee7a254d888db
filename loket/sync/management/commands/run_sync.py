import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from loket.sync.client import sync_once
from loket.sync.feed import is_office_node


class Command(BaseCommand):
    help = "Office node: follow the central site's feed and push the office's changes, forever."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=settings.LOKET_SYNC_INTERVAL)

    def handle(self, *args, once=False, interval=1.0, **options):
        if not is_office_node():
            raise CommandError("run_sync runs on an office node (LOKET_ROLE=office).")
        if not (
            settings.LOKET_CENTRAL_URL and settings.LOKET_OFFICE_KEY and settings.LOKET_OFFICE_CODE
        ):
            raise CommandError("Set LOKET_CENTRAL_URL, LOKET_OFFICE_CODE and LOKET_OFFICE_KEY.")
        self.stdout.write(
            f"Following {settings.LOKET_CENTRAL_URL} for office {settings.LOKET_OFFICE_CODE}"
        )
        was_ok = None
        while True:
            result = sync_once()
            if result.ok != was_ok or result.pulled or result.pushed:
                state = "online" if result.ok else f"OFFLINE ({result.error})"
                self.stdout.write(f"{state}: pulled {result.pulled}, pushed {result.pushed}")
                was_ok = result.ok
            if once:
                return
            time.sleep(interval)
