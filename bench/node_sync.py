"""Office node figures for `make bench`: the time a node needs to catch up after an hour offline
of a busy day, and the lag of the link while it is up.

    .venv/bin/python -m bench.node_sync            # SQLite central site in a temporary folder
    .venv/bin/python -m bench.node_sync --central-database-url postgres://postgres@127.0.0.1:5432/loket_bench_node
    (a database it drops and creates)

Two real processes' databases: the central site (gunicorn, port 8700-8720) and the office node
(SQLite, LOKET_ROLE=office); the node's work runs in processes of its own (tests/sync).
"""

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

DAY = dt.date(2026, 12, 8)


def measure(
    *,
    bookings: int = 170,
    offline_check_ins: int = 50,
    walk_ins: int = 10,
    online_check_ins: int = 20,
    central_database_url: str = "",
) -> dict:
    """Run a busy day's hour offline and return the figures (seconds)."""
    from tests.sync.link import CentralSite, office_node, recreate_database

    if central_database_url:
        recreate_database(central_database_url)

    with tempfile.TemporaryDirectory(prefix="loket-node-bench-") as folder:
        root = Path(folder)
        central = CentralSite(
            data_dir=root / "central", day=DAY.isoformat(), database_url=central_database_url
        )
        central.manage("migrate", "--noinput", "-v0")
        day = central.call("prepare", DAY.isoformat(), bookings)["bookings"]
        central.start()
        node = office_node(data_dir=root / "node", day=DAY.isoformat(), central=central)
        try:
            node.manage("migrate", "--noinput", "-v0")
            bootstrap = node.call("timed_sync", 1)
            central.stop()  # the link is cut
            hour = node.call("busy_hour", DAY.isoformat(), day[:offline_check_ins], walk_ins)
            central.start()
            catch_up = node.call("timed_sync", 1)
            online = node.call(
                "timed_check_ins",
                DAY.isoformat(),
                day[offline_check_ins : offline_check_ins + online_check_ins],
            )
            there = central.call("day_figures", DAY.isoformat())
            here = node.call("day_figures", DAY.isoformat())
        finally:
            central.stop()
    lags = sorted(online["seconds"])
    return {
        "bootstrap_seconds": bootstrap["seconds"][0],
        "bootstrap_items": bootstrap["pulled"],
        "offline_changes": hour["changes"],
        "catch_up_seconds": catch_up["seconds"][0],
        "catch_up_pushed": catch_up["pushed"],
        "online_round_p50": statistics.median(lags),
        "online_round_max": lags[-1],
        "equal": there["tickets"] == here["tickets"]
        and there["ticket_event_ids"] == here["ticket_event_ids"],
        "central_drift": len(there["drift"]),
    }


def lines(figures: dict, interval: float = 1.0) -> list[str]:
    return [
        f"office node: catch-up after an hour offline of a busy day: "
        f"{figures['catch_up_seconds']:.2f} s for {figures['catch_up_pushed']} changes "
        f"(equal on both sides: {figures['equal']}, central drift: {figures['central_drift']})",
        f"office node: lag while online: polling every {interval:g} s + a round of "
        f"{figures['online_round_p50'] * 1000:.0f} ms (p50, max "
        f"{figures['online_round_max'] * 1000:.0f} ms)",
    ]


def print_lines(central_database_url: str = "") -> bool:
    """`make bench`'s office-node lines (a section of their own); False when the two sides
    disagree or the central ledger drifts."""
    print("Office node: an hour offline of a busy day, then the link back (bench.node_sync)")
    try:
        figures = measure(central_database_url=central_database_url)
    except Exception as exc:  # noqa: BLE001 - this section must not stop the others
        print(f"  could not run: {type(exc).__name__}: {str(exc)[:200]}")
        return False
    for text in lines(figures):
        print(f"  {text}")
    return figures["equal"] and not figures["central_drift"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.node_sync", description=__doc__)
    parser.add_argument("--central-database-url", default="")
    parser.add_argument("--bookings", type=int, default=170)
    args = parser.parse_args(argv)
    figures = measure(bookings=args.bookings, central_database_url=args.central_database_url)
    for line in lines(figures):
        print(line)
    return 0 if figures["equal"] and not figures["central_drift"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
