"""The app server is killed (SIGKILL) in the middle of a booking storm and of a stream of payment
notices, and started again; clients retry with the same Idempotency-Key or the same notice.

Nothing a client was told is lost, nothing is done twice, and the ledger stays exact.
"""

import datetime as dt
import itertools
import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db.models import Count

from bench.load import booking_body
from bench.prepare import distinct_niks, make_accounts, prepare_day
from loket.accounts.models import User
from loket.booking.models import ACTIVE_STATUSES, Booking, BookingStatus, IdempotencyRecord
from loket.booking.payments import sign_payment_notice
from loket.booking.services import ApplicantData, book_appointment
from loket.core import clock
from loket.core.models import AuditEvent
from loket.demo import office as demo
from loket.notifications.models import OutboxMessage
from loket.offices.models import Channel
from tests.chaos.harness import Killer, Tally, run_threads, send_until_answered

pytestmark = [pytest.mark.postgres, pytest.mark.chaos]

CLIENTS = 12
BOOKINGS_WANTED = 300  # distinct NIKs, 5 per account
PLACES = 240  # fewer than wanted: the storm also runs the day full
NOTICES = 120
KILL_PLAN = ["workers", "server", "workers", "server"]
CLIENT_DEADLINE = 120  # seconds: a client gives up on a request after this (the test fails)


@dataclass
class BookingJob:
    token: str
    body: bytes
    key: str
    answer_status: int | None = None
    code: str = ""  # the booking code of a 2xx, or the refusal's error code
    answered_request_sent_at: float = 0.0


def drain(jobs: "queue.Queue", work) -> None:
    while True:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            return
        work(job)


def ledger_is_clean() -> str:
    """manage.py check_ledger; fails the test on any drift."""
    from io import StringIO

    out = StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue().strip()


