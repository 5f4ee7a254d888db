"""A realistic year of bookings for a large office, for volume tests of the reports.

Rows are written with bulk_create in batches (never through the booking service: a year
would take hours). Distributions follow the Karawang figures: apprenticeship dominates the
purposes, most applicants live in Karawang or Purwakarta, the online calendar is full about
a month ahead, a few percent cancel, let their hold expire or do not come.
"""

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable

from django.db import transaction
from django.db.models import F

from loket.accounts.models import Applicant, User
from loket.booking.lifecycle import booking_event
from loket.booking.models import Booking, BookingEvent, BookingEventKind, BookingStatus
from loket.capacity.models import CapacitySlot
from loket.core import clock
from loket.offices.models import (
    ArrivalWindow,
    Channel,
    ChannelKind,
    Office,
    ReleaseRule,
    WeekdayCapacity,
    WorkingAreaRegency,
)
from loket.offices.selectors import load_channel_plan

PURPOSES = {
    "apprenticeship": 38,
    "tourism": 20,
    "umrah": 12,
    "work": 8,
    "migrant_worker": 7,
    "family_visit": 5,
    "study": 3,
    "hajj": 2,
    "business": 2,
    "medical": 1,
    "other": 2,
}
REGENCIES = {
    "3215": 55,  # Kab. Karawang
    "3214": 15,  # Kab. Purwakarta
    "3216": 8,  # Kab. Bekasi
    "3213": 6,  # Kab. Subang
    "3275": 4,  # Kota Bekasi
    "3201": 3,  # Kab. Bogor
    "3203": 2,  # Kab. Cianjur
    "3212": 2,  # Kab. Indramayu
    "3173": 2,  # Kota Jakarta Utara
    "3329": 1,  # Kab. Brebes
    "1871": 1,  # Kota Bandar Lampung
    "3578": 1,  # Kota Surabaya
}
LARGE_OFFICE = {
    "online": (ChannelKind.ONLINE, "Janji temu online", 700, (True, True, False, False)),
    "priority": (ChannelKind.PRIORITY, "Layanan prioritas", 60, (True, True, True, True)),
    "lost-damaged": (
        ChannelKind.LOST_DAMAGED,
        "Paspor hilang/rusak",
        40,
        (False,) * 2 + (True,) * 2,
    ),
}
CANCEL_RATE = 0.04
EXPIRE_RATE = 0.06
NO_SHOW_RATE = 0.07
RESCHEDULE_RATE = 0.03
BATCH = 5000


def ensure_large_office(code: str) -> Office:
    """An office with about 800 places a working day (created once, found afterwards)."""
    office, created = Office.objects.get_or_create(
        code=code,
        defaults={
            "name": f"Kantor Imigrasi {code} (data uji volume)",
            "time_zone": "Asia/Jakarta",
            "opens_at": dt.time(7, 30),
            "closes_at": dt.time(16, 0),
        },
    )
    if not created:
        return office
    for regency in ("3215", "3214"):
        WorkingAreaRegency.objects.create(office=office, regency_code=regency)
    for ch_code, (kind, name, per_day, types) in LARGE_OFFICE.items():
        channel = Channel.objects.create(
            office=office,
            code=ch_code,
            kind=kind,
            name=name,
            allows_new=types[0],
            allows_replacement=types[1],
            allows_lost=types[2],
            allows_damaged=types[3],
            release_rule=ReleaseRule.ROLLING,
            release_days_ahead=30,
            horizon_days=60,
            min_days_ahead=1 if kind == ChannelKind.ONLINE else 0,
        )
        WeekdayCapacity.objects.bulk_create(
            [WeekdayCapacity(channel=channel, weekday=d, capacity=per_day) for d in range(5)]
        )
        if kind == ChannelKind.ONLINE:
            ArrivalWindow.objects.bulk_create(
                [
                    ArrivalWindow(channel=channel, start=dt.time(h), end=dt.time(h + 1))
                    for h in range(7, 15)
                ]
            )
    return office


