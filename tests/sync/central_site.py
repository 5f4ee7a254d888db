"""The central site's side of the office-node tests, run in a process of its own against the
central site's database (`python -c`, see test_link.py): the day's bookings, a cancellation
made centrally, and the day's figures as the central site sees them."""

import datetime as dt
import json
from collections import Counter

from django.db.models import Count

from loket.accounts.services import create_verified_account
from loket.booking.models import Booking, BookingEvent
from loket.booking.services import cancel_booking
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.capacity.services import ensure_day_slots
from loket.core import clock
from loket.core.models import AuditEvent
from loket.demo import office as demo
from loket.demo import queue as queue_demo
from loket.offices.models import Channel, Office
from loket.queue.models import Issuance, Ticket, TicketEvent
from loket.sync.models import SyncFlag
from tests.conftest import WIB
from tests.helpers import book, pay, person


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


def prepare(day_iso: str, count: int) -> dict:
    """The demo office, its staff and `count` confirmed bookings for `day`, made the day before."""
    day = dt.date.fromisoformat(day_iso)
    with clock.frozen_at(_at(day - dt.timedelta(days=1), 10)):
        demo.load_office()
        queue_demo.load_queue_demo()
        online = Channel.objects.get(office__code="KRW", code="online")
        bookings = []
        ensure_day_slots(channel=online, day=day)
        places = [  # every place of the day, earliest window first
            slot.window_start
            for slot in CapacitySlot.objects.filter(channel=online, date=day).order_by(
                "window_start"
            )
            for _place in range(slot.capacity)
        ]
        small = [dt.time(8, 0), dt.time(9, 0), dt.time(10, 0)]
        windows = [small[i % 3] for i in range(count)] if count <= 12 else places[:count]
        for i in range(count):
            if i % 5 == 0:  # five people per account
                account = create_verified_account(
                    email=f"keluarga{i}@contoh.id", password="rahasia-panjang-1"
                )
            applicant = person(serial=100 + i, name=f"Pemohon {i}")
            booking = book(account, online, day=day, window=windows[i], applicant=applicant)
            bookings.append(pay(booking))
    return {"bookings": [{"code": b.code, "nik": b.nik} for b in bookings]}


def cancel(code: str, moment_iso: str) -> dict:
    with clock.frozen_at(dt.datetime.fromisoformat(moment_iso)):
        booking = Booking.objects.get(code=code)
        cancel_booking(account=booking.account, code=code)
    return {"status": Booking.objects.get(code=code).status}


def queue_reports(office: Office, day: dt.date) -> dict:
    """The reports' figures of the office's day that the office's own work makes (waits and
    service times per stage, counters' throughput, the priority quota), as the page shows them."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils import translation

    from loket.reports import queue_figures
    from loket.reports.selectors import period_for

    period = period_for("day", day)
    figures = {}
    with translation.override("en"):
        for name in ("stage_waits", "stage_service_times", "counter_throughput", "priority_quota"):
            figure = getattr(queue_figures, name)(office, period, {})
            as_json = DjangoJSONEncoder().encode({"rows": figure.rows, "summary": figure.summary})
            figures[name] = json.loads(as_json)
    return figures


def day_figures(day_iso: str) -> dict:
    """What the office's day looks like in this database: what the reports count."""
    day = dt.date.fromisoformat(day_iso)
    office = Office.objects.get(code="KRW")
    tickets = Ticket.objects.filter(office=office, date=day).order_by("lane__prefix", "number")
    return {
        "reports": queue_reports(office, day),
        "tickets": [
            [t.id, t.lane.prefix, t.number, t.status, t.booking.code if t.booking else None]
            for t in tickets.select_related("lane", "booking")
        ],
        "ticket_events": dict(
            Counter(TicketEvent.objects.filter(ticket__in=tickets).values_list("kind", flat=True))
        ),
        "ticket_event_ids": sorted(
            TicketEvent.objects.filter(ticket__in=tickets).values_list("id", flat=True)
        ),
        "issuances": Issuance.objects.filter(ticket__in=tickets).count(),
        "bookings": {
            row["status"]: row["n"]
            for row in Booking.objects.filter(office=office, date=day)
            .values("status")
            .annotate(n=Count("id"))
        },
        "booking_events": dict(
            Counter(
                BookingEvent.objects.filter(office=office, date=day).values_list("kind", flat=True)
            )
        ),
        "office_audit": sorted(
            AuditEvent.objects.filter(
                office=office, id__gte=office.pk * 10**12, id__lt=(office.pk + 1) * 10**12
            ).values_list("id", flat=True)
        ),
        "drift": [str(d) for d in find_drift()],
        "overridden": list(
            AuditEvent.objects.filter(action="sync.cancellation_overridden").values_list(
                "object_id", flat=True
            )
        ),
        "flags": sorted(
            [kind, object_id]
            for kind, object_id in SyncFlag.objects.values_list("kind", "object_id")
        ),
    }


