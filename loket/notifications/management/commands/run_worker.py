import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from loket.booking.services import expire_overdue_holds
from loket.capacity.live import clear_lapsed_places
from loket.notifications.reminders import send_appointment_reminders
from loket.notifications.services import deliver_due_messages
from loket.waitlist.services import expire_lapsed_offers


class Command(BaseCommand):
    help = (
        "Background worker: expire unpaid holds, lapsed waiting-list offers and live places "
        "whose day has passed, enqueue the "
        "day-before reminders and deliver "
        "the outbox, every few seconds."
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
                expired = expire_overdue_holds()
                lapsed = expire_lapsed_offers()
                clear_lapsed_places()
                reminded = send_appointment_reminders()
                sent = deliver_due_messages()
            except Exception as exc:  # keep the worker alive through a database outage
                self.stderr.write(f"round failed: {type(exc).__name__}: {exc}")
            else:
                if expired or lapsed or reminded or sent:
                    self.stdout.write(
                        f"expired {expired} hold(s), {lapsed} waiting-list offer(s), "
                        f"reminded {reminded} booking(s), "
                        f"delivered {sent} message(s)"
                    )
            if once:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
