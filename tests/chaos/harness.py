"""What the crash tests share: the real server (bench.server's gunicorn) that can be killed and
restarted on the same port, plain HTTP clients that retry, and a private PostgreSQL cluster.

Every process started here is started in its own session and killed by its own process group
id; fixtures in conftest.py stop whatever a test leaves running.
"""

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.server import Server

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(18100, 18200)  # the chaos tests' own ports on 127.0.0.1
RETRYABLE = (OSError, http.client.HTTPException)  # refused, reset, cut off, timed out


def free_port(taken: set[int] = frozenset()) -> int:
    """A free port in 18100-18199, starting at a place that differs per process."""
    offset = os.getpid() % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(offset + i) % len(PORTS)]
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


def database_url(settings_dict: dict, *, host: str = "", port: str = "", name: str = "") -> str:
    user = quote(settings_dict.get("USER") or "postgres")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password)}" if password else user
    host = host or settings_dict.get("HOST") or "127.0.0.1"
    port = port or settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{name or settings_dict['NAME']}"


class KillableServer:
    """gunicorn (the production config, via bench.server.Server) that a test kills with SIGKILL
    and starts again on the same port."""

    def __init__(self, *, database_url: str, data_dir: Path, port: int, workers: int = 2):
        self.database_url = database_url
        self.data_dir = data_dir
        self.port = port
        self.workers = workers
        self.base_url = f"http://127.0.0.1:{port}"
        self.starts = 0
        self.kills = Counter()  # "workers", "server"
        self.server: Server | None = None

    def start(self) -> None:
        self.server = Server(
            database_url=self.database_url,
            data_dir=str(self.data_dir),
            workers=self.workers,
            threads=4,
            log=self.data_dir / f"gunicorn-{self.starts}.log",
            port=self.port,
        )
        self.starts += 1
        self.server.start(timeout=60)

    def kill_workers(self) -> int:
        """SIGKILL every worker; the master forks new ones."""
        pids = self.server.pids()[1:] if self.server else []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.kills["workers"] += 1
        return len(pids)

    def kill_server(self) -> None:
        """SIGKILL the master and its workers at once (a crashed machine's view of it)."""
        process = self.server.process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.server.stop()  # closes the log
        self.kills["server"] += 1

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@dataclass
class Answer:
    status: int
    body: dict | str
    retry_after: str | None
    sent_at: float = 0.0  # time.time() when the request that got this answer was sent
    attempts: int = 1

    @property
    def code(self) -> str:
        return self.body.get("code", "") if isinstance(self.body, dict) else ""


def request(
    base_url: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 15,
) -> Answer:
    """One HTTP request on a fresh connection; transport failures raise (see RETRYABLE)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw[:300].decode(errors="replace")
        return Answer(response.status, payload, response.getheader("Retry-After"))
    finally:
        conn.close()


@dataclass
class Tally:
    """What the clients saw, over all threads."""

    answers: Counter = field(default_factory=Counter)  # "201", "503 service_unavailable", ...
    by_path: Counter = field(default_factory=Counter)  # "/bookings/ 200", ...
    transport_errors: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # 5xx other than a clear 503
    unclear_503: list[str] = field(default_factory=list)  # 503 without Retry-After
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, answer: Answer, where: str) -> None:
        with self.lock:
            self.answers[f"{answer.status} {answer.code}".strip()] += 1
            self.by_path[f"{where} {answer.status}"] += 1
            if answer.status == 503 and not answer.retry_after:
                self.unclear_503.append(f"{where}: {str(answer.body)[:120]}")
            elif answer.status >= 500 and answer.status != 503:
                self.server_errors.append(f"{where} {answer.status}: {str(answer.body)[:200]}")

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            self.transport_errors[type(exc).__name__] += 1

    @property
    def unavailable(self) -> int:
        return sum(n for k, n in self.answers.items() if k.startswith("503"))


def send_until_answered(
    base_url: str,
    method: str,
    path: str,
    *,
    body: bytes,
    headers: dict,
    tally: Tally,
    deadline: float,
) -> Answer | None:
    """Send the same request until it gets a final answer (anything but a transport failure
    or a 5xx); None if the deadline passes first. Retries back off a little."""
    pause = 0.05
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        sent_at = time.time()
        try:
            answer = request(base_url, method, path, body=body, headers=headers)
        except RETRYABLE as exc:
            tally.failed(exc)
        else:
            tally.saw(answer, path)
            if answer.status < 500:
                answer.sent_at, answer.attempts = sent_at, attempts
                return answer
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    return None


def run_threads(count: int, target, *, timeout: float) -> None:
    """`count` threads running target(i); they must all end within `timeout` seconds."""
    errors: list[BaseException] = []

    def runner(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:  # noqa: B036 - handed back below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    end = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    if errors:
        raise errors[0]


def manage(*args: str, database_url: str, data_dir: Path, extra_env: dict | None = None, **kw):
    """Run manage.py in a child process against `database_url`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOKET_DATA_DIR": str(data_dir),
        "LOKET_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        **kw,
    )


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian's /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivateCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port`, in a temporary directory: a test may
    crash and restart it without touching the machine's shared server.

    PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` user.
    """

    def __init__(self, *, bindir: Path, port: int):
        self.bindir = bindir
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="loket-chaos-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=True, cwd=self.root
        )

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=60 "
            "-c shared_buffers=32MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class Killer(threading.Thread):
    """Kills the server while the clients work: each step of `plan` ("workers": SIGKILL the
    workers, the master forks new ones; "server": SIGKILL master and workers, then start it
    again) waits until `progress()` has grown by `every` since the step before, so every kill
    lands in the middle of the storm, after the server has shown it recovered."""

    def __init__(self, server: KillableServer, *, plan: list[str], progress, every: int, busy):
        super().__init__(daemon=True)
        self.server = server
        self.plan = plan
        self.progress = progress
        self.every = every
        self.busy = busy
        self.halt = threading.Event()
        self.error: BaseException | None = None
        self.done: list[str] = []

    def run(self) -> None:
        try:
            mark = self.progress()
            for kind in self.plan:
                while not self.halt.is_set() and self.progress() < mark + self.every:
                    self.halt.wait(0.05)
                if self.halt.is_set() or not self.busy():
                    return
                if kind == "workers":
                    self.server.kill_workers()
                else:
                    self.server.kill_server()
                    time.sleep(0.3)
                    self.server.start()
                self.done.append(kind)
                mark = self.progress()
        except BaseException as exc:  # noqa: B036 - the test reports it
            self.error = exc

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=90)