def desk_day(day_iso: str, bookings: list[dict], walk_ins: int) -> None:
    """An office node's desk working through the morning, one visit at a time: it prints each
    committed ticket (the test kills it part way)."""
    from loket.accounts.models import User
    from loket.queue.models import LaneKind
    from tests.sync import office_day as queue

    day = dt.date.fromisoformat(day_iso)
    office = Office.objects.get(code="KRW")
    desk = User.objects.get(email="meja@contoh.id")
    birth = dt.date(1950, 3, 14)
    for i in range(max(len(bookings), walk_ins)):
        with clock.frozen_at(_at(day, 8, 5) + dt.timedelta(minutes=i)):
            if i < len(bookings):
                ticket = queue.check_in_booking(
                    office=office,
                    code=bookings[i]["code"],
                    confirmed_nik=bookings[i]["nik"],
                    officer=desk,
                )
                print(f"ticket {ticket.pk}", flush=True)
            if i < walk_ins:
                nik = f"321501{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{500 + i:04d}"
                ticket = queue.issue_walk_in_ticket(
                    office=office,
                    lane_kind=LaneKind.PRIORITY,
                    name=f"Lansia {i}",
                    nik=nik,
                    birth_date=birth,
                    officer=desk,
                )
                print(f"ticket {ticket.pk}", flush=True)