GENERATED_EMAIL_DOMAIN = "volume.loket.invalid"


def month_range(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = dt.date(year, month, 1)
    return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def has_generated(
    office: Office, year: int, month: int | None = None, *, days: tuple | None = None
) -> bool:
    """Whether generated bookings already fill (part of) this year or month (or `days`)."""
    start, end = days or month_range(year, month)
    return Booking.objects.filter(
        office=office,
        date__range=(start, end),
        account__email__endswith=f"@{GENERATED_EMAIL_DOMAIN}",
    ).exists()


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _draw_count(rng: random.Random, expected: float) -> int:
    """A whole number with the given mean: the integer part, plus one with the fraction's odds."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _nik(i: int, regency: str, sex: str) -> tuple[str, dt.date]:
    """A NIK unique for every i below 80 million: (birth date, serial) never repeat."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(i * 7919) % 24000)
    day = birth.day + (40 if sex == "F" else 0)
    serial = i % 9999 + 1
    return f"{regency}01{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}", birth


def generate_year(
    *,
    office: Office,
    year: int,
    bookings: int,
    month: int | None = None,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    queue: bool = True,
    queue_counts: list[int] | None = None,
    days: tuple[dt.date, dt.date] | None = None,
) -> int:
    """Write about `bookings` bookings with appointments in `year` (or only in one `month`
    of it); returns how many.

    Each channel's working days are filled to the same share of their places, so that with
    cancellations and expired holds the total comes to `bookings`. With `queue`, the past
    days' completed bookings also get their office day: a ticket each and its events
    (`queue_generator.generate_queue`); their numbers are appended to `queue_counts`.
    `days` (first, last) replaces the year or month, e.g. the demo's history up to yesterday.
    """
    rng = random.Random(seed)
    tz = zoneinfo.ZoneInfo(office.time_zone)
    now = clock.now()
    today = now.astimezone(tz).date()
    start, end = days or month_range(year, month)
    channels = list(
        Channel.objects.filter(
            office=office,
            kind__in=[ChannelKind.ONLINE, ChannelKind.PRIORITY, ChannelKind.LOST_DAMAGED],
        )
    )
    plans = {c.pk: load_channel_plan(c, start, end) for c in channels}
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    windows: dict[tuple[int, dt.date], list] = {}
    total_places = 0
    for c in channels:
        c.office = office
        for day in days:
            plan = plans[c.pk].window_plans(day)
            if sum(w.capacity for w in plan):
                windows[(c.pk, day)] = plan
                total_places += sum(w.capacity for w in plan)
    if not total_places:
        return 0
    fill = min(1.0, bookings * (1 - CANCEL_RATE - EXPIRE_RATE) / total_places)
    existing = Booking.objects.count() + User.objects.count()
    serial = existing * 10 + 1
    with transaction.atomic():
        CapacitySlot.objects.bulk_create(
            [
                CapacitySlot(
                    channel_id=channel_id,
                    date=day,
                    window_start=w.start,
                    window_end=w.end,
                    capacity=w.capacity,
                )
                for (channel_id, day), plan in windows.items()
                for w in plan
            ],
            ignore_conflicts=True,
        )
    slots = {
        (s.channel_id, s.date, s.window_start): s
        for s in CapacitySlot.objects.filter(channel__in=channels, date__range=(start, end))
    }
    made = 0
    pending: list[dict] = []
    taken_by_slot: dict[int, int] = {}

    def flush():
        nonlocal pending, made, taken_by_slot
        if pending:
            _write(office, pending, tz, taken_by_slot)
            made += len(pending)
            if progress is not None:
                progress(len(pending))
            pending, taken_by_slot = [], {}

    for c in channels:
        for day in days:
            for w in windows.get((c.pk, day), []):
                slot = slots[(c.pk, day, w.start)]
                free = slot.capacity - slot.used
                taken = min(free, _draw_count(rng, w.capacity * fill * rng.uniform(0.9, 1.1)))
                ended = _draw_count(
                    rng, taken * (CANCEL_RATE + EXPIRE_RATE) / (1 - CANCEL_RATE - EXPIRE_RATE)
                )
                for holds in [True] * taken + [False] * ended:
                    serial += 1
                    pending.append(_booking(rng, c, slot, day, holds, serial, today, tz))
                if taken:
                    taken_by_slot[slot.pk] = taken
            if len(pending) >= BATCH:
                flush()
    flush()
    if queue and start < today:
        from loket.reports.queue_generator import generate_queue

        counts = generate_queue(
            office=office, start=start, end=min(end, today - dt.timedelta(days=1)), seed=seed
        )
        if queue_counts is not None:
            queue_counts.extend(counts)
    return made


def _booking(rng, channel, slot, day, holds: bool, serial: int, today, tz) -> dict:
    if channel.kind == ChannelKind.ONLINE:
        lead = rng.randint(27, 30) if rng.random() < 0.6 else rng.randint(1, 26)
        created_day = day - dt.timedelta(days=lead)
        hour = 0 if lead >= 27 and rng.random() < 0.5 else rng.randint(5, 23)
        types = {"new": 70, "replacement": 30}
    else:
        created_day = day
        hour = rng.randint(slot.window_start.hour, max(slot.window_start.hour, 14))
        types = (
            {"lost": 70, "damaged": 30}
            if channel.kind == ChannelKind.LOST_DAMAGED
            else {"new": 60, "replacement": 30, "lost": 7, "damaged": 3}
        )
    created = dt.datetime.combine(
        created_day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), tzinfo=tz
    )
    if holds:
        if day < today:
            status = (
                BookingStatus.NO_SHOW if rng.random() < NO_SHOW_RATE else BookingStatus.COMPLETED
            )
        else:
            status = BookingStatus.CONFIRMED
        updated = created
    elif rng.random() < CANCEL_RATE / (CANCEL_RATE + EXPIRE_RATE):
        status = BookingStatus.CANCELLED
        span = max((dt.datetime.combine(day, dt.time(0), tzinfo=tz) - created).total_seconds(), 60)
        updated = created + dt.timedelta(seconds=rng.uniform(60, span))
    else:
        status = BookingStatus.EXPIRED
        updated = created + dt.timedelta(minutes=channel.hold_minutes)
    regency = _pick(rng, REGENCIES)
    sex = "F" if rng.random() < 0.45 else "M"
    nik, birth = _nik(serial, regency, sex)
    passport = "electronic" if rng.random() < 0.35 else "ordinary"
    validity = 10 if (day - birth).days >= 17 * 365 else 5
    return {
        "serial": serial,
        "nik": nik,
        "birth": birth,
        "sex": sex,
        "regency": regency,
        "channel": channel,
        "slot": slot,
        "date": day,
        "status": status,
        "created": created,
        "updated": updated,
        "purpose": _pick(rng, PURPOSES),
        "application_type": _pick(rng, types),
        "passport_type": passport,
        "validity": validity,
        "amount": {("ordinary", 5): 350_000, ("ordinary", 10): 650_000}.get(
            (passport, validity), 950_000 if validity == 10 else 650_000
        ),
        # Only an online booking can move (walk-ins are same-day); the draw keeps the sequence.
        "rescheduled": holds
        and rng.random() < RESCHEDULE_RATE
        and channel.kind == ChannelKind.ONLINE,
    }


