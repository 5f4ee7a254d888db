import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from loket.notifications.jobs import jobs


class Command(BaseCommand):
    help = (
        "Background worker: expire unpaid holds and lapsed waiting-list offers, enqueue the "
        "day-before reminders and deliver "
        "the outbox, every few seconds (the jobs the apps register in loket.notifications.jobs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args, interval, once, **options):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Worker started: a round every {interval:g} s.")
        while not stopping:
            close_old_connections()
            try:
                done = [(job, job.run()) for job in jobs()]
            except Exception as exc:  # keep the worker alive through a database outage
                self.stderr.write(f"round failed: {type(exc).__name__}: {exc}")
            else:
                reported = [(job.report, count) for job, count in done if job.report]
                if any(count for _report, count in reported):
                    self.stdout.write(
                        ", ".join(report.format(count=count) for report, count in reported)
                    )
            if once:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