def test_bookings_survive_a_killed_server(server, figures):
    """Every booking a client was told about exists, once; retries replay the same booking."""
    demo.load_office()
    day = prepare_day(places=PLACES)
    tokens = make_accounts(BOOKINGS_WANTED // 5, prefix="chaos")
    niks = distinct_niks()
    jobs = []
    for i in range(BOOKINGS_WANTED):
        nik, birth = next(niks)
        body = booking_body(day, day.windows[i % len(day.windows)], nik, birth)
        jobs.append(BookingJob(tokens[i // 5], json.dumps(body).encode(), uuid.uuid4().hex))
    server.start()

    tally = Tally()
    # One client at a time per account, its five people one after the other (as in bench.load):
    # the crashes are what this test is about, not one account's concurrent requests.
    pending: queue.Queue = queue.Queue()
    for first in range(0, len(jobs), 5):
        pending.put(jobs[first : first + 5])
    acknowledged = itertools.count()
    acks = [0]
    deadline = time.monotonic() + CLIENT_DEADLINE

    def book(job: BookingJob) -> None:
        answer = send_until_answered(
            server.base_url,
            "POST",
            "/api/v1/bookings",
            body=job.body,
            headers={
                "Authorization": f"Bearer {job.token}",
                "Idempotency-Key": job.key,
                "Content-Type": "application/json",
            },
            tally=tally,
            deadline=deadline,
        )
        if answer is None:
            return
        job.answer_status = answer.status
        job.answered_request_sent_at = answer.sent_at
        if 200 <= answer.status < 300:
            job.code = answer.body["code"]
            acks[0] = next(acknowledged) + 1
        else:
            job.code = answer.code

    killer = Killer(
        server, plan=KILL_PLAN, progress=lambda: acks[0], every=30, busy=lambda: pending.qsize()
    )
    killer.start()
    run_threads(
        CLIENTS,
        lambda _i: drain(pending, lambda family: [book(job) for job in family]),
        timeout=CLIENT_DEADLINE + 30,
    )
    killer.stop()
    assert killer.error is None, killer.error

    # Every acknowledged booking once more with its key, through the restarted server: the
    # same booking comes back.
    booked = [j for j in jobs if j.answer_status and 200 <= j.answer_status < 300]
    replays: dict[str, str] = {}
    lock = threading.Lock()
    again: queue.Queue = queue.Queue()
    for job in booked:
        again.put(job)

    def replay(job: BookingJob) -> None:
        answer = send_until_answered(
            server.base_url,
            "POST",
            "/api/v1/bookings",
            body=job.body,
            headers={
                "Authorization": f"Bearer {job.token}",
                "Idempotency-Key": job.key,
                "Content-Type": "application/json",
            },
            tally=tally,
            deadline=time.monotonic() + 60,
        )
        with lock:
            replays[job.key] = answer.body.get("code", "") if answer else "no answer"

    run_threads(4, lambda _i: drain(again, replay), timeout=90)
    server.stop()

    codes = [j.code for j in booked]
    found = Booking.objects.filter(code__in=codes, status__in=ACTIVE_STATUSES).count()
    in_db = Booking.objects.filter(date=day.date).count()
    doubled = (
        Booking.objects.values("nik").annotate(n=Count("id")).filter(n__gt=1).count()
        + len(codes)
        - len(set(codes))
    )
    # A booking committed by a request whose answer the kill cut off, given to the client by
    # its retry (the idempotency record is older than the request that got the answer).
    made_at = dict(
        IdempotencyRecord.objects.filter(key__in=[j.key for j in booked]).values_list(
            "key", "created_at"
        )
    )
    replayed_after_lost_answer = sum(
        1
        for j in booked
        if j.key in made_at and made_at[j.key].timestamp() < j.answered_request_sent_at
    )
    refusals = sorted({j.code for j in jobs if j.answer_status and j.answer_status >= 400})
    figures.update(
        acknowledged=len(booked),
        found=found,
        in_database=in_db,
        doubled=doubled,
        refused=sum(1 for j in jobs if j.answer_status and j.answer_status >= 400),
        lost_answers_replayed=replayed_after_lost_answer,
        kills=len(killer.done),
        server_starts=server.starts,
        answers_503=tally.unavailable,
        transport_errors=sum(tally.transport_errors.values()),
    )
    unanswered = [j for j in jobs if j.answer_status is None]
    assert not unanswered, f"{len(unanswered)} booking requests never got an answer"
    assert not tally.server_errors, tally.server_errors[:5]
    assert not tally.unclear_503, tally.unclear_503[:5]
    assert killer.done == KILL_PLAN, f"only {killer.done} kills landed during the storm"
    assert refusals in ([], ["quota_exhausted"]), refusals
    assert found == len(booked), "a booking a client was told about is missing"
    assert in_db == len(booked), "a booking exists that no client was told about"
    assert doubled == 0
    assert replays == {j.key: j.code for j in booked}, "a retry returned another booking"
    assert IdempotencyRecord.objects.filter(status_code=201).count() == len(booked)
    assert len(booked) <= PLACES
    figures["ledger"] = ledger_is_clean()


def test_payment_notices_survive_a_killed_server(server, figures):
    """Every acknowledged notice is applied exactly once: one payment, one confirmation, one
    e-mail per booking, the same application number on every replay."""
    office = demo.load_office()
    channel = Channel.objects.get(office=office, code="online")
    day = prepare_day(places=NOTICES + 10)
    make_accounts(NOTICES // 5, prefix="payer")
    accounts = list(User.objects.filter(email__startswith="payer").order_by("email"))
    niks = distinct_niks()
    bookings = []
    for i in range(NOTICES):
        nik, birth = next(niks)
        bookings.append(
            book_appointment(
                account=accounts[i // 5],
                channel=channel,
                day=day.date,
                window_start=dt.time.fromisoformat(day.windows[i % len(day.windows)]),
                application_type="new",
                purpose="tourism",
                passport_type="ordinary",
                applicant=ApplicantData(
                    nik=nik,
                    name=f"Pemohon {i}",
                    birth_date=birth,
                    sex="M",
                    phone="081234567890",
                    domicile_regency="3215",
                ),
            )
        )
    paid_at = clock.now().isoformat()
    notices = {
        b.code: json.dumps(
            {"billing_code": b.billing_code, "amount": b.amount, "paid_at": paid_at}
        ).encode()
        for b in bookings
    }
    server.start()

    tally = Tally()
    stream: queue.Queue = queue.Queue()
    # The gateway sends a third of its notices twice (its own retries), the copy a little later.
    codes = list(notices)
    for i, code in enumerate(codes):
        stream.put(code)
        if i % 3 == 0 and i >= 6:
            stream.put(codes[i - 6])
    acknowledged: dict[str, set] = {code: set() for code in codes}
    lock = threading.Lock()
    acks = [0]
    deadline = time.monotonic() + CLIENT_DEADLINE

    def notify(code: str) -> None:
        body = notices[code]
        answer = send_until_answered(
            server.base_url,
            "POST",
            "/api/v1/payments/notify",
            body=body,
            headers={"X-Signature": sign_payment_notice(body), "Content-Type": "application/json"},
            tally=tally,
            deadline=deadline,
        )
        if answer is None:
            return
        with lock:
            if answer.status == 200:
                acknowledged[code].add(answer.body["application_number"])
                acks[0] += 1
            else:
                acknowledged[code].add(f"{answer.status} {answer.code}")

    killer = Killer(
        server, plan=KILL_PLAN, progress=lambda: acks[0], every=15, busy=lambda: stream.qsize()
    )
    killer.start()
    run_threads(8, lambda _i: drain(stream, notify), timeout=CLIENT_DEADLINE + 30)
    killer.stop()
    assert killer.error is None, killer.error
    stream_acks = acks[0]
    # The gateway replays every notice once more after the dust settles.
    for code in codes:
        stream.put(code)
    run_threads(4, lambda _i: drain(stream, notify), timeout=90)
    server.stop()

    confirmed = Booking.objects.filter(code__in=codes, status=BookingStatus.CONFIRMED)
    payments = Booking.objects.filter(code__in=codes, payments__isnull=False).distinct().count()
    confirmations = AuditEvent.objects.filter(action="booking.paid", object_id__in=codes)
    per_booking = confirmations.values("object_id").annotate(n=Count("id"))
    mails = OutboxMessage.objects.filter(dedupe_key__in=[f"booking-paid:{c}" for c in codes])
    numbers = dict(confirmed.values_list("code", "application_number"))
    figures.update(
        notices=len(codes),
        notices_acknowledged_in_storm=stream_acks,  # a third sent twice by the "gateway"
        notices_acknowledged_on_replay=acks[0] - stream_acks,
        bookings_confirmed=confirmed.count(),
        payments=payments,
        confirmations=confirmations.count(),
        kills=len(killer.done),
        answers_503=tally.unavailable,
        transport_errors=sum(tally.transport_errors.values()),
    )
    assert not tally.server_errors, tally.server_errors[:5]
    assert not tally.unclear_503, tally.unclear_503[:5]
    assert killer.done == KILL_PLAN, f"only {killer.done} kills landed during the stream"
    assert {code: answers for code, answers in acknowledged.items()} == {
        code: {numbers.get(code)} for code in codes
    }, "a notice was refused, or answered with another application number"
    assert confirmed.count() == payments == confirmations.count() == mails.count() == NOTICES
    assert all(row["n"] == 1 for row in per_booking)
    figures["ledger"] = ledger_is_clean()
