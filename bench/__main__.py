"""`python -m bench`: set up, start gunicorn (config/gunicorn.py), run the scenarios, report.

Scenarios, with their ceilings measured in the same run: an open release stormed by 64 and by
256 clients; refusals on a sold-out day; a fair release with 500 people of whom 10% send 10x
the requests; GET /healthz (the web stack's limit) and the raw booking transaction on
PostgreSQL (spread over a day's windows, and all on one slot row); the server's peak memory; the
reports' timings (loket.reports.bench). Rate limits are on, as in production: each simulated
client sends its own address (X-Forwarded-For, as the edge proxy would). Issue 17's targets are
printed last with their ratios, PASS or MISS. --proxy: two app servers behind HAProxy.

Exits non-zero if any booking went over capacity, any answer was a 5xx, the ledger, the
bookings and the 201 answers disagree, a refusal was not `quota_exhausted`, or someone was
admitted twice by the waiting room.
"""

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import load, node_sync
from bench.burst import run_make_run_burst
from bench.prepare import (
    check_ledger,
    configure_django,
    ensure_database,
    make_accounts,
    prepare,
    prepare_day,
    registered_niks,
    reset_database,
)
from bench.server import MemorySampler, ProxiedServers, Server

DEFAULT_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loket_bench")
DEFAULT_REPORTS_URL = os.environ.get(
    "BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loket_bench_year"
)
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--database-url", default=DEFAULT_URL, help="bench database (dropped!)")
    p.add_argument("-c", "--clients", type=int, default=64, help="concurrent clients")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    p.add_argument("--places", type=int, default=1000, help="online places on the bench day")
    p.add_argument("--duration", type=float, default=45, help="storm time bound (s)")
    p.add_argument("--requests", type=int, default=200_000, help="storm request bound")
    p.add_argument("--ceiling-seconds", type=float, default=5, help="each ceiling's run (s)")
    p.add_argument("--clients-big", type=int, default=256, help="clients of the second storm")
    p.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS,
        help="the bench's own Redis database (flushed!); empty: in-process cache",
    )
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument(
        "--reports-database-url",
        default=DEFAULT_REPORTS_URL,
        help="database of the generated year for the report timings (created and filled "
        "once, ~2 min, then kept); empty: skip them",
    )
    p.add_argument(
        "--burst-clients",
        type=int,
        default=200,
        help="simultaneous clients against make run's server on SQLite (0: skip)",
    )
    p.add_argument("--fair-people", type=int, default=500)
    p.add_argument("--fair-places", type=int, default=250)
    p.add_argument("--fair-lottery", type=float, default=12, help="lottery period (s)")
    p.add_argument("--fair-rate", type=int, default=900, help="people let in per minute")
    p.add_argument(
        "--proxy",
        action="store_true",
        help="two app servers (half the workers each) behind HAProxy (`make proxy`)",
    )
    return p.parse_args(argv)


# Issue 17's targets, as ratios within one run (they hold on any machine).
BOOKING_RATIO = 0.5  # bookings/s at `--clients` : GET /healthz/s
BOOKING_P99_MS = 100.0  # p99 of a booking (201) at `--clients`
REFUSAL_RATIO = 0.9  # refusals of a full day/s : GET /healthz/s


def targets(*, storm, health_rate, refused_rate, safe: bool) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target."""
    booking_rate = storm.created / storm.fill_time if storm.fill_time else 0.0
    booking_ratio = booking_rate / health_rate if health_rate else 0.0
    p99 = pct(storm.booking_latencies, 99)
    refusal_ratio = refused_rate / health_rate if health_rate else 0.0
    return [
        (
            f"bookings/s : healthz >= {BOOKING_RATIO}",
            f"{booking_ratio:.3f} ({booking_ratio / BOOKING_RATIO:.2f} of the target)",
            booking_ratio >= BOOKING_RATIO,
        ),
        (
            f"p99 booking < {BOOKING_P99_MS:.0f} ms",
            f"{p99:.1f} ms ({p99 / BOOKING_P99_MS:.2f} of the bound)",
            p99 < BOOKING_P99_MS,
        ),
        (
            f"refusals/s : healthz >= {REFUSAL_RATIO}",
            f"{refusal_ratio:.3f} ({refusal_ratio / REFUSAL_RATIO:.2f} of the target)",
            refusal_ratio >= REFUSAL_RATIO,
        ),
        (
            "rate limits on: 0 over capacity, 0 5xx, ledgers consistent, fair release",
            "yes" if safe else "NO (see above)",
            safe,
        ),
    ]


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))] * 1000


def line(label: str, value) -> None:
    print(f"  {label:<38} {value}")


def latency_line(label: str, values: list[float]) -> None:
    line(label, f"{pct(values, 50):.1f} / {pct(values, 95):.1f} / {pct(values, 99):.1f}")


def reset_redis(url: str) -> bool:
    """Empty the bench's own Redis database (its number is in the URL: never a shared one)."""
    if not url:
        return False
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as exc:
        print(f"  Redis at {url} unavailable ({exc}): the in-process cache is used")
        return False
    return True


