"""`python -m bench`: set up, start gunicorn, storm one office-day, measure the ceilings, report.

Exits non-zero if any booking went over capacity, any answer was a 5xx, or the ledger, the
bookings and the 201 answers disagree.
"""

import argparse
import asyncio
import math
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import load
from bench.prepare import check_ledger, configure_django, prepare, reset_database
from bench.server import MemorySampler, Server

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loket_bench"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--database-url", default=DEFAULT_URL, help="bench database (dropped!)")
    p.add_argument("-c", "--clients", type=int, default=64, help="concurrent clients")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    p.add_argument("--places", type=int, default=1000, help="online places on the bench day")
    p.add_argument("--duration", type=float, default=45, help="storm time bound (s)")
    p.add_argument("--requests", type=int, default=200_000, help="storm request bound")
    p.add_argument("--ceiling-seconds", type=float, default=5, help="each ceiling's run (s)")
    return p.parse_args(argv)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))] * 1000


def line(label: str, value) -> None:
    print(f"  {label:<38} {value}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A plain `kill` must still stop the server: turn SIGTERM into an exit that runs `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data_dir = tempfile.mkdtemp(prefix="loket-bench-")
    t_setup = time.perf_counter()
    print(f"Resetting {args.database_url} and setting up ...", flush=True)
    reset_database(args.database_url)
    configure_django(args.database_url, data_dir)
    accounts = 2 * args.clients + math.ceil(args.places / load.PER_ACCOUNT)
    day, tokens = prepare(accounts=accounts, places=args.places)
    print(
        f"  day {day.date} ({len(day.windows)} windows, {day.places} places), "
        f"{accounts} accounts, setup {time.perf_counter() - t_setup:.1f}s",
        flush=True,
    )

    from django.db import connections

    connections.close_all()
    server = Server(
        database_url=args.database_url,
        data_dir=data_dir,
        workers=args.workers,
        threads=args.threads,
        log=Path(data_dir) / "gunicorn.log",
    )
    sampler = MemorySampler(server)
    try:
        server.start()
        sampler.start()
        print(f"Storm: {args.clients} clients against {server.base_url} ...", flush=True)
        storm = asyncio.run(
            load.storm(
                base_url=server.base_url,
                day=day,
                tokens=tokens,
                clients=args.clients,
                duration=args.duration,
                max_requests=args.requests,
            )
        )
        print("Ceiling: GET /healthz ...", flush=True)
        health = asyncio.run(
            load.healthz_rate(
                base_url=server.base_url, clients=args.clients, duration=args.ceiling_seconds
            )
        )
    finally:
        sampler.stop()
        server.stop()
        log_tail = (Path(data_dir) / "gunicorn.log").read_text(errors="replace")[-2000:]

    print("Ceiling: raw booking transaction on PostgreSQL ...", flush=True)
    raw = asyncio.run(
        load.raw_rate(
            database_url=args.database_url,
            day=day,
            clients=args.clients,
            duration=args.ceiling_seconds,
        )
    )
    ledger = check_ledger(day, storm.created, sum(storm.errors.values()))
    connections.close_all()
    shutil.rmtree(data_dir, ignore_errors=True)

    booking_rate = storm.created / storm.fill_time if storm.fill_time else 0.0
    over_capacity = storm.created - day.places
    requests = sum(storm.statuses.values())
    print()
    print(
        f"Loket bench: {args.clients} clients, {args.workers} gunicorn worker(s) x "
        f"{args.threads} thread(s), PostgreSQL, day {day.date} with {day.places} places"
    )
    print("Storm (POST /api/v1/bookings until every window is full for every client)")
    line(
        "requests answered",
        f"{requests} in {storm.elapsed:.2f}s ({requests / storm.elapsed:.0f}/s)",
    )
    line("bookings (201)", storm.created)
    line("bookings/s (until the day was full)", f"{booking_rate:.0f}  ({storm.fill_time:.2f}s)")
    line(
        "latency all p50/p95/p99 (ms)",
        f"{pct(storm.latencies, 50):.1f} / {pct(storm.latencies, 95):.1f} / "
        f"{pct(storm.latencies, 99):.1f}",
    )
    line(
        "latency 201 p50/p95/p99 (ms)",
        f"{pct(storm.booking_latencies, 50):.1f} / {pct(storm.booking_latencies, 95):.1f} / "
        f"{pct(storm.booking_latencies, 99):.1f}",
    )
    line(
        "latency 409 full p50/p95/p99 (ms)",
        f"{pct(storm.refusal_latencies, 50):.1f} / {pct(storm.refusal_latencies, 95):.1f} / "
        f"{pct(storm.refusal_latencies, 99):.1f}",
    )
    line("409 quota_exhausted", storm.quota_exhausted)
    line("other 4xx", storm.other_4xx)
    line("5xx", storm.server_errors)
    line("transport errors", sum(storm.errors.values()) or 0)
    line("over capacity (201s - places)", over_capacity)
    if storm.timed_out:
        line("NOTE", "stopped by --duration/--requests before every client saw the day full")
    for sample in storm.samples:
        line("unexpected answer", sample)
    print("Ledger check (database after the storm)")
    line(
        "sum(used) / active bookings / 201s",
        f"{ledger['sum_used']} / {ledger['active_bookings']} / {ledger['created_201']}",
    )
    line("slots with used > capacity", ledger["slots_over_capacity"])
    line("consistent", "yes" if ledger["ok"] else "NO")
    print("Ceilings (same run)")
    line(
        "raw booking transaction (PostgreSQL)/s",
        f"{raw.rate:.0f}  (p99 {pct(raw.latencies, 99):.1f} ms, {raw.note}, {raw.failures} failed)",
    )
    line(
        "GET /healthz/s",
        f"{health.rate:.0f}  (p99 {pct(health.latencies, 99):.1f} ms, {health.failures} failed)",
    )
    line("storm / raw PostgreSQL", f"{booking_rate / raw.rate:.3f}" if raw.rate else "n/a")
    line("storm / healthz", f"{booking_rate / health.rate:.3f}" if health.rate else "n/a")
    print("Memory")
    line("server peak RSS (master + workers)", f"{sampler.peak_mb:.0f} MB")

    failed = over_capacity > 0 or storm.server_errors > 0 or not ledger["ok"]
    if storm.server_errors:
        print("\ngunicorn log tail:\n" + log_tail)
    print("\nRESULT:", "FAIL" if failed else "OK (0 over capacity, 0 server errors)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
