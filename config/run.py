"""`python -m config.run`: what `make run` starts. The production server and the worker, together.

- collects the static files (served by WhiteNoise from STATIC_ROOT),
- starts gunicorn with `config/gunicorn.py` (workers = cores, 4 threads each) on HOST:PORT,
- starts the background worker (`manage.py run_worker`: expires unpaid holds, sends e-mail),
- on Ctrl-C, SIGTERM or SIGHUP stops both and waits for them; if either exits, the other is
  stopped too.

Debug pages are off (LOKET_DEBUG=0 unless set): errors are answered as in production.
`make dev` is Django's development server, with autoreload and debug pages.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m config.run", description=__doc__)
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--no-worker", action="store_true", help="the web server only")
    args = p.parse_args(argv)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.setdefault("LOKET_DEBUG", "0")
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    commands = [
        [
            python,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "config" / "gunicorn.py"),
            "config.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
        ]
    ]
    if not args.no_worker:
        commands.append([python, "manage.py", "run_worker"])
    if os.environ.get("LOKET_ROLE", "").strip().lower() == "office":
        # An office node follows the central site and sends the office's changes (loket.sync).
        commands.append([python, "manage.py", "run_sync"])
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # Ctrl-C, kill, terminal closed
        signal.signal(sig, stop)
    # Each child in its own process group: a terminal's Ctrl-C reaches this process only, which
    # stops the children in order (gunicorn finishes its requests; the worker its round).
    children = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for cmd in commands
    ]
    status = 0
    while not stopping:
        exited = [c for c in children if c.poll() is not None]
        if exited:
            status = exited[0].returncode or 1
            print(f"{exited[0].args[2]} exited ({exited[0].returncode}): stopping", flush=True)
            break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
