"""The call-next policy and the priority rules, as pure functions (Hypothesis)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from loket.queue import domain
from loket.queue.domain import CallPolicy, Candidate, LaneKind

T0 = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(hours=4)


@st.composite
def candidates(draw, lanes=tuple(LaneKind), max_size=25):
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        issued = T0 + dt.timedelta(minutes=draw(st.integers(0, 230)))
        lane = draw(st.sampled_from(lanes))
        order_at = (
            T0 + dt.timedelta(hours=draw(st.integers(0, 6)))
            if lane == LaneKind.APPOINTMENT
            else issued
        )
        waiting = issued + dt.timedelta(minutes=draw(st.integers(0, 10)))
        out.append(
            Candidate(
                id=i + 1,
                lane=lane,
                order_at=order_at,
                waiting_since=waiting,
                issued_at=issued,
                off_window=draw(st.booleans()) if lane == LaneKind.APPOINTMENT else False,
            )
        )
    return out


policies = st.builds(
    CallPolicy, others_per_priority=st.integers(0, 4), starvation_minutes=st.integers(1, 300)
)
no_starvation = st.builds(
    CallPolicy, others_per_priority=st.integers(0, 4), starvation_minutes=st.just(10_000)
)


@given(candidates(), policies, st.integers(0, 6))
def test_every_waiting_ticket_appears_once(pool, policy, since):
    """The order is a permutation: no one lost, no one twice."""
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=since)
    assert sorted(c.id for c in order) == sorted(c.id for c in pool)


@given(candidates(), policies, st.integers(0, 6))
def test_a_starved_ticket_goes_first(pool, policy, since):
    """Anyone waiting beyond the limit is called before everyone else, longest wait first."""
    limit = NOW - dt.timedelta(minutes=policy.starvation_minutes)
    starved = [c for c in pool if c.waiting_since < limit]
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=since)
    assert order[: len(starved)] == sorted(starved, key=lambda c: (c.waiting_since, c.id))


@given(candidates(), st.integers(0, 6))
def test_strict_priority_order(pool, since):
    """Without a ratio: emergency, then priority, then the rest."""
    policy = CallPolicy(others_per_priority=0, starvation_minutes=10_000)
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=since)
    rank = {LaneKind.EMERGENCY: 0, LaneKind.PRIORITY: 1}
    ranks = [rank.get(c.lane, 2) for c in order]
    assert ranks == sorted(ranks)


@given(candidates(lanes=(LaneKind.APPOINTMENT, LaneKind.LOST_DAMAGED)), no_starvation)
def test_appointments_by_window_then_check_in(pool, policy):
    """On-time appointments go by arrival window then check-in; walk-ins by arrival, after."""
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=0)
    on_time = [c for c in order if c.lane == LaneKind.APPOINTMENT and not c.off_window]
    assert on_time == sorted(on_time, key=lambda c: (c.order_at, c.issued_at, c.id))
    assert order[: len(on_time)] == on_time
    others = order[len(on_time) :]
    assert others == sorted(others, key=lambda c: (c.issued_at, c.id))


@given(
    candidates(lanes=(LaneKind.PRIORITY, LaneKind.APPOINTMENT, LaneKind.WALK_IN)),
    st.integers(1, 4),
    st.integers(0, 6),
)
def test_interleave_ratio(pool, ratio, since):
    """With a ratio n: one priority ticket after every n others, while both kinds wait."""
    policy = CallPolicy(others_per_priority=ratio, starvation_minutes=10_000)
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=since)
    run = since  # others called since the last priority
    n_prio = sum(c.lane == LaneKind.PRIORITY for c in pool)
    n_other = len(pool) - n_prio
    for c in order:
        if c.lane == LaneKind.PRIORITY:
            assert run >= ratio or n_other == 0
            run, n_prio = 0, n_prio - 1
        else:
            assert run < ratio or n_prio == 0
            run, n_other = run + 1, n_other - 1


@given(candidates(), policies, st.integers(0, 6))
def test_pick_next_is_the_head_of_the_order(pool, policy, since):
    """pick_next agrees with call_order and is None only for an empty queue."""
    head = domain.pick_next(pool, now=NOW, policy=policy, others_since_priority=since)
    order = domain.call_order(pool, now=NOW, policy=policy, others_since_priority=since)
    assert head == (order[0] if order else None)


def test_count_others_since_priority():
    """The count stops at the latest priority call."""
    assert domain.count_others_since_priority([]) == 0
    assert domain.count_others_since_priority(["appointment", "walk_in", "priority", "x"]) == 2
    assert domain.count_others_since_priority(["priority", "appointment"]) == 0


@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 3)),
    st.sets(st.sampled_from(["disability", "pregnancy", "other"])),
)
def test_priority_ground(birth, attested):
    """Elderly from 60 and children under 5 by birth date on the day; others only attested."""
    day = dt.date(2026, 12, 3)
    ground = domain.priority_ground(birth_date=birth, day=day, attested=attested)
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    if age >= 60:
        assert ground == "elderly"
    elif age < 5:
        assert ground == "child"
    elif "disability" in attested:
        assert ground == "disability"
    elif "pregnancy" in attested:
        assert ground == "pregnancy"
    else:
        assert ground is None


def test_priority_thresholds_are_configurable():
    """An office counting babies up to 2 refuses a 3-year-old on age alone."""
    day = dt.date(2026, 12, 3)
    kw = {"day": day, "child_under_age": 3}
    assert domain.priority_ground(birth_date=dt.date(2024, 1, 1), **kw) == "child"
    assert domain.priority_ground(birth_date=dt.date(2023, 1, 1), **kw) is None
    assert domain.priority_ground(birth_date=dt.date(1966, 12, 3), day=day) == "elderly"
    assert domain.priority_ground(birth_date=dt.date(1966, 12, 4), day=day) is None


def test_arrival_timing():
    """The window widened by the tolerances is on time; outside, early or late."""
    start = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=1)

    def timing(minutes):
        return domain.arrival_timing(
            arrived=start + dt.timedelta(minutes=minutes),
            window_start=start,
            window_end=end,
            early_minutes=30,
            late_minutes=15,
        )

    assert timing(-31) == "early"
    assert timing(-30) == timing(0) == timing(75) == "on_time"
    assert timing(76) == "late"


def test_spoken_number():
    """Numbers are read digit by digit in Bahasa Indonesia."""
    assert domain.spoken_number("A", 1) == "A nol nol satu"
    assert domain.spoken_number("P", 120) == "P satu dua nol"
