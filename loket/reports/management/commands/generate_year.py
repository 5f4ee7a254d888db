"""Create a realistic year of bookings for a large office (volume tests of the reports)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from loket.core import clock
from loket.offices.models import Office
from loket.reports.generator import ensure_large_office, generate_year, has_generated


class Command(BaseCommand):
    help = (
        "Generate ~200,000 bookings over a year for an office, and the office days of the "
        "past ones (~1,000,000 queue events); bulk inserts in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--office",
            default="BESAR",
            help="office code; BESAR (default) is created with ~800 places a working day",
        )
        parser.add_argument("--year", type=int, help="calendar year (default: this year)")
        parser.add_argument("--bookings", type=int, default=200_000)
        parser.add_argument(
            "--month",
            type=int,
            help="only this month (1-12) of the year, e.g. to fill a month of the KRW demo",
        )
        parser.add_argument(
            "--last-days",
            type=int,
            help="instead of a year or month: the N days before today, up to yesterday "
            "(the demo's history: nothing on today or later)",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if generated bookings already fill this year or month "
            "(safe to run from `make demo` every time)",
        )

    def handle(self, *args, office, year, bookings, month, last_days, seed, if_empty, **options):
        if bookings < 1:
            raise CommandError("--bookings must be positive")
        if month is not None and not 1 <= month <= 12:
            raise CommandError("--month is 1 to 12")
        if last_days is not None and (last_days < 1 or month is not None or year is not None):
            raise CommandError("--last-days is a positive number, without --year or --month")
        if office == "BESAR":
            target = ensure_large_office(office)
        else:
            target = Office.objects.filter(code=office.upper()).first()
            if target is None:
                raise CommandError(f"no office {office!r} (load_demo creates KRW)")
        today = clock.local_today(target.time_zone)
        year = year or today.year
        when = f"{year}-{month:02d}" if month else str(year)
        days = None
        if last_days:
            days = (today - dt.timedelta(days=last_days), today - dt.timedelta(days=1))
            when = f"{days[0]} to {days[1]}"
        if days and has_generated(target, year, days=(today, today + dt.timedelta(days=400))):
            self.stderr.write(
                f"{target.code} holds generated bookings dated today or later (an older demo "
                "filled the whole month): `make clean` starts the demo afresh."
            )
        if if_empty and has_generated(target, year, month, days=days):
            self.stdout.write(f"{target.code} already has generated bookings in {when}: skipped")
            return
        self.stdout.write(f"Generating about {bookings:,} bookings for {target.code} in {when}")
        queue_counts: list[int] = []
        with tqdm(total=bookings, unit="booking", file=self.stderr) as bar:
            made = generate_year(
                queue_counts=queue_counts,
                office=target,
                year=year,
                bookings=bookings,
                month=month,
                days=days,
                seed=seed,
                progress=bar.update,
            )
        tickets, events = queue_counts or [0, 0]
        # Bulk inserts leave the planner's statistics stale until autovacuum gets to them:
        # estimates of one row turn the year's aggregates into nested loops (3x slower).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"{made:,} bookings, {tickets:,} queue tickets and {events:,} queue events written"
        )
