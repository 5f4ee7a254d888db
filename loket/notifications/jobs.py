"""The background worker's periodic jobs (`manage.py run_worker`).

Each app registers its own in its AppConfig.ready(): a function returning how many things it
did, a rank (the order of a round) and the words for the worker's log line (or None for a job
that is not reported)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    run: Callable[[], int]
    rank: int
    report: str | None  # e.g. "expired {count} hold(s)"; None: run, not reported


_jobs: dict[str, Job] = {}


def register_job(name: str, job: Job) -> None:
    _jobs[name] = job


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.rank)
