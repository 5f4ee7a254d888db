"""`python -m bench.profile`: where one booking request spends its time (no server, no load).

Runs N bookings through the full Django stack in-process (test client, same middleware and API)
against a fresh PostgreSQL database, under cProfile, and prints: time per booking and per
/healthz, the SQL statements of one booking with their times, and the top functions.
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time

from bench.load import booking_body
from bench.prepare import configure_django, distinct_niks, prepare, reset_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loket_bench_profile"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--database-url", default=DEFAULT_URL, help="profile database (dropped!)")
    p.add_argument("-n", "--bookings", type=int, default=100)
    p.add_argument("--top", type=int, default=30, help="functions to list")
    args = p.parse_args(argv)

    reset_database(args.database_url)
    configure_django(args.database_url, tempfile.mkdtemp(prefix="loket-profile-"))
    from django.db import connection
    from django.test import Client

    n = args.bookings
    day, tokens = prepare(accounts=(3 * n) // 10 + 2, places=10 * (n + 10))
    niks = distinct_niks()
    client = Client()

    def book(i: int) -> None:
        nik, birth = next(niks)
        response = client.post(
            "/api/v1/bookings",
            booking_body(day, day.windows[i % len(day.windows)], nik, birth),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[i // 5]}",
        )
        assert response.status_code == 201, response.content

    book(0)  # warm-up
    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - t0, sql))

    with connection.execute_wrapper(timed):
        book(1)  # the statements of one booking
    started = time.perf_counter()
    for i in range(2, n):
        book(i)
    per_booking = (time.perf_counter() - started) / max(n - 2, 1) * 1000
    started = time.perf_counter()
    for _ in range(200):
        client.get("/healthz")
    per_health = (time.perf_counter() - started) / 200 * 1000

    print(
        f"One client, in-process: {per_booking:.1f} ms per booking, {per_health:.2f} ms per "
        f"/healthz"
    )
    sql_ms = sum(t for t, _ in statements) * 1000
    print(f"\nSQL of one booking: {len(statements)} statements, {sql_ms:.1f} ms")
    for t, sql in statements:
        print(f"  {t * 1000:6.1f} ms  {sql[:110]}")

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n, n + n // 2):
        book(i)
    profiler.disable()
    listings = [
        ("Loket's own functions by cumulative time", "cumulative", ("/loket/", args.top)),
        (f"Top {args.top} by cumulative time", "cumulative", (args.top,)),
        (f"Top {args.top} by own time", "tottime", (args.top,)),
    ]
    for title, order, restrictions in listings:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*restrictions)
        print(f"\n{title} ({n // 2} bookings):")
        print(out.getvalue().split("\n\n", 2)[-1])

    # A sold-out window: every request is refused. Where does a refusal spend its time?
    from loket.capacity import services as ledger
    from loket.capacity.models import CapacitySlot

    for slot_id in CapacitySlot.objects.values_list("pk", flat=True):
        ledger.mark_full(slot_id, ledger.full_state(slot_id)[1])

    def refuse(i: int) -> None:
        nik, birth = next(niks)
        response = client.post(
            "/api/v1/bookings",
            booking_body(day, day.windows[i % len(day.windows)], nik, birth),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[-1]}",
        )
        assert response.status_code == 409, response.content

    refuse(0)
    statements.clear()
    with connection.execute_wrapper(timed):
        refuse(1)
    started = time.perf_counter()
    for i in range(200):
        refuse(i)
    per_refusal = (time.perf_counter() - started) / 200 * 1000
    print(f"\nRefusal of a full window: {per_refusal:.2f} ms, {len(statements)} SQL statement(s)")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(200):
        refuse(i)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print("Top by cumulative time (200 refusals):")
    print(out.getvalue().split("\n\n", 2)[-1])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print("Top by own time (200 refusals):")
    print(out.getvalue().split("\n\n", 2)[-1])
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
