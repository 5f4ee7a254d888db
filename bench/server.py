"""The real server under test: gunicorn serving config.wsgi, and its memory sampled from /proc."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 (config/gunicorn.py: gthread workers x threads) with persistent
    database connections."""

    def __init__(
        self,
        *,
        database_url: str,
        data_dir: str,
        workers: int,
        threads: int,
        log: Path,
        redis_url: str = "",
        port: int = 0,
        env: dict | None = None,
        trusted_proxies: int = 1,
        production_limits: bool = False,
    ):
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.threads = threads
        self.log_path = log
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LOKET_DATA_DIR": data_dir,
            "LOKET_DEBUG": "0",
            "LOKET_DB_CONN_MAX_AGE": "600",
            "LOKET_LOG_LEVEL": "WARNING",
            "LOKET_RATE_LIMITS_ENABLED": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "REDIS_URL": redis_url,
        }
        if production_limits:
            # Rate limits on, as in production; the load generator stands for the clients'
            # edge proxy and sends each client's own address (bench.load.client_address).
            # The registry knows the bench's people (bench.prepare.registered_niks) and
            # enrols nobody, as in production.
            self.env["LOKET_RATE_LIMITS_ENABLED"] = "1"
            self.env["LOKET_TRUSTED_PROXIES"] = str(trusted_proxies)
            self.env["LOKET_IDENTITY_LOCAL_ENROL"] = "0"
        if env is not None:  # the caller's whole environment (e.g. make run's, on SQLite)
            self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        # The documented production configuration (config/gunicorn.py), with the bench's port
        # and worker count.
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONFIG),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}: see {self.log_path}"
                )
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not answer /healthz within {timeout}s: see {self.log_path}"
        )

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None or self.process.poll() is not None:
            return []
        master = self.process.pid
        children: list[int] = []
        with contextlib.suppress(OSError):
            raw = Path(f"/proc/{master}/task/{master}/children").read_text()
            children = [int(p) for p in raw.split()]
        return [master, *children]

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (graceful), then SIGKILL to the whole process group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
    return total_kb / 1024


class MemorySampler(threading.Thread):
    """Samples the summed RSS of the server's processes every `interval` seconds."""

    def __init__(self, server: Server, interval: float = 0.2):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.peak_mb = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self.server.pids()))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=2)


HAPROXY_CONFIG = """global
    maxconn 8192
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    # Appends the address it saw: the app then trusts two proxies (this one, the edge).
    option forwardfor
frontend loket
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance leastconn
    option httpchk GET /healthz
{servers}
"""


def haproxy_binary() -> str | None:
    for path in ("/usr/sbin/haproxy", "/usr/bin/haproxy"):
        if os.access(path, os.X_OK):
            return path
    return None


class ProxiedServers:
    """Two app servers (gunicorn, each `workers` // 2 worker(s) or 1) behind Debian's HAProxy,
    on one port: the same interface as Server (start, stop, pids, base_url)."""

    def __init__(self, *, log: Path, port: int = 0, **server_args):
        self.haproxy = haproxy_binary()
        if self.haproxy is None:
            raise SystemExit("--proxy needs HAProxy: `make proxy` (apt-get install haproxy)")
        workers = max(server_args.pop("workers") // 2, 1)
        self.apps = [
            Server(
                **server_args,
                workers=workers,
                log=log.with_name(f"app{i}.log"),
                port=port + i if port else 0,
                trusted_proxies=2,
            )
            for i in (1, 2)
        ]
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers * 2
        self.threads = self.apps[0].threads
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        for app in self.apps:
            app.start(timeout)
        servers = "\n".join(
            f"    server app{i} 127.0.0.1:{app.port} check" for i, app in enumerate(self.apps, 1)
        )
        config = self.log_path.with_name("haproxy.cfg")
        config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers))
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [self.haproxy, "-db", "-f", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.2)
        raise RuntimeError("haproxy did not answer /healthz")

    def pids(self) -> list[int]:
        own = [self.process.pid] if self.process and self.process.poll() is None else []
        return own + [pid for app in self.apps for pid in app.pids()]

    def stop(self, timeout: float = 10) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=5)
            self._log.close()
            self.process = None
        for app in self.apps:
            if app.process is not None:
                app.stop(timeout)