def run_storm(label, server, day, tokens, clients, args, niks):
    print(f"{label}: {clients} clients against {server.base_url} ...", flush=True)
    result = asyncio.run(
        load.storm(
            base_url=server.base_url,
            day=day,
            tokens=tokens,
            clients=clients,
            duration=args.duration,
            max_requests=args.requests,
            niks=niks,
        )
    )
    return result


def print_storm(title, storm, day, ledger, health_rate, raw_rate) -> bool:
    booking_rate = storm.created / storm.fill_time if storm.fill_time else 0.0
    over_capacity = max(storm.created - day.places, 0)
    requests = sum(storm.statuses.values())
    print(title)
    line(
        "requests answered",
        f"{requests} in {storm.elapsed:.2f}s ({requests / storm.elapsed:.0f}/s)",
    )
    line("bookings (201)", f"{storm.created} of {day.places} places")
    line("bookings/s (until the day was full)", f"{booking_rate:.0f}  ({storm.fill_time:.2f}s)")
    latency_line("latency all p50/p95/p99 (ms)", storm.latencies)
    latency_line("latency 201 p50/p95/p99 (ms)", storm.booking_latencies)
    latency_line("latency 409 full p50/p95/p99 (ms)", storm.refusal_latencies)
    line("409 quota_exhausted / other 4xx", f"{storm.quota_exhausted} / {storm.other_4xx}")
    line("5xx / transport errors", f"{storm.server_errors} / {sum(storm.errors.values())}")
    line("over capacity (201s - places)", over_capacity)
    if storm.timed_out:
        line("NOTE", "stopped by --duration/--requests before every client saw the day full")
    for sample in storm.samples:
        line("unexpected answer", sample)
    line(
        "ledger sum(used) / active / 201s",
        f"{ledger['sum_used']} / {ledger['active_bookings']} / {ledger['created_201']}"
        f" ({'consistent' if ledger['ok'] else 'INCONSISTENT'})",
    )
    line("bookings/s : raw PostgreSQL", f"{booking_rate / raw_rate:.3f}" if raw_rate else "n/a")
    line("bookings/s : healthz", f"{booking_rate / health_rate:.3f}" if health_rate else "n/a")
    return over_capacity > 0 or storm.server_errors > 0 or not ledger["ok"]


def setup_fair_release(day, *, lottery_seconds: float, admit_per_minute: int):
    """The waiting room on the online channel, its lottery ending `lottery_seconds` from now."""
    from loket.core import clock
    from loket.offices.models import Channel
    from loket.release.models import FairRelease
    from loket.release.services import release_for

    channel = Channel.objects.get(office__code=day.office, code=day.channel)
    setting, _ = FairRelease.objects.update_or_create(channel=channel, defaults={"enabled": True})
    release = release_for(channel, day.date)
    since = (clock.now() - release.release_at).total_seconds()
    setting.lottery_seconds = math.ceil(since + lottery_seconds)
    setting.period_hours = math.ceil(since / 3600) + 2
    setting.admit_per_minute = admit_per_minute
    setting.turn_seconds = 120
    setting.save()
    return setting


def fair_checks(day) -> dict:
    from django.db.models import Count

    from loket.booking.models import ACTIVE_STATUSES, Booking
    from loket.release.models import WaitingEntry

    entries = WaitingEntry.objects.all()
    twice_account = (
        entries.values("account_id", "release_at").annotate(n=Count("id")).filter(n__gt=1)
    )
    twice_nik = entries.values("nik", "release_at").annotate(n=Count("id")).filter(n__gt=1)
    bookings = Booking.objects.filter(
        office__code=day.office, date=day.date, status__in=ACTIVE_STATUSES
    )
    per_account = bookings.values("account_id").annotate(n=Count("id")).filter(n__gt=1)
    used = entries.filter(used_at__isnull=False).count()
    return {
        "entries": entries.count(),
        "admitted_twice": twice_account.count() + twice_nik.count() + per_account.count(),
        "used": used,
        "bookings": bookings.count(),
    }


