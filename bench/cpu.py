"""`python -m bench.cpu`: CPU cost of one request, in-process and deterministic (no load).

Wall-clock throughput on a shared 2-core machine is noisy; CPU time is not. This drives the
real WSGI handler (config.wsgi's, the production middleware stack, DEBUG off, the bench
server's environment) from one thread against a fresh PostgreSQL database and reports, per
request kind (GET /healthz, a booking, a refusal of a full window):

- app CPU ms (this process, time.process_time), PostgreSQL backend CPU ms (its /proc stat),
  Redis CPU ms (when the cache is Redis), SQL statements and cache operations per request;
- with --middleware: the CPU each middleware adds to /healthz (the stack without it).

The sum of the CPU columns bounds the rate on N cores: rate <= N * 1000 / (CPU ms per request
+ the load generator's own CPU per request).
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import booking_body
from bench.prepare import configure_django, prepare, registered_niks, reset_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loket_bench_cpu"
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int | None) -> float:
    """utime + stime of a process, seconds (0 if unknown)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def redis_pid() -> int | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
        out = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True)
        return int(out.stdout.split()[0])
    return None


class Meter:
    """Counts SQL statements (execute_wrapper) and cache calls around a block of requests."""

    def __init__(self):
        from django.core.cache import cache
        from django.db import connection

        self.connection = connection
        self.cache = cache
        self.statements = 0
        self.cache_ops = 0
        self._patched = []

    def _sql(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrap = self.connection.execute_wrapper(self._sql)
        self._wrap.__enter__()
        cache = self.cache
        for name in ("get", "get_many", "set", "add", "incr", "delete", "set_many", "touch"):
            original = getattr(cache, name)

            def counted(*a, _original=original, **k):
                self.cache_ops += 1
                return _original(*a, **k)

            setattr(cache, name, counted)
            self._patched.append(name)
        return self

    def __exit__(self, *exc):
        self._wrap.__exit__(*exc)
        for name in self._patched:
            with contextlib.suppress(AttributeError):
                delattr(self.cache, name)
        self._patched.clear()


def environ(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    return env


def call(app, env: dict) -> tuple[int, bytes]:
    status = {}

    def start_response(s, headers, exc_info=None):
        status["s"] = int(s.split()[0])

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status["s"], body


def measure(label: str, n: int, run, pg_pid, rd_pid) -> dict:
    """Run `run(i)` n times; CPU per request of this process, the PG backend and Redis."""
    meter = Meter()
    with meter:
        app0, pg0, rd0, w0 = (
            time.process_time(),
            proc_cpu(pg_pid),
            proc_cpu(rd_pid),
            time.perf_counter(),
        )
        for i in range(n):
            run(i)
        app1, pg1, rd1, w1 = (
            time.process_time(),
            proc_cpu(pg_pid),
            proc_cpu(rd_pid),
            time.perf_counter(),
        )
    row = {
        "label": label,
        "n": n,
        "app_ms": (app1 - app0) / n * 1000,
        "pg_ms": (pg1 - pg0) / n * 1000,
        "redis_ms": (rd1 - rd0) / n * 1000,
        "wall_ms": (w1 - w0) / n * 1000,
        "sql": meter.statements / n,
        "cache": meter.cache_ops / n,
    }
    row["cpu_ms"] = row["app_ms"] + row["pg_ms"] + row["redis_ms"]
    return row


def print_rows(rows: list[dict]) -> None:
    print(
        f"  {'request':<28} {'app CPU':>8} {'PG CPU':>8} {'Redis':>7} {'= CPU ms':>9} "
        f"{'wall ms':>8} {'SQL':>5} {'cache':>6}"
    )
    for r in rows:
        print(
            f"  {r['label']:<28} {r['app_ms']:8.3f} {r['pg_ms']:8.3f} {r['redis_ms']:7.3f} "
            f"{r['cpu_ms']:9.3f} {r['wall_ms']:8.3f} {r['sql']:5.1f} {r['cache']:6.1f}"
        )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    p.add_argument("--database-url", default=DEFAULT_URL, help="its own database (dropped!)")
    p.add_argument("--redis-url", default="", help="e.g. redis://127.0.0.1:6379/8 (flushed!)")
    p.add_argument("-n", type=int, default=1000, help="requests of each kind")
    p.add_argument(
        "--repeat", type=int, default=3, help="runs of each kind; the cheapest is reported"
    )
    p.add_argument(
        "--rate", default="100000/m", help="with --rate-limits: the booking limits' rate"
    )
    p.add_argument("--rate-limits", action="store_true", help="with the rate limits on")
    p.add_argument("--middleware", action="store_true", help="cost of each middleware")
    p.add_argument(
        "--profile",
        default="",
        help="cProfile (CPU time) of the bookings here, refusals in .refusal",
    )
    args = p.parse_args(argv)

    # The bench server's environment (bench/server.py): production-like settings.
    os.environ["LOKET_DEBUG"] = "0"
    os.environ["LOKET_LOG_LEVEL"] = "WARNING"
    os.environ["LOKET_DB_CONN_MAX_AGE"] = "600"
    os.environ["LOKET_RATE_LIMITS_ENABLED"] = "1" if args.rate_limits else "0"
    os.environ["LOKET_IDENTITY_LOCAL_ENROL"] = "0"  # as the bench server (bench/server.py)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        os.environ["REDIS_URL"] = args.redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    if args.rate_limits:  # high enough that nothing is refused: the cost of counting them
        for scope in ("API_BOOKING", "API_BOOKING_NIK", "API_BOOKING_IP"):
            os.environ[f"LOKET_RATE_{scope}"] = args.rate
    reset_database(args.database_url)
    configure_django(args.database_url, tempfile.mkdtemp(prefix="loket-cpu-"))
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    assert not settings.DEBUG
    n = args.n
    reps = args.repeat
    day, tokens = prepare(accounts=(n * reps) // 5 + 4, places=10 * (n * reps + 50))
    niks = iter(registered_niks(3 * n * reps + 100))  # bookings and refusals
    connection.close()
    app = WSGIHandler()
    call(app, environ("GET", "/healthz"))  # connects
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pg_pid = cursor.fetchone()[0]
    rd_pid = redis_pid() if args.redis_url else None

    def healthz(_i):
        status, _ = call(app, environ("GET", "/healthz"))
        assert status == 200, status

    def booking_env(i, token):
        nik, birth = next(niks)
        body = json.dumps(booking_body(day, day.windows[i % len(day.windows)], nik, birth))
        return environ(
            "POST", "/api/v1/bookings", body.encode(), {"Authorization": f"Bearer {token}"}
        )

    booked = iter(range(2, 10**9))

    def book(_i):
        i = next(booked)
        status, body = call(app, booking_env(i, tokens[i // 5]))
        assert status == 201, body

    def refuse(i):
        status, body = call(app, booking_env(i, tokens[-1]))
        assert status == 409 and b"quota_exhausted" in body, body

    for i in range(50):
        healthz(i)
    print(
        f"bench.cpu: {n} requests each, WSGI handler in-process, DEBUG={settings.DEBUG}, "
        f"cache {'Redis' if args.redis_url else 'in-process'}, rate limits "
        f"{'on' if settings.LOKET_RATE_LIMITS_ENABLED else 'off'}, cheapest of {reps} runs"
    )

    def best(label, count, run):
        """The cheapest of `reps` runs: other work on the machine only ever adds CPU time."""
        runs = [measure(label, count, run, pg_pid, rd_pid) for _ in range(reps)]
        return min(runs, key=lambda r: r["cpu_ms"])

    rows = [best("GET /healthz", n, healthz)]
    book(0)
    book(1)  # warm-up (caches)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time, not wall time
        profiler.enable()
        rows.append(measure("POST booking (201)", n - 10, book, pg_pid, rd_pid))
        profiler.disable()
        profiler.dump_stats(args.profile)
    else:
        rows.append(best("POST booking (201)", n - 10, book))

    from loket.capacity import services as ledger
    from loket.capacity.models import CapacitySlot

    for slot_id in CapacitySlot.objects.values_list("pk", flat=True):
        ledger.mark_full(slot_id, ledger.full_state(slot_id)[1])
    refuse(0)
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        rows.append(measure("POST full window (409)", n, refuse, pg_pid, rd_pid))
        profiler.disable()
        profiler.dump_stats(args.profile + ".refusal")
    else:
        rows.append(best("POST full window (409)", n, refuse))
    print_rows(rows)

    if args.middleware:
        from django.test.utils import override_settings

        full = list(settings.MIDDLEWARE)
        base = measure("all", n, healthz, pg_pid, rd_pid)["app_ms"]
        print(f"\nMiddleware on GET /healthz: app CPU ms with the full stack {base:.3f}")
        for name in full:
            with override_settings(MIDDLEWARE=[m for m in full if m != name]):
                stripped = WSGIHandler()
                row = measure(
                    name,
                    n,
                    lambda _i, a=stripped: call(a, environ("GET", "/healthz")),
                    pg_pid,
                    None,
                )
            print(f"  {name:<55} {base - row['app_ms']:+.3f} ms")
        with override_settings(MIDDLEWARE=[]):
            bare = WSGIHandler()
            row = measure(
                "none", n, lambda _i: call(bare, environ("GET", "/healthz")), pg_pid, None
            )
        print(f"  {'(no middleware at all)':<55} {row['app_ms']:.3f} ms")
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
