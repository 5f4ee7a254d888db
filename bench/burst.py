"""A burst: N clients, each on its own new connection, send one booking at the same moment.

Every request must get an answer: 201, a refusal (409, 422), or 429/503 with `Retry-After`.
A connection refused, reset or cut off, or a request that times out, is a dropped connection.

`python -m bench.burst` runs it the way `make run` serves: a fresh embedded SQLite database in
a temporary directory (migrated, the demo office, one open day), gunicorn with
`config/gunicorn.py`'s defaults, 200 clients; it prints "connections dropped: N" and exits
non-zero on any dropped connection, 5xx without `Retry-After` or unexpected answer.
`make bench` runs it too.
"""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
# Answers a client can act on. 5xx only with Retry-After (the overload answer).
EXPECTED = {201, 409, 422, 429, 503}


@dataclass
class BurstResult:
    clients: int
    statuses: Counter = field(default_factory=Counter)  # "201", "409 quota_exhausted", ...
    dropped: Counter = field(default_factory=Counter)  # exception name -> count
    without_retry_after: int = 0  # 429/503 answered without Retry-After
    samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def connections_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def unexpected(self) -> int:
        return sum(n for k, n in self.statuses.items() if int(k.split()[0]) not in EXPECTED)

    @property
    def created(self) -> int:
        return self.statuses["201"]

    @property
    def ok(self) -> bool:
        return (
            self.connections_dropped == 0
            and self.unexpected == 0
            and self.without_retry_after == 0
            and self.answered == self.clients
        )

    def summary(self) -> str:
        answers = ", ".join(f"{k}: {n}" for k, n in sorted(self.statuses.items()))
        return (
            f"{self.answered} of {self.clients} answered in {self.elapsed:.1f}s ({answers}); "
            f"connections dropped: {self.connections_dropped}"
            + (f" ({dict(self.dropped)})" if self.dropped else "")
        )


def booking_body(day: dict, index: int, nik: str, birth: str) -> dict:
    return {
        "office": day["office"],
        "channel": day["channel"],
        "date": day["date"],
        "window": day["windows"][index % len(day["windows"])],
        "application_type": "new",
        "purpose": "tourism",
        "passport_type": "ordinary",
        "applicant": {
            "nik": nik,
            "name": "Pemohon Burst",
            "birth_date": birth,
            "sex": "M",
            "phone": "081234567890",
            "domicile_regency": "32.15",
        },
    }


async def burst(
    *, base_url: str, day: dict, tokens: list[str], people: list[tuple[str, str]], timeout=60
) -> BurstResult:
    """One booking per client, each on a new connection, all released at the same moment.

    `tokens[i % len(tokens)]` books for `people[i]` (NIK, birth date)."""
    clients = len(people)
    result = BurstResult(clients=clients)
    go = asyncio.Event()
    url = f"{base_url}/api/v1/bookings"

    async def client(index: int) -> None:
        nik, birth = people[index]
        # One session per client: its own connection, closed after the answer.
        connector = aiohttp.TCPConnector(limit=1, force_close=True)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as session:
            await go.wait()
            t0 = time.perf_counter()
            try:
                async with session.post(
                    url,
                    json=booking_body(day, index, nik, birth),
                    headers={"Authorization": f"Bearer {tokens[index % len(tokens)]}"},
                ) as response:
                    raw = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                result.dropped[type(exc).__name__] += 1
                return
        result.latencies.append(time.perf_counter() - t0)
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw[:120].decode(errors="replace")
        # An error's code (a 201's "code" is the booking's).
        code = payload.get("code", "") if isinstance(payload, dict) and status >= 400 else ""
        result.statuses[f"{status} {code}".strip()] += 1
        if status in (429, 503) and not retry_after:
            result.without_retry_after += 1
        if (status not in EXPECTED or status == 422) and len(result.samples) < 5:
            result.samples.append(f"{status}: {str(payload)[:160]}")

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.sleep(0.2)  # every client is waiting on the start line
    start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    return result


def people_for(count: int) -> list[tuple[str, str]]:
    """`count` distinct valid NIKs (men born from 1970, Kab. Karawang) and birth dates."""
    from bench.prepare import distinct_niks

    niks = distinct_niks()
    return [(nik, birth.isoformat()) for nik, birth in (next(niks) for _ in range(count))]