@transaction.atomic
def _write(office: Office, rows: list[dict], tz, taken_by_slot: dict[int, int]) -> None:
    """One batch: accounts (5 applicants each), applicants, bookings, their typed facts
    (BookingEvent), and the places they take in the ledger."""
    # One CASE update per 500 slots, added in the database (never read-then-written).
    slots = [CapacitySlot(pk=pk, used=F("used") + n) for pk, n in taken_by_slot.items()]
    CapacitySlot.objects.bulk_update(slots, ["used"], batch_size=500)
    users = User.objects.bulk_create(
        [
            User(
                email=f"gen-{rows[i]['serial']}@{GENERATED_EMAIL_DOMAIN}",
                password="!",
                email_verified_at=rows[i]["created"],
            )
            for i in range(0, len(rows), 5)
        ]
    )
    applicants = Applicant.objects.bulk_create(
        [
            Applicant(
                account=users[i // 5],
                position=i % 5 + 1,
                nik=r["nik"],
                name=f"Pemohon {r['serial']}",
                birth_date=r["birth"],
                sex=r["sex"],
                phone="081200000000",
                domicile_regency=r["regency"],
            )
            for i, r in enumerate(rows)
        ]
    )
    bookings = []
    for i, r in enumerate(rows):
        paid = r["status"] in (
            BookingStatus.CONFIRMED,
            BookingStatus.COMPLETED,
            BookingStatus.NO_SHOW,
        )
        slot = r["slot"]
        bookings.append(
            Booking(
                code=f"G{r['serial']:011d}"[-12:],
                account=users[i // 5],
                applicant=applicants[i],
                nik=r["nik"],
                office=office,
                channel=r["channel"],
                slot=slot,
                date=r["date"],
                window_start=slot.window_start,
                window_end=slot.window_end,
                application_type=r["application_type"],
                purpose=r["purpose"],
                passport_type=r["passport_type"],
                validity_years=r["validity"],
                status=r["status"],
                billing_code=f"9{r['serial']:014d}"[-15:],
                amount=r["amount"],
                pay_before=r["created"] + dt.timedelta(minutes=r["channel"].hold_minutes),
                paid_at=r["created"] + dt.timedelta(minutes=20) if paid else None,
                application_number=f"{office.code}-G{r['serial']}" if paid else None,
                reschedule_count=1 if r["rescheduled"] else 0,
                created_at=r["created"],
                updated_at=r["updated"],
            )
        )
    Booking.objects.bulk_create(bookings)
    BookingEvent.objects.bulk_create(
        [e for b, r in zip(bookings, rows, strict=True) for e in _events(b, r, tz)],
        batch_size=BATCH,
    )


def _events(b: Booking, r: dict, tz) -> list[BookingEvent]:
    """The typed facts the lifecycle would have written for `b`, built by its own builder:
    paid, rescheduled (a week earlier than first booked, a third of the way from booking to
    the appointment), cancelled or expired, and on a past day checked in at the window's start
    (a walk-in: once paid) and completed or missed at the window's end. No audit rows: no
    report reads or shows them."""
    S, K = BookingStatus, BookingEventKind
    events = []
    if b.paid_at is not None:
        events.append(
            booking_event(b, kind=K.CONFIRMED, from_status=S.AWAITING_PAYMENT, at=b.paid_at)
        )
    if r["rescheduled"]:
        at = b.created_at + (dt.datetime.combine(b.date, dt.time(0), tzinfo=tz) - b.created_at) / 3
        paid = b.paid_at is not None and b.paid_at <= at
        events.append(
            booking_event(
                b,
                kind=K.RESCHEDULED,
                from_status=S.CONFIRMED if paid else S.AWAITING_PAYMENT,
                at=at,
                from_date=b.date + dt.timedelta(days=7),
            )
        )
    if b.status in (S.CANCELLED, S.EXPIRED):
        events.append(
            booking_event(b, kind=b.status, from_status=S.AWAITING_PAYMENT, at=b.updated_at)
        )
    elif b.status in (S.COMPLETED, S.NO_SHOW):
        came = max(dt.datetime.combine(b.date, b.window_start, tzinfo=tz), b.paid_at)
        left = max(dt.datetime.combine(b.date, b.window_end, tzinfo=tz), came)
        events.append(booking_event(b, kind=K.CHECKED_IN, from_status=S.CONFIRMED, at=came))
        events.append(booking_event(b, kind=b.status, from_status=S.CHECKED_IN, at=left))
    return events
