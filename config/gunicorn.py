"""Production serving: `gunicorn -c config/gunicorn.py config.wsgi:application`.

Every setting can be overridden by its environment variable (the LOKET_GUNICORN_* names below)
or on the command line. The defaults fit one small machine:

- workers: one process per core (LOKET_GUNICORN_WORKERS, default = CPU count): Python code runs
  one thread at a time per process, so more processes than cores only add memory. Scale out
  by adding machines behind the proxy, not workers on one machine.
- threads: 4 per worker (LOKET_GUNICORN_THREADS; gthread workers). A booking spends most of
  its time waiting on PostgreSQL (round trips, the commit's fsync), with the GIL released, so
  threads overlap those waits: `make bench` measured 2x the bookings/s of 1 thread on 2 cores;
  8 threads gave no gain over 4 beyond the noise (2026-12-06).
  Each thread keeps one persistent database connection (settings: CONN_MAX_AGE with health
  checks): PostgreSQL sees workers x threads connections per machine.
- preload_app: the application is imported once in the master and forked, so the workers share
  its memory pages (copy on write).
- static files: served by WhiteNoise from STATIC_ROOT (run `manage.py collectstatic` at deploy;
  LOKET_PRODUCTION=1 switches to the compressed, hashed manifest storage).
- max_requests with jitter: a worker is replaced after about 20,000 requests (bounds any slow
  memory growth without all workers restarting at once).
- bursts wait, they are not dropped: connections queue in the kernel's accept queue (`backlog`,
  2048; the kernel caps it at net.core.somaxconn) and then in each worker (up to
  `worker_connections`, 1000), whose threads serve them in turn. `make run` serves this
  configuration (`python -m config.run`); `make bench` and tests/deploy/test_make_run.py send it
  200 simultaneous clients: every one is answered, none is reset.
- a request that takes longer than `timeout` is killed and answered 502 by the proxy; the API
  itself answers 503 + Retry-After when the database is unreachable (config.api).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("LOKET_GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("LOKET_GUNICORN_WORKERS", multiprocessing.cpu_count())
threads = _int("LOKET_GUNICORN_THREADS", 4)
worker_class = "sync" if threads == 1 else "gthread"
backlog = _int("LOKET_GUNICORN_BACKLOG", 2048)
worker_connections = _int("LOKET_GUNICORN_WORKER_CONNECTIONS", 1000)
timeout = _int("LOKET_GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("LOKET_GUNICORN_GRACEFUL_TIMEOUT", 10)
keepalive = _int("LOKET_GUNICORN_KEEPALIVE", 5)
max_requests = _int("LOKET_GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("LOKET_GUNICORN_PRELOAD", "1") != "0"
accesslog = os.environ.get("LOKET_GUNICORN_ACCESSLOG") or None
# No query string, referer or user agent: a query can carry a NIK (the family form's NIK check
# is a GET), and gunicorn's lines do not pass the masking filter of Django's LOGGING.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOKET_GUNICORN_LOGLEVEL", "warning")
raw_env = [f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'config.settings')}"]


def post_fork(server, worker):
    """A forked worker must not share a database connection the master may have opened:
    forget it (closing it would end the master's session on the shared socket)."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.connection = None