def busy_hour(day_iso: str, bookings: list[dict], walk_ins: int) -> dict:
    """An hour of a busy day at the office node, the central site out of reach: the check-ins
    of `bookings`, `walk_ins` priority walk-ins, and counter 1 serving whoever is next."""
    import time as _time

    from loket.accounts.models import User
    from loket.queue.models import Counter, LaneKind
    from loket.sync.models import NodeChange
    from tests.sync import office_day as queue

    day = dt.date.fromisoformat(day_iso)
    office = Office.objects.get(code="KRW")
    desk = User.objects.get(email="meja@contoh.id")
    officer = User.objects.get(email="loket1@contoh.id")
    counter = Counter.objects.get(office=office, number=1)
    birth = dt.date(1950, 3, 14)
    started = _time.perf_counter()
    steps = max(len(bookings), walk_ins)
    for i in range(steps):
        with clock.frozen_at(_at(day, 9) + dt.timedelta(seconds=3600 * i // steps)):
            if i < len(bookings):
                queue.check_in_booking(
                    office=office,
                    code=bookings[i]["code"],
                    confirmed_nik=bookings[i]["nik"],
                    officer=desk,
                )
            if i < walk_ins:
                nik = f"321501{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{700 + i:04d}"
                queue.issue_walk_in_ticket(
                    office=office,
                    lane_kind=LaneKind.PRIORITY,
                    name=f"Lansia {i}",
                    nik=nik,
                    birth_date=birth,
                    officer=desk,
                )
            try:
                queue.call_next_ticket(counter=counter, officer=officer)
                queue.start_service(counter=counter, officer=officer)
                queue.complete_ticket(counter=counter, officer=officer)
            except Exception:  # noqa: BLE001  (nobody waiting for this counter's stage)
                pass
    return {"changes": NodeChange.objects.count(), "seconds": _time.perf_counter() - started}


def timed_sync(rounds: int = 1) -> dict:
    """`rounds` sync rounds at the node, each timed (the first after a cut is the catch-up)."""
    import time as _time

    from loket.sync.client import sync_once

    times, pushed, pulled = [], 0, 0
    for _ in range(rounds):
        started = _time.perf_counter()
        result = sync_once()
        times.append(_time.perf_counter() - started)
        assert result.ok, result.error
        pushed += result.pushed
        pulled += result.pulled
    return {"seconds": times, "pushed": pushed, "pulled": pulled}


def timed_check_ins(day_iso: str, bookings: list[dict]) -> dict:
    """Online: each check-in, then one sync round; the time from the commit to the central
    site's answer (the lag is this plus up to one polling interval)."""
    import time as _time

    from loket.accounts.models import User
    from loket.sync.client import sync_once
    from tests.sync import office_day as queue

    day = dt.date.fromisoformat(day_iso)
    office = Office.objects.get(code="KRW")
    desk = User.objects.get(email="meja@contoh.id")
    lags = []
    for i, booking in enumerate(bookings):
        with clock.frozen_at(_at(day, 10) + dt.timedelta(minutes=i)):
            queue.check_in_booking(
                office=office, code=booking["code"], confirmed_nik=booking["nik"], officer=desk
            )
            started = _time.perf_counter()
            result = sync_once()
            lags.append(_time.perf_counter() - started)
            assert result.ok and result.pushed, result.error
    return {"seconds": lags}


# --- the office day run twice (with the link cut for an hour, and without) ----------------------

# The node's day in three parts: the link is up in the morning and the afternoon; the test cuts
# it for the midday hour in one run and leaves it up in the other. The same actions at the same
# frozen moments in both runs.
DAY_PARTS = {
    "morning": (dt.time(7, 50), dt.time(11, 30)),
    "midday": (dt.time(11, 30), dt.time(12, 30)),
    "afternoon": (dt.time(12, 30), dt.time(15, 0)),
}


def _day_plan(day: dt.date) -> list[tuple[dt.datetime, str, int]]:
    """(moment, action, argument) of the whole day, in the order they happen."""
    minutes = dt.timedelta(minutes=1)
    plan = [(_at(day, 7, 55), "sync", 0)]
    # Booking j comes at 08:10 + 30 min x j; booking 11 never comes.
    plan += [(_at(day, 8, 10) + 30 * j * minutes, "check_in", j) for j in range(11)]
    plan += [(_at(day, h, m), "priority", s) for s, (h, m) in enumerate(((8, 20), (9, 50)))]
    plan += [(_at(day, 11, 20), "priority", 2), (_at(day, 11, 50), "priority", 3)]
    plan += [(_at(day, 12, 5), "release", 0)]  # the priority places left go to lost/damaged
    plan += [(_at(day, 12, 20), "lost_damaged", 0), (_at(day, 13, 0), "lost_damaged", 1)]
    tick, k = _at(day, 8, 15), 0
    while tick < _at(day, 14, 30):  # every 10 minutes each counter calls, serves, finishes
        plan += [(tick, "call", n) for n in (1, 2, 3, 4)]
        if tick.time() == dt.time(12, 15):  # counter 1's person never comes to the counter
            plan.append((tick + minutes, "no_show", 1))
        plan += [(tick + minutes, "start", n) for n in (1, 2, 3, 4)]
        plan += [(tick + (3 + (n + k) % 5) * minutes, "complete", n) for n in (1, 2, 3, 4)]
        plan.append((tick + 8 * minutes, "sync", 0))
        tick, k = tick + 10 * minutes, k + 1
    plan.append((_at(day, 14, 45), "sync", 0))
    return sorted(plan, key=lambda step: step[0])  # stable: ties keep their order above


def node_day_part(day_iso: str, bookings: list[dict], part: str) -> dict:
    """At the office node: one part of the day's plan. Returns what each sync round did and
    what the desk was refused (both runs must refuse the same)."""
    from loket.accounts.models import User
    from loket.core.errors import DomainError
    from loket.queue.counter_actions import mark_no_show, recall_ticket
    from loket.queue.models import Counter, LaneKind
    from loket.queue.walk_ins import release_unclaimed_priority
    from loket.sync.client import sync_once
    from tests.sync import office_day as queue

    day = dt.date.fromisoformat(day_iso)
    first, last = DAY_PARTS[part]
    syncs, refused = [], []
    birth = dt.date(1950, 3, 14)
    for moment, action, arg in _day_plan(day):
        if not first <= moment.time() < last:
            continue
        with clock.frozen_at(moment):
            if action == "sync":
                syncs.append(sync_once().ok)
                continue
            office = Office.objects.get(code="KRW")  # (the node has it from its first sync)
            counters = list(Counter.objects.filter(office=office).order_by("number"))
            desk = User.objects.get(email="meja@contoh.id")
            supervisor = User.objects.get(email="supervisor@contoh.id")
            # Counters 1 and 3: the first counter officer; 2 and 4: the second.
            officers = [User.objects.get(email=f"loket{n}@contoh.id") for n in (2, 1)]
            try:
                if action == "check_in":
                    queue.check_in_booking(
                        office=office,
                        code=bookings[arg]["code"],
                        confirmed_nik=bookings[arg]["nik"],
                        officer=desk,
                    )
                elif action in ("priority", "lost_damaged"):
                    serial = (600 if action == "priority" else 800) + arg
                    queue.issue_walk_in_ticket(
                        office=office,
                        lane_kind=LaneKind.PRIORITY
                        if action == "priority"
                        else LaneKind.LOST_DAMAGED,
                        name=f"Pengunjung {serial}",
                        nik=f"321501{birth:%d%m%y}{serial:04d}",
                        birth_date=birth,
                        officer=desk,
                    )
                elif action == "release":
                    release_unclaimed_priority(office=office, officer=supervisor)
                elif action == "no_show":
                    counter, officer = counters[arg - 1], officers[arg % 2]
                    for _recall in range(5):
                        try:
                            mark_no_show(counter=counter, officer=officer)
                            break
                        except DomainError:
                            recall_ticket(counter=counter, officer=officer)
            except DomainError as error:
                refused.append([moment.isoformat(), action, error.code])
            if action in ("call", "start", "complete"):
                step = {
                    "call": queue.call_next_ticket,
                    "start": queue.start_service,
                    "complete": queue.complete_ticket,
                }[action]
                try:
                    step(counter=counters[arg - 1], officer=officers[arg % 2])
                except DomainError:
                    pass  # nobody waiting for this counter, or nobody at it
    return {"syncs": syncs, "refused": refused}


def day_reports(day_iso: str, moment_iso: str) -> dict:
    """Every figure of the reports pages for the office's day, and for its month, as the office
    head reads them at `moment` (JSON, in English)."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils import translation

    from loket.reports import selectors

    day = dt.date.fromisoformat(day_iso)
    office = Office.objects.get(code="KRW")
    out = {}
    with clock.frozen_at(dt.datetime.fromisoformat(moment_iso)), translation.override("en"):
        for kind in ("day", "month"):
            figures = selectors.list_figures(office, selectors.period_for(kind, day))
            out[kind] = {
                f.key: json.loads(DjangoJSONEncoder().encode(f.as_dict())) for f in figures
            }
    return out


def pending() -> int:
    """At the node: the changes not yet at the central site."""
    from loket.sync.client import pending_count

    return pending_count()


def turn_on_two_factor(email: str) -> dict:
    """The officer turns two-factor login on at the central site (with the app's first code);
    returns the device's key, for the test to compute the app's codes."""
    from django_otp.oath import totp

    from loket.accounts.models import User
    from loket.staff import two_factor

    user = User.objects.get(email=email)
    device = two_factor.pending_device(user)
    first = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    two_factor.turn_on(user=user, code=f"{first:06d}")
    return {"key": device.key}


def flags() -> list:
    """The supervisor's cases: kind, object, closed, what was done, closed by."""
    return [
        [
            f.kind,
            f.object_id,
            f.resolved_at is not None,
            f.note,
            f.resolved_by.email if f.resolved_by else None,
        ]
        for f in SyncFlag.objects.select_related("resolved_by").order_by("id")
    ]
