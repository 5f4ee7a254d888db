"""Bench setup: a fresh PostgreSQL database with the demo office, accounts and one big day.

Nothing here is timed. Django is set up against the bench database by `configure_django`.
"""

import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DISTRICT = "321501"  # Kab. Karawang, a district known to the region dataset


@dataclass(frozen=True)
class BenchDay:
    office: str
    channel: str
    date: dt.date
    windows: list[str]  # "HH:MM"
    places: int


def admin_url(database_url: str) -> tuple[str, str]:
    """The maintenance database URL on the same server, and the bench database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("--database-url needs a database name, e.g. .../loket_bench")
    return urlunsplit(parts._replace(path="/postgres")), name


def psycopg_url(database_url: str) -> str:
    """psycopg understands postgresql://; Django's URLs may say postgres://."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def reset_database(database_url: str) -> None:
    """Drop and create the bench database (it is the bench's own: never point this elsewhere)."""
    maintenance, name = admin_url(psycopg_url(database_url))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_database(database_url: str) -> None:
    """Create the database if it does not exist (kept between runs)."""
    maintenance, name = admin_url(psycopg_url(database_url))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["LOKET_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production-like, as the bench server runs (bench/server.py): DEBUG on would keep every
    # SQL statement in connection.queries and skew bench.profile's figures.
    os.environ.setdefault("LOKET_DEBUG", "0")
    os.environ.setdefault("LOKET_LOG_LEVEL", "WARNING")
    os.environ.setdefault("LOKET_RATE_LIMITS_ENABLED", "0")  # the bench measures, not limits
    import django

    django.setup()


def distinct_niks():
    """Valid, distinct NIKs of men born 1960-1999: birth dates vary first, then the serial."""
    start = dt.date(1960, 1, 1)
    span = (dt.date(1999, 12, 31) - start).days
    serial = 1
    while serial <= 9999:
        for offset in range(span):
            birth = start + dt.timedelta(days=offset)
            nik = f"{DISTRICT}{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
            yield nik, birth
        serial += 1


def prepare_day(*, places: int, skip: tuple = ()) -> "BenchDay":
    """Give the next open day (not in `skip`) `places` online places and materialise it."""
    from loket.capacity.selectors import list_availability
    from loket.capacity.services import ensure_day_slots
    from loket.core import clock
    from loket.offices.models import CapacityOverride, Channel, Office

    office = Office.objects.get(code="KRW")
    channel = Channel.objects.get(office=office, code="online")
    today = clock.local_today(office.time_zone)
    start = today + dt.timedelta(days=channel.min_days_ahead + 1)
    candidates = list_availability(channel=channel, start=start, end=start + dt.timedelta(days=20))
    day = next((d for d in candidates if d.status == "open" and d.date not in skip), None)
    if day is None:
        raise SystemExit("No open day in the next three weeks under the demo's release rule.")
    CapacityOverride.objects.update_or_create(
        channel=channel, date=day.date, defaults={"capacity": places, "reason": "make bench"}
    )
    ensure_day_slots(channel=channel, day=day.date)
    windows = [f"{w.start:%H:%M}" for w in day.windows]
    return BenchDay(
        office=office.code, channel=channel.code, date=day.date, windows=windows, places=places
    )


def make_accounts(count: int, prefix: str = "bench") -> list[str]:
    """`count` verified accounts; one bearer token each."""
    from django.db import transaction
    from django.test.utils import override_settings

    from loket.accounts.services import create_verified_account, issue_token

    # Bench accounts never log in by password during the storm: a fast hasher keeps setup
    # short. One transaction for all of them: setup time is not what the bench is about.
    tokens = []
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        for i in range(count):
            email = f"{prefix}{i}@bench.loket"
            create_verified_account(email=email, password="bench-password-123")
            tokens.append(issue_token(email=email, password="bench-password-123"))
    return tokens


def prepare(*, accounts: int, places: int) -> tuple[BenchDay, list[str]]:
    """Migrate, load the demo office, give one open day `places` online places, make accounts.

    Returns the day and one bearer token per account.
    """
    from django.core.management import call_command

    from loket.demo import office as demo

    call_command("migrate", verbosity=0, interactive=False)
    demo.load_office()
    day = prepare_day(places=places)
    return day, make_accounts(accounts)


def check_ledger(day: BenchDay, created_codes: int, lost_answers: int = 0) -> dict:
    """After the storm: the ledger, the bookings and the 201 answers must all agree.

    A request whose answer was lost (client timeout) may still have booked: up to
    `lost_answers` more bookings than 201s are allowed, never fewer.
    """
    from django.db.models import F, Sum

    from loket.booking.models import ACTIVE_STATUSES, Booking
    from loket.capacity.models import CapacitySlot

    slots = CapacitySlot.objects.filter(
        channel__office__code=day.office, channel__code=day.channel, date=day.date
    )
    used = slots.aggregate(total=Sum("used"))["total"] or 0
    capacity = slots.aggregate(total=Sum("capacity"))["total"] or 0
    active = Booking.objects.filter(
        office__code=day.office, date=day.date, status__in=ACTIVE_STATUSES
    ).count()
    overfull = slots.filter(used__gt=F("capacity")).count()
    return {
        "sum_used": used,
        "capacity": capacity,
        "active_bookings": active,
        "created_201": created_codes,
        "slots_over_capacity": overfull,
        "ok": used == active
        and created_codes <= active <= created_codes + lost_answers
        and overfull == 0
        and active <= capacity,
    }