def year_reports(database_url: str, data_dir: str) -> list[dict]:
    """Every report for a year of a large office: the year (~200,000 bookings, ~1,000,000
    queue events) is generated by `manage.py generate_year` the first time and kept. Each
    report is timed on its second run: the first computes and keeps the closed months' queue
    summaries, as the first visit after a month closes does."""
    ensure_database(database_url)
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOKET_DATA_DIR": data_dir,
        "LOKET_DEBUG": "0",
        "LOKET_LOG_LEVEL": "WARNING",
    }

    def manage(*command: str) -> str:
        done = subprocess.run(
            [sys.executable, *command], cwd=root, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()[-300:]}")
        return done.stdout

    manage("manage.py", "migrate", "--noinput")
    print("  " + manage("manage.py", "generate_year", "--office", "BESAR", "--if-empty").strip())
    manage("-m", "loket.reports.bench", "--json")
    return json.loads(manage("-m", "loket.reports.bench", "--json"))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A plain `kill` must still stop the server: turn SIGTERM into an exit that runs `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data_dir = tempfile.mkdtemp(prefix="loket-bench-")
    t_setup = time.perf_counter()
    print(f"Resetting {args.database_url} and setting up ...", flush=True)
    reset_database(args.database_url)
    redis_on = reset_redis(args.redis_url)
    if redis_on:
        os.environ["REDIS_URL"] = args.redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    configure_django(args.database_url, data_dir)
    big = args.clients_big
    accounts = 2 * args.clients + math.ceil(args.places / load.PER_ACCOUNT)
    day, tokens = prepare(accounts=accounts, places=args.places)
    day_big = prepare_day(places=args.places, skip=(day.date,))
    tokens_big = make_accounts(2 * big + math.ceil(args.places / load.PER_ACCOUNT), "big")
    day_fair = prepare_day(places=args.fair_places, skip=(day.date, day_big.date))
    tokens_fair = make_accounts(args.fair_people, "fair")
    tokens_sold = make_accounts(args.clients, "sold")
    # Each 201 and each unexpected answer moves a client to a new NIK: at most the places
    # and the requests of the two storms, the refusing clients and the fair release's people.
    niks = iter(
        registered_niks(
            2 * args.places + 2 * (args.clients + big) + args.fair_people + args.clients + 2000
        )
    )
    print(
        f"  days {day.date} / {day_big.date} ({len(day.windows)} windows, {day.places} places), "
        f"fair day {day_fair.date} ({day_fair.places} places), "
        f"{accounts + len(tokens_big) + len(tokens_fair) + len(tokens_sold)} accounts, "
        f"cache {'Redis ' + args.redis_url if redis_on else 'in-process'}, "
        f"setup {time.perf_counter() - t_setup:.1f}s",
        flush=True,
    )

    from django.db import connections

    connections.close_all()
    server_class = ProxiedServers if args.proxy else Server
    server = server_class(
        database_url=args.database_url,
        data_dir=data_dir,
        workers=args.workers,
        threads=args.threads,
        log=Path(data_dir) / ("haproxy.log" if args.proxy else "gunicorn.log"),
        redis_url=args.redis_url if redis_on else "",
        port=args.port,
        production_limits=True,
    )
    sampler = MemorySampler(server)
    fair = None
    try:
        server.start()
        sampler.start()
        # The ceiling before the storms and after the refusals: its mean stands for the load
        # the machine had during both (others' work on a shared machine drifts).
        print("Ceiling: GET /healthz ...", flush=True)
        health_before = asyncio.run(
            load.healthz_rate(
                base_url=server.base_url, clients=args.clients, duration=args.ceiling_seconds
            )
        )
        storm = run_storm("Open release", server, day, tokens, args.clients, args, niks)
        storm_big = run_storm("Open release", server, day_big, tokens_big, big, args, niks)
        print("Sold-out day: refusals ...", flush=True)
        refused = asyncio.run(
            load.refusals(
                base_url=server.base_url,
                day=day,
                tokens=tokens_sold,
                clients=args.clients,
                duration=args.ceiling_seconds,
                niks=niks,
            )
        )
        print("Ceiling: GET /healthz ...", flush=True)
        health_after = asyncio.run(
            load.healthz_rate(
                base_url=server.base_url, clients=args.clients, duration=args.ceiling_seconds
            )
        )
        health = load.RateResult(
            health_before.count + health_after.count,
            health_before.failures + health_after.failures,
            health_before.elapsed + health_after.elapsed,
            health_before.latencies + health_after.latencies,
            f"{health_before.rate:.0f} before the storms, {health_after.rate:.0f} after",
        )
        print(f"Fair release: {args.fair_people} people ...", flush=True)
        setup_fair_release(
            day_fair, lottery_seconds=args.fair_lottery, admit_per_minute=args.fair_rate
        )
        connections.close_all()
        if not redis_on:  # the workers' configuration copies expire after CONFIG_TTL
            from loket.booking.config_cache import CONFIG_TTL

            time.sleep(CONFIG_TTL + 0.5)
        people = []
        for token in tokens_fair:
            nik, birth = next(niks)
            people.append((token, nik, birth))
        heavy = set(random.Random(11).sample(range(len(people)), len(people) // 10))
        lottery_ends = time.perf_counter() + args.fair_lottery
        after = len(people) / (args.fair_rate / 60)
        fair = asyncio.run(
            load.fair_release(
                base_url=server.base_url,
                day=day_fair,
                people=people,
                heavy=heavy,
                arrive_within=args.fair_lottery * 0.7,
                lottery_ends=lottery_ends,
                deadline=lottery_ends + after + 20,
            )
        )
    finally:
        sampler.stop()
        server.stop()
        log_tail = "".join(
            log.read_text(errors="replace")[-2000:] for log in sorted(Path(data_dir).glob("*.log"))
        )

    print("Ceiling: raw booking transaction on PostgreSQL ...", flush=True)
    raw = asyncio.run(
        load.raw_rate(
            database_url=args.database_url,
            day=day,
            clients=args.clients,
            duration=args.ceiling_seconds,
        )
    )
    print("Ceiling: raw booking transaction on one slot row (the hot row) ...", flush=True)
    hot = asyncio.run(
        load.raw_rate(
            database_url=args.database_url,
            day=day,
            clients=args.clients,
            duration=args.ceiling_seconds,
            one_slot=True,
        )
    )
    ledger = check_ledger(day, storm.created, sum(storm.errors.values()))
    ledger_big = check_ledger(day_big, storm_big.created, sum(storm_big.errors.values()))
    fair_db = fair_checks(day_fair)

    connections.close_all()
    burst_result = None
    if args.burst_clients:
        print(f"Burst: {args.burst_clients} clients against make run's server ...", flush=True)
        burst_result = run_make_run_burst(clients=args.burst_clients)

    report_rows: list[dict] | str = "skipped (--reports-database-url '')"
    if args.reports_database_url:
        print("Report timings: a generated year (loket.reports.bench) ...", flush=True)
        try:
            report_rows = year_reports(args.reports_database_url, data_dir)
        except Exception as exc:  # noqa: BLE001 - the reports' bench must not stop this one
            report_rows = f"{type(exc).__name__}: {exc}"
    shutil.rmtree(data_dir, ignore_errors=True)

    print()
    serving = (
        f"HAProxy in front of 2 app servers x {server.workers // 2} gunicorn worker(s)"
        if args.proxy
        else f"{args.workers} gunicorn worker(s)"
    )
    print(
        f"Loket bench: {serving} x {args.threads} thread(s) "
        f"(config/gunicorn.py), PostgreSQL, cache {'Redis' if redis_on else 'in-process'}, "
        f"rate limits on (each client its own address), {os.cpu_count()} CPU(s)"
    )
    print("Ceilings (same run)")
    line(
        "raw booking transaction (PostgreSQL)/s",
        f"{raw.rate:.0f}  (p99 {pct(raw.latencies, 99):.1f} ms, {raw.note}, {raw.failures} failed)",
    )
    line(
        "the same, all on one slot row/s",
        f"{hot.rate:.0f}  (p99 {pct(hot.latencies, 99):.1f} ms, {hot.failures} failed)",
    )
    line(
        "GET /healthz/s",
        f"{health.rate:.0f}  (p99 {pct(health.latencies, 99):.1f} ms, {health.failures} failed;"
        f" {health.note})",
    )
    failed = print_storm(
        f"Open release, {args.clients} clients, day {day.date} ({day.places} places)",
        storm,
        day,
        ledger,
        health.rate,
        raw.rate,
    )
    failed |= print_storm(
        f"Open release, {big} clients, day {day_big.date} ({day_big.places} places)",
        storm_big,
        day_big,
        ledger_big,
        health.rate,
        raw.rate,
    )
    print(f"Sold-out day: {args.clients} clients asking for places on a full day")
    line("refusals (409 quota_exhausted)/s", f"{refused.rate:.0f}")
    latency_line("refusal latency p50/p95/p99 (ms)", refused.latencies)
    line("refusals/s : healthz/s", f"{refused.rate / health.rate:.2f}" if health.rate else "n/a")
    line("other answers", f"{refused.failures} {refused.note}")
    failed |= refused.failures > 0
    if fair is not None:
        heavy_people = fair.heavy / fair.people * 100
        heavy_places = fair.heavy_won / fair.won * 100 if fair.won else float("nan")
        print(
            f"Fair release: {fair.people} people ({fair.heavy} heavy senders, 10x requests), "
            f"{fair.places} places, lottery {args.fair_lottery:.0f}s, {args.fair_rate}/min let in"
        )
        line(
            "requests light / heavy",
            f"{fair.requests['light']} / {fair.requests['heavy']} "
            f"(per person {fair.requests['light'] / max(fair.people - fair.heavy, 1):.1f} / "
            f"{fair.requests['heavy'] / max(fair.heavy, 1):.1f})",
        )
        line("in line / booked / places", f"{fair_db['entries']} / {fair.won} / {fair.places}")
        line(
            "heavy share of people / of places",
            f"{heavy_people:.1f}% / {heavy_places:.1f}%  "
            f"(difference {heavy_places - heavy_people:+.1f} points, "
            f"ratio {heavy_places / heavy_people:.2f})",
        )
        line("admitted twice (account or NIK)", fair_db["admitted_twice"])
        line("admissions used / bookings", f"{fair_db['used']} / {fair_db['bookings']}")
        line("5xx", fair.server_errors)
        line("answers", ", ".join(f"{k}: {n}" for k, n in fair.statuses.most_common(8)))
        for sample in fair.samples:
            line("unexpected answer", sample)
        line("elapsed", f"{fair.elapsed:.1f}s")
        failed |= fair.server_errors > 0 or fair_db["admitted_twice"] > 0
        failed |= fair_db["used"] != fair_db["bookings"]
    if burst_result is not None:
        print(
            f"Burst: {burst_result.clients} simultaneous clients, one booking each on a new "
            "connection, against make run's server (python -m config.run: gunicorn, SQLite)"
        )
        line("answers", ", ".join(f"{k}: {n}" for k, n in sorted(burst_result.statuses.items())))
        line("answered in", f"{burst_result.elapsed:.1f}s")
        for sample in burst_result.samples:
            line("unexpected answer", sample)
        print(f"connections dropped: {burst_result.connections_dropped}")
        failed |= not burst_result.ok
    failed |= not node_sync.print_lines()
    print("Memory")
    line("server peak RSS (master + workers)", f"{sampler.peak_mb:.0f} MB")
    print("Reports: a generated year of office BESAR (loket.reports.bench)")
    if isinstance(report_rows, str):
        line("could not run", report_rows[:200])
    else:
        for row in report_rows:
            line(
                str(row.get("report"))[:38],
                f"{row.get('seconds', 0) * 1000:.0f} ms, {row.get('rows')} rows",
            )
    print(f"Targets (issue 17), {args.clients} clients, ratios of this run")
    for label, measured, met in targets(
        storm=storm, health_rate=health.rate, refused_rate=refused.rate, safe=not failed
    ):
        print(f"  {'PASS' if met else 'MISS'}  {label:<44} {measured}")
    if failed:
        print("\nserver log tail:\n" + log_tail)
    print(
        "\nRESULT:",
        "FAIL" if failed else "OK (0 over capacity, 0 server errors, ledgers consistent)",
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