def prepare_here(*, clients: int, places: int) -> dict:
    """In this process's database (Django set up): the demo office, one open online day with
    `places` places, one account per 5 clients (tokens). Returns the day and the tokens."""
    from django.db import transaction
    from django.test.utils import override_settings

    from bench.prepare import prepare_day
    from loket.accounts.services import create_verified_account, issue_token
    from loket.demo import office as demo

    demo.load_office()
    day = prepare_day(places=places)
    tokens = []
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        for i in range((clients + 4) // 5):
            email = f"burst{i}@burst.loket"
            create_verified_account(email=email, password="burst-password-123")
            tokens.append(issue_token(email=email, password="burst-password-123"))
    return {
        "day": {
            "office": day.office,
            "channel": day.channel,
            "date": day.date.isoformat(),
            "windows": day.windows,
            "places": day.places,
        },
        "tokens": tokens,
    }


def make_run_env(data_dir: str) -> dict:
    """The environment `make run` serves with: the embedded SQLite in `data_dir`."""
    # make run's defaults: no database URL, no shared cache, no LOKET_* setting (the bench
    # process sets some for its own server).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("LOKET_")
    }
    env.update(
        {
            "LOKET_DATA_DIR": data_dir,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOKET_STATIC_ROOT": str(Path(data_dir) / "static"),
            "LOKET_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class MakeRun:
    """`python -m config.run` (what `make run` starts: gunicorn with config/gunicorn.py and
    the worker) on a free port, in its own process group."""

    def __init__(self, *, env: dict, log: Path, port: int = 0):
        from bench.server import free_port

        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        import urllib.request

        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "config.run", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"config.run exited: {self.log_path.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"no answer on {self.base_url} in {timeout}s")

    def processes(self) -> list[int]:
        """The launcher and every process under it (gunicorn's master and workers, the worker)."""
        if self.process is None:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                todo += [
                    int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                ]
        return found

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> tuple[int | None, list[int]]:
        """Ctrl-C (`sig` to the launcher only), as a terminal sends it. Returns the launcher's
        exit status (None if it did not exit in time) and the processes still alive 5 s after
        it exited, which are then killed."""
        if self.process is None:
            return None, []
        pids = self.processes()[1:]
        status = None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                status = self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pids.append(self.process.pid)
        else:
            status = self.process.returncode
        deadline = time.monotonic() + 5
        lingering = pids
        while lingering and time.monotonic() < deadline:
            time.sleep(0.1)
            lingering = [pid for pid in lingering if _alive(pid)]
        for pid in lingering:  # processes this object started (by id), never by name
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=5)
        self._log.close()
        return status, lingering


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def prepare_make_run(data_dir: str, *, clients: int, places: int) -> tuple[dict, dict]:
    """A fresh SQLite database in `data_dir` (migrated), prepared for a burst; returns
    (environment, setup)."""
    env = make_run_env(data_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.burst", "--prepare", str(clients), str(places)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return env, json.loads(done.stdout.strip().splitlines()[-1])


def run_make_run_burst(*, clients: int = 200, places: int = 120) -> BurstResult:
    """A fresh SQLite database, the server as `make run` starts it, and a burst of `clients`."""
    data_dir = tempfile.mkdtemp(prefix="loket-burst-")
    try:
        env, setup = prepare_make_run(data_dir, clients=clients, places=places)
        server = MakeRun(env=env, log=Path(data_dir) / "run.log")
        server.start()
        try:
            return asyncio.run(
                burst(
                    base_url=server.base_url,
                    day=setup["day"],
                    tokens=setup["tokens"],
                    people=people_for(clients),
                )
            )
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__)
    p.add_argument("-c", "--clients", type=int, default=200)
    p.add_argument("--places", type=int, default=120, help="online places on the burst's day")
    p.add_argument("--prepare", nargs=2, type=int, metavar=("CLIENTS", "PLACES"), help="internal")
    args = p.parse_args(argv)
    if args.prepare:
        import django

        django.setup()
        print(json.dumps(prepare_here(clients=args.prepare[0], places=args.prepare[1])))
        return 0
    print(f"Burst: {args.clients} simultaneous clients against make run's server (SQLite) ...")
    result = run_make_run_burst(clients=args.clients, places=args.places)
    print(f"  {result.summary()}")
    for sample in result.samples:
        print(f"  answer: {sample}")
    print(f"connections dropped: {result.connections_dropped}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
