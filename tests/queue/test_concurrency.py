"""The queue under real parallel load, one database connection per thread: two counters never
get the same ticket, and parallel walk-ins never exceed the priority quota.

On PostgreSQL the writers really run in parallel (SKIP LOCKED, conditional UPDATEs); on SQLite
the IMMEDIATE transactions make them queue, which must be correct too.
"""

import datetime as dt
import threading
from collections import Counter as Tally

import pytest
from django.db import connection

from loket.capacity.models import CapacitySlot
from loket.core.errors import DomainError
from loket.queue import counter_actions, errors, office_setup, walk_ins
from loket.queue.models import Counter, Ticket, TicketEvent, TicketSequence
from tests.conftest import make_nik

pytestmark = pytest.mark.django_db(transaction=True)


# The PostgreSQL run is the real race; the SQLite run shows the embedded database is correct too.
BOTH = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param(
        "sqlite",
        marks=pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite run"),
    ),
]


def run_in_threads(tasks, *, timeout: float = 60) -> list:
    """Start every task at one barrier, each in its own thread and connection."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def runner(i, task):
        try:
            barrier.wait(timeout=timeout)
            results[i] = task()
        except BaseException as exc:  # noqa: B036 - handed back to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(i, t), daemon=True) for i, t in enumerate(tasks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def outcome(result) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"
    return "ok"


def emergency_tickets(office, officer, n: int) -> list[Ticket]:
    return [
        walk_ins.issue_walk_in_ticket(
            office=office,
            lane_kind="emergency",
            name=f"Darurat {i}",
            nik=make_nik(dt.date(1990, 1, 1), serial=i + 1),
            officer=officer,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("db_kind", BOTH)
def test_two_counters_calling_at_once_never_share_a_ticket(
    queue_office, supervisor, officer, now, db_kind
):
    """20 rounds of two counters pressing 'call next' at the same moment: every call gets a
    different ticket, every ticket is called once, and each counter holds one at a time."""
    rounds = 20
    emergency_tickets(queue_office, supervisor, 2 * rounds)
    counters = [Counter.objects.get(office=queue_office, number=n) for n in (1, 2)]
    seen: list[int] = []
    for _ in range(rounds):
        results = run_in_threads(
            [
                lambda c=c: counter_actions.call_next_ticket(counter=c, officer=officer)
                for c in counters
            ]
        )
        assert [outcome(r) for r in results] == ["ok", "ok"], results
        assert results[0].pk != results[1].pk
        seen += [r.pk for r in results]
        run_in_threads(
            [
                lambda c=c: counter_actions.complete_ticket(counter=c, officer=officer)
                for c in counters
            ]
        )
    assert len(seen) == len(set(seen)) == 2 * rounds
    calls = Tally(TicketEvent.objects.filter(kind="called").values_list("ticket_id", flat=True))
    assert set(calls.values()) == {1}
    with pytest.raises(errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=counters[0], officer=officer)


@pytest.mark.postgres
def test_many_counters_drain_the_queue_exactly_once(queue_office, supervisor, officer, now):
    """Four counters serving the same stage call 12 times each, in parallel, for 30 tickets:
    30 calls succeed, the rest find nobody waiting, and no ticket is called twice."""
    for n in (3, 4):
        office_setup.save_counter(office=queue_office, number=n, stage_codes=["document_check"])
    emergency_tickets(queue_office, supervisor, 30)
    counters = list(Counter.objects.filter(office=queue_office).order_by("number"))

    def serve(counter):
        got = []
        for _ in range(12):
            try:
                ticket = counter_actions.call_next_ticket(counter=counter, officer=officer)
            except errors.NobodyWaiting:
                continue
            got.append(ticket.pk)
            counter_actions.complete_ticket(counter=counter, officer=officer)
        return got

    results = run_in_threads([lambda c=c: serve(c) for c in counters], timeout=120)
    assert all(isinstance(r, list) for r in results), results
    called = [pk for r in results for pk in r]
    assert len(called) == len(set(called)) == 30


@pytest.mark.parametrize("db_kind", BOTH)
def test_parallel_priority_walk_ins_never_exceed_the_quota(queue_office, desk, now, db_kind):
    """30 eligible people at the desks at once for 20 priority places: exactly 20 tickets,
    numbered P001-P020, and 10 clear refusals."""
    results = run_in_threads(
        [
            lambda i=i: walk_ins.issue_walk_in_ticket(
                office=queue_office,
                lane_kind="priority",
                name=f"Lansia {i}",
                nik=make_nik(dt.date(1950, 1, 1), serial=i + 1),
                officer=desk,
            )
            for i in range(30)
        ]
    )
    assert Tally(outcome(r) for r in results) == {"ok": 20, "priority_quota_exhausted": 10}
    slot = CapacitySlot.objects.get(channel__code="priority", date=now.date())
    assert slot.used == 20 == Ticket.objects.filter(lane__kind="priority").count()
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    assert TicketSequence.objects.get(lane__kind="priority").last_number == 20
