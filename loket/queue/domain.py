"""Pure queue rules, no ORM: who is called next, who may take a priority ticket, check-in timing.

The call-next policy, in order:
1. **No one starves**: a ticket waiting longer than `starvation_minutes` goes first (the one
   waiting longest first).
2. **Emergency** tickets (approved cases) go next.
3. **Priority** tickets: always before others when `others_per_priority` is 0; otherwise one
   priority ticket after every `others_per_priority` other calls (or whenever nobody else waits).
4. **Appointments** that arrived within the tolerance, by arrival window, then check-in time.
5. **Walk-ins** (lost/damaged, walk-in) and appointments outside the tolerance, by check-in time.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from loket.identity.nik import age_on


class LaneKind(StrEnum):
    PRIORITY = "priority"
    APPOINTMENT = "appointment"
    WALK_IN = "walk_in"
    LOST_DAMAGED = "lost_damaged"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Candidate:
    """A waiting ticket as the policy sees it."""

    id: int
    lane: str  # a LaneKind value
    order_at: dt.datetime  # appointments: window start; walk-ins: issue time
    waiting_since: dt.datetime
    issued_at: dt.datetime
    off_window: bool = False


@dataclass(frozen=True)
class CallPolicy:
    others_per_priority: int = 0
    starvation_minutes: int = 60


def _regular_key(c: Candidate) -> tuple:
    on_time_appointment = c.lane == LaneKind.APPOINTMENT and not c.off_window
    if on_time_appointment:
        return (0, c.order_at, c.issued_at, c.id)
    return (1, c.issued_at, c.id)


def _fifo_key(c: Candidate) -> tuple:
    return (c.issued_at, c.id)


def call_order(
    candidates: Iterable[Candidate],
    *,
    now: dt.datetime,
    policy: CallPolicy,
    others_since_priority: int,
) -> list[Candidate]:
    """All waiting tickets in the order call-next would take them, given the calls so far.

    `others_since_priority` is how many non-priority tickets were called since the last priority
    one (only matters with an interleave ratio). The first element is the next call; the rest is
    the fallback order when that ticket was taken by another counter meanwhile.
    """
    pool = list(candidates)
    limit = now - dt.timedelta(minutes=policy.starvation_minutes)
    starved = sorted(
        (c for c in pool if c.waiting_since < limit), key=lambda c: (c.waiting_since, c.id)
    )
    starved_ids = {c.id for c in starved}
    rest = [c for c in pool if c.id not in starved_ids]
    emergency = sorted((c for c in rest if c.lane == LaneKind.EMERGENCY), key=_fifo_key)
    priority = sorted((c for c in rest if c.lane == LaneKind.PRIORITY), key=_fifo_key)
    regular = sorted(
        (c for c in rest if c.lane not in (LaneKind.EMERGENCY, LaneKind.PRIORITY)),
        key=_regular_key,
    )
    ordered: list[Candidate] = starved + emergency
    if policy.others_per_priority <= 0:
        return ordered + priority + regular
    # Interleave: `n` others, then one priority, and so on, starting from the current count.
    n = policy.others_per_priority
    due = max(n - others_since_priority, 0)  # others still to call before the next priority
    p, r = list(priority), list(regular)
    while p or r:
        if p and (due == 0 or not r):
            ordered.append(p.pop(0))
            due = n
        else:
            ordered.append(r.pop(0))
            due = max(due - 1, 0)
    return ordered


def pick_next(
    candidates: Sequence[Candidate],
    *,
    now: dt.datetime,
    policy: CallPolicy,
    others_since_priority: int,
) -> Candidate | None:
    order = call_order(
        candidates, now=now, policy=policy, others_since_priority=others_since_priority
    )
    return order[0] if order else None


def count_others_since_priority(recent_lanes_newest_first: Iterable[str]) -> int:
    """How many of the latest calls came after the last priority call."""
    count = 0
    for lane in recent_lanes_newest_first:
        if lane == LaneKind.PRIORITY:
            break
        count += 1
    return count


class PriorityGround(StrEnum):
    ELDERLY = "elderly"
    CHILD = "child"
    DISABILITY = "disability"
    PREGNANCY = "pregnancy"


ATTESTABLE = {PriorityGround.DISABILITY, PriorityGround.PREGNANCY}


def priority_ground(
    *,
    birth_date: dt.date | None,
    day: dt.date,
    attested: Iterable[str] = (),
    elderly_age: int = 60,
    child_under_age: int = 5,
) -> PriorityGround | None:
    """Why someone may take a priority ticket on `day`, or None.

    Age counts on the day itself (60 on the day is elderly; 5 on the day is no longer a child).
    Disability and pregnancy count only when the officer attests them.
    """
    if birth_date is not None and birth_date <= day:
        age = age_on(birth_date, day)
        if age >= elderly_age:
            return PriorityGround.ELDERLY
        if age < child_under_age:
            return PriorityGround.CHILD
    for ground in (PriorityGround.DISABILITY, PriorityGround.PREGNANCY):
        if ground in set(attested):
            return ground
    return None


class ArrivalTiming(StrEnum):
    ON_TIME = "on_time"
    EARLY = "early"  # before the window, beyond the tolerance
    LATE = "late"  # after the window, beyond the tolerance


def arrival_timing(
    *,
    arrived: dt.datetime,
    window_start: dt.datetime,
    window_end: dt.datetime,
    early_minutes: int,
    late_minutes: int,
) -> ArrivalTiming:
    """Whether an arrival falls within the window widened by the office's tolerances."""
    if arrived < window_start - dt.timedelta(minutes=early_minutes):
        return ArrivalTiming.EARLY
    if arrived > window_end + dt.timedelta(minutes=late_minutes):
        return ArrivalTiming.LATE
    return ArrivalTiming.ON_TIME


def spoken_number(prefix: str, number: int) -> str:
    """A ticket number as it is read aloud in Bahasa Indonesia: 'A nol nol satu'."""
    digits = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
    return " ".join([prefix, *(digits[int(d)] for d in f"{number:03d}")])
