"""Capacity planner: a discrete-event simulation (SimPy) of an office day.

Pure (no ORM): the day's arrivals come in as `ArrivalWindow`s (entered, or derived from the
bookings by `loket.reports.selectors.booked_arrivals`), each stage has a service-time
distribution and counters per hour. Times are minutes after local midnight.

A person goes through the stages in order; each stage is one first-come-first-served queue in
front of its counters. A counter that closes at the end of an hour first finishes the person
it is serving. People who arrived are served even after closing time: the day ends when the
last one leaves, which is the "day's end" figure.
"""

import math
import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import simpy

DISTRIBUTIONS = ("exponential", "lognormal")


@dataclass(frozen=True)
class ServiceTime:
    """A service-time distribution in minutes: exponential, or lognormal with a given CV."""

    mean: float
    distribution: str = "exponential"
    cv: float = 0.5  # coefficient of variation (std / mean), lognormal only

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.distribution!r}")
        if not self.mean > 0:
            raise ValueError("a service time's mean must be positive")
        if self.distribution == "lognormal" and not self.cv > 0:
            raise ValueError("a lognormal service time needs a positive cv")

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        if self.distribution == "exponential":
            rate = 1.0 / self.mean
            return lambda: rng.expovariate(rate)
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return lambda: rng.lognormvariate(mu, sigma)


@dataclass(frozen=True)
class Stage:
    """A step of the visit (e.g. photo and fingerprints) with its counters.

    `counters` are open all day except in the hours listed in `counters_by_hour`
    (hour of day -> counters open in that hour; 0 closes the stage for the hour).
    """

    name: str
    service: ServiceTime
    counters: int
    counters_by_hour: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        if self.counters < 1:
            raise ValueError("a stage needs at least one counter outside its listed hours")
        for hour, n in self.counters_by_hour.items():
            if not 0 <= hour <= 23 or n < 0:
                raise ValueError("counters by hour: hours 0-23, counters not negative")

    def counters_at(self, hour: int) -> int:
        return self.counters_by_hour.get(hour, self.counters) if 0 <= hour <= 23 else self.counters

    @property
    def max_counters(self) -> int:
        return max([self.counters, *self.counters_by_hour.values()])

    def with_counters(self, counters: int) -> "Stage":
        return Stage(self.name, self.service, counters)


@dataclass(frozen=True)
class ArrivalWindow:
    """People arriving between `start` and `end` (minutes after midnight).

    Booked windows bring `count` people (less no-shows), each at a uniform moment in the
    window; walk-in windows bring a Poisson stream with `count` expected people.
    """

    start: float
    end: float
    count: float
    booked: bool = False

    def __post_init__(self):
        if not self.end > self.start or self.count < 0:
            raise ValueError("an arrival window must end after it starts, with count >= 0")


@dataclass(frozen=True)
class Scenario:
    arrivals: tuple[ArrivalWindow, ...]
    stages: tuple[Stage, ...]
    no_show_rate: float = 0.0

    def __post_init__(self):
        if not self.stages:
            raise ValueError("a scenario needs at least one stage")
        if not 0 <= self.no_show_rate < 1:
            raise ValueError("the no-show rate is a share from 0 to 1")

    def with_counters(self, counters: dict[str, int]) -> "Scenario":
        return Scenario(
            self.arrivals,
            tuple(s.with_counters(counters.get(s.name, s.counters)) for s in self.stages),
            self.no_show_rate,
        )

    @property
    def expected_people(self) -> float:
        return sum(w.count * ((1 - self.no_show_rate) if w.booked else 1.0) for w in self.arrivals)


def walk_ins_per_hour(per_hour: dict[int, float]) -> list[ArrivalWindow]:
    """Poisson walk-ins: hour of day -> expected people in that hour."""
    return [
        ArrivalWindow(hour * 60, hour * 60 + 60, count)
        for hour, count in sorted(per_hour.items())
        if count > 0
    ]


_COUNTERS_RE = re.compile(r"^\s*(\d{1,2})(?:\s*-\s*(\d{1,2}))?\s*:\s*(\d{1,3})\s*$")


def parse_counters(text: str) -> tuple[int, dict[int, int]]:
    """'2' or '2; 13-15:3' -> (2, {13: 3, 14: 3, 15: 3}): counters all day, then by hour."""
    parts = [p.strip() for p in (text or "").replace(",", ";").split(";") if p.strip()]
    if not parts or not parts[0].isdigit():
        raise ValueError("start with the number of counters, e.g. '2' or '2; 13-15:3'")
    default = int(parts[0])
    by_hour: dict[int, int] = {}
    for part in parts[1:]:
        match = _COUNTERS_RE.match(part)
        if not match:
            raise ValueError(f"cannot read {part!r}: write HOUR:COUNTERS or FROM-TO:COUNTERS")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 0 <= first <= last <= 23:
            raise ValueError(f"hours must be 0-23 in {part!r}")
        for hour in range(first, last + 1):
            by_hour[hour] = int(match.group(3))
    return default, by_hour


def parse_per_hour(text: str) -> dict[int, float]:
    """'8:5; 9-11:4' -> {8: 5.0, 9: 4.0, 10: 4.0, 11: 4.0} (people per hour)."""
    result: dict[int, float] = {}
    for part in [p.strip() for p in (text or "").replace(",", ";").split(";") if p.strip()]:
        match = re.match(r"^(\d{1,2})(?:\s*-\s*(\d{1,2}))?\s*:\s*(\d+(?:\.\d+)?)$", part)
        if not match:
            raise ValueError(f"cannot read {part!r}: write HOUR:PEOPLE or FROM-TO:PEOPLE")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 0 <= first <= last <= 23:
            raise ValueError(f"hours must be 0-23 in {part!r}")
        for hour in range(first, last + 1):
            result[hour] = float(match.group(3))
    return result


# --- one simulated day --------------------------------------------------------------------


@dataclass
class DayRun:
    """The raw record of one simulated day."""

    arrivals: int
    waits: list[list[tuple[float, float]]]  # per stage: (moment queued, wait)
    services: list[list[float]]  # per stage: (moment service started) for throughput
    queue_samples: list[list[tuple[float, int]]]  # per stage: (minute, people waiting)
    end: float | None  # the moment the last person left (None: nobody came)


def _draw_arrivals(scenario: Scenario, rng: random.Random) -> list[float]:
    moments: list[float] = []
    for window in scenario.arrivals:
        if window.booked:
            for _ in range(int(round(window.count))):
                shows = rng.random() >= scenario.no_show_rate
                moment = rng.uniform(window.start, window.end)
                if shows:
                    moments.append(moment)
        elif window.count > 0:
            rate = window.count / (window.end - window.start)
            moment = window.start
            while True:
                moment += rng.expovariate(rate)
                if moment >= window.end:
                    break
                moments.append(moment)
    moments.sort()
    return moments


def _closed_intervals(stage: Stage) -> list[tuple[float, float]]:
    """One (start, end) per closed counter: counter k is closed while fewer than k are open."""
    top = stage.max_counters
    intervals = []
    for k in range(1, top + 1):
        run_start = None
        for hour in range(25):  # hour 24 stands for "after the day": the default counters
            closed = (top - stage.counters_at(hour if hour < 24 else -1)) >= k
            if closed and run_start is None:
                run_start = hour
            elif not closed and run_start is not None:
                intervals.append((run_start * 60.0, hour * 60.0))
                run_start = None
        if run_start is not None:
            intervals.append((run_start * 60.0, math.inf))
    return intervals


def simulate_day(
    scenario: Scenario,
    *,
    seed: int,
    sample_every: float = 1.0,
    overtime: float = 7 * 24 * 60.0,
) -> DayRun:
    """Simulate one day. The same seed gives the same people and service times whatever
    the counters (common random numbers), so two counter plans are compared on the same day."""
    arrival_rng = random.Random(f"{seed}:arrivals")
    service_rng = random.Random(f"{seed}:service")
    moments = _draw_arrivals(scenario, arrival_rng)
    samplers = [s.service.sampler(service_rng) for s in scenario.stages]
    service_times = [[draw() for draw in samplers] for _ in moments]

    env = simpy.Environment()
    stages = scenario.stages
    counters = [simpy.PriorityResource(env, capacity=s.max_counters) for s in stages]
    waiting = [0] * len(stages)
    waits: list[list[tuple[float, float]]] = [[] for _ in stages]
    starts: list[list[float]] = [[] for _ in stages]
    samples: list[list[tuple[float, int]]] = [[] for _ in stages]
    ends: list[float] = []

    def person(arrival: float, times: list[float]):
        yield env.timeout(arrival)
        for i, resource in enumerate(counters):
            queued = env.now
            waiting[i] += 1
            with resource.request(priority=1) as request:
                yield request
                waiting[i] -= 1
                waits[i].append((queued, env.now - queued))
                starts[i].append(env.now)
                yield env.timeout(times[i])
        ends.append(env.now)

    def closed_counter(resource, start: float, end: float):
        yield env.timeout(start)
        request = resource.request(priority=0)  # ahead of the people waiting
        if math.isinf(end):
            yield request
            return
        outcome = yield request | env.timeout(max(end - env.now, 0))
        if request in outcome:
            yield env.timeout(max(end - env.now, 0))
            resource.release(request)
        else:
            request.cancel()

    def monitor():
        while True:
            for i in range(len(stages)):
                samples[i].append((env.now, waiting[i]))
            yield env.timeout(sample_every)

    for stage, resource in zip(stages, counters, strict=True):
        for start, end in _closed_intervals(stage):
            env.process(closed_counter(resource, start, end))
    people = [env.process(person(m, t)) for m, t in zip(moments, service_times, strict=True)]
    if not people:
        return DayRun(0, waits, starts, samples, None)
    first = math.floor(moments[0] / sample_every) * sample_every

    def start_monitor():
        yield env.timeout(first)
        yield env.process(monitor())

    env.process(start_monitor())
    env.run(until=env.all_of(people) | env.timeout(moments[-1] + overtime))
    return DayRun(len(moments), waits, starts, samples, max(ends) if ends else None)


# --- many days, summed up -----------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class HourFigures:
    hour: int
    counters: int
    arrivals: float  # people reaching the stage in this hour, mean per day
    served: float  # services started in this hour, mean per day (throughput)
    wait_p50: float
    wait_p90: float
    wait_mean: float
    queue_mean: float
    queue_max: int


@dataclass
class StageResult:
    name: str
    hours: list[HourFigures]
    wait_p50: float
    wait_p90: float
    wait_mean: float
    people_per_day: float

    @property
    def worst_hour_p90(self) -> float:
        """The highest hourly p90 wait over hours with at least one person a day."""
        busy = [h.wait_p90 for h in self.hours if h.arrivals >= 1]
        return max(busy, default=self.wait_p90)


@dataclass
class PlanResult:
    scenario: Scenario
    days: int
    stages: list[StageResult]
    people_per_day: float
    day_end_p50: float | None
    day_end_p90: float | None

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.name == name)

    def as_dict(self) -> dict:
        return {
            "days": self.days,
            "people_per_day": round(self.people_per_day, 1),
            "day_end_p50": format_minutes(self.day_end_p50),
            "day_end_p90": format_minutes(self.day_end_p90),
            "stages": [
                {
                    "name": s.name,
                    "counters": self.scenario.stages[i].counters,
                    "counters_by_hour": self.scenario.stages[i].counters_by_hour,
                    "wait_p50": round(s.wait_p50, 1),
                    "wait_p90": round(s.wait_p90, 1),
                    "wait_mean": round(s.wait_mean, 1),
                    "worst_hour_p90": round(s.worst_hour_p90, 1),
                    "hours": [
                        {
                            k: (round(v, 2) if isinstance(v, float) else v)
                            for k, v in h.__dict__.items()
                        }
                        for h in s.hours
                    ],
                }
                for i, s in enumerate(self.stages)
            ],
        }


def format_minutes(minutes: float | None) -> str | None:
    """Minutes after midnight -> 'HH:MM' (past midnight shows as 24:10 and so on)."""
    if minutes is None:
        return None
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def summarise(scenario: Scenario, runs: list[DayRun]) -> PlanResult:
    days = len(runs)
    stages = []
    for i, stage in enumerate(scenario.stages):
        by_hour: dict[int, list[float]] = {}
        all_waits: list[float] = []
        for run in runs:
            for queued, wait in run.waits[i]:
                by_hour.setdefault(int(queued // 60), []).append(wait)
                all_waits.append(wait)
        served: dict[int, int] = {}
        for run in runs:
            for started in run.services[i]:
                served[int(started // 60)] = served.get(int(started // 60), 0) + 1
        queue: dict[int, list[int]] = {}
        for run in runs:
            for minute, length in run.queue_samples[i]:
                queue.setdefault(int(minute // 60), []).append(length)
        hours_seen = sorted(set(by_hour) | set(served))
        hours = [
            HourFigures(
                hour=hour,
                counters=stage.counters_at(hour),
                arrivals=len(by_hour.get(hour, [])) / days,
                served=served.get(hour, 0) / days,
                wait_p50=percentile(by_hour.get(hour, []), 0.5),
                wait_p90=percentile(by_hour.get(hour, []), 0.9),
                wait_mean=statistics.fmean(by_hour[hour]) if by_hour.get(hour) else 0.0,
                queue_mean=statistics.fmean(queue[hour]) if queue.get(hour) else 0.0,
                queue_max=max(queue.get(hour, [0])),
            )
            for hour in hours_seen
        ]
        stages.append(
            StageResult(
                name=stage.name,
                hours=hours,
                wait_p50=percentile(all_waits, 0.5),
                wait_p90=percentile(all_waits, 0.9),
                wait_mean=statistics.fmean(all_waits) if all_waits else 0.0,
                people_per_day=len(all_waits) / days,
            )
        )
    ends = [r.end for r in runs if r.end is not None]
    return PlanResult(
        scenario=scenario,
        days=days,
        stages=stages,
        people_per_day=sum(r.arrivals for r in runs) / days,
        day_end_p50=percentile(ends, 0.5) if ends else None,
        day_end_p90=percentile(ends, 0.9) if ends else None,
    )


def simulate(
    scenario: Scenario,
    *,
    days: int = 30,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> PlanResult:
    """Simulate `days` independent days (seeds seed, seed+1, ...) and sum them up."""
    if days < 1:
        raise ValueError("simulate at least one day")
    runs = []
    for i in range(days):
        runs.append(simulate_day(scenario, seed=seed + i))
        if progress is not None:
            progress(1)
    return summarise(scenario, runs)


# --- the recommender ----------------------------------------------------------------------


@dataclass
class Recommendation:
    counters: dict[str, int]
    met: bool  # False when even `max_counters` at some stage keeps p90 over the target
    result: PlanResult
    evaluations: int


def _lower_bound(scenario: Scenario, stage: Stage) -> int:
    """Fewest counters that keep up on average over the opening span of the arrivals."""
    if not scenario.arrivals:
        return 1
    span = max(w.end for w in scenario.arrivals) - min(w.start for w in scenario.arrivals)
    load = scenario.expected_people * stage.service.mean / max(span, 1.0)
    return max(1, math.ceil(load))


def recommend_counters(
    scenario: Scenario,
    *,
    target_p90: float,
    days: int = 20,
    seed: int = 1,
    max_counters: int = 30,
    progress: Callable[[int], None] | None = None,
) -> Recommendation:
    """The fewest counters per stage (the same all day) keeping every stage's worst hourly
    p90 wait at or under `target_p90` minutes.

    Greedy on common random numbers: start from the counters that just keep up on average,
    add one at the stage furthest over the target until all meet it, then take one away
    wherever the target still holds.
    """
    if target_p90 <= 0:
        raise ValueError("the target wait must be positive")
    counters = {s.name: _lower_bound(scenario, s) for s in scenario.stages}
    cache: dict[tuple, PlanResult] = {}

    def evaluate(plan: dict[str, int]) -> PlanResult:
        key = tuple(sorted(plan.items()))
        if key not in cache:
            cache[key] = simulate(scenario.with_counters(plan), days=days, seed=seed)
            if progress is not None:
                progress(1)
        return cache[key]

    def over(result: PlanResult) -> dict[str, float]:
        return {
            s.name: s.worst_hour_p90 / target_p90
            for s in result.stages
            if s.worst_hour_p90 > target_p90
        }

    result = evaluate(counters)
    met = True
    while excess := over(result):
        candidates = [n for n in excess if counters[n] < max_counters]
        if not candidates:
            met = False
            break
        worst = max(candidates, key=lambda n: excess[n])
        counters = {**counters, worst: counters[worst] + 1}
        result = evaluate(counters)
    if met:
        for stage in scenario.stages:
            while counters[stage.name] > 1:
                fewer = {**counters, stage.name: counters[stage.name] - 1}
                trial = evaluate(fewer)
                if over(trial):
                    break
                counters, result = fewer, trial
    return Recommendation(counters=counters, met=met, result=result, evaluations=len(cache))


# --- fitting recorded durations -----------------------------------------------------------


@dataclass(frozen=True)
class ServiceFit:
    """A fitted service time and how it was chosen (maximum likelihood, lower AIC wins)."""

    service: ServiceTime
    n: int
    observed_mean: float
    observed_cv: float
    aic_exponential: float
    aic_lognormal: float | None  # None when every duration is the same


def fit_service_counts(counts: dict[float, int]) -> ServiceFit:
    """Fit durations given as value (minutes) -> how many, without expanding them:
    exponential or lognormal by maximum likelihood, whichever has the lower AIC.
    Non-positive durations are ignored."""
    items = [(float(v), int(n)) for v, n in counts.items() if v is not None and v > 0 and n > 0]
    n = sum(k for _v, k in items)
    if n < 2:
        raise ValueError("at least two positive durations are needed to fit a distribution")
    mean = sum(v * k for v, k in items) / n
    variance = sum(k * (v - mean) ** 2 for v, k in items) / n
    loglik_exp = -n * math.log(mean) - n
    aic_exp = 2 * 1 - 2 * loglik_exp
    log_sum = sum(k * math.log(v) for v, k in items)
    mu = log_sum / n
    s2 = sum(k * (math.log(v) - mu) ** 2 for v, k in items) / n
    observed_cv = math.sqrt(variance) / mean
    if s2 <= 0:
        return ServiceFit(ServiceTime(mean, "exponential"), n, mean, observed_cv, aic_exp, None)
    loglik_lognormal = -log_sum - n / 2 * math.log(2 * math.pi * s2) - n / 2
    aic_lognormal = 2 * 2 - 2 * loglik_lognormal
    if aic_lognormal < aic_exp:
        service = ServiceTime(
            mean=math.exp(mu + s2 / 2), distribution="lognormal", cv=math.sqrt(math.expm1(s2))
        )
    else:
        service = ServiceTime(mean=mean, distribution="exponential")
    return ServiceFit(service, n, mean, observed_cv, aic_exp, aic_lognormal)


def fit_service_times(durations: Sequence[float]) -> ServiceTime:
    """Fit recorded service durations (minutes) by maximum likelihood, exponential or
    lognormal, whichever has the lower AIC. Non-positive durations are ignored."""
    counts: dict[float, int] = {}
    for d in durations:
        if d is not None and d > 0:
            counts[float(d)] = counts.get(float(d), 0) + 1
    return fit_service_counts(counts).service


def quantile(service: ServiceTime, q: float) -> float:
    """The q-quantile of a service-time distribution (minutes)."""
    if service.distribution == "exponential":
        return -service.mean * math.log(1 - q)
    sigma2 = math.log1p(service.cv**2)
    mu = math.log(service.mean) - sigma2 / 2
    return math.exp(mu + math.sqrt(sigma2) * statistics.NormalDist().inv_cdf(q))


# --- building a scenario from the inputs --------------------------------------------------


def _minutes(moment) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def build_scenario(
    *,
    stages: Sequence[Stage],
    booked_per_hour: dict[int, float] | None = None,
    booked_windows: Sequence[tuple] = (),
    walk_ins: dict[int, float] | None = None,
    no_show_rate: float = 0.0,
) -> Scenario:
    """A scenario from booked people (per window, e.g. from `selectors.booked_arrivals`, or
    per hour) and walk-ins per hour."""
    arrivals = [
        ArrivalWindow(_minutes(start), _minutes(end), count, booked=True)
        for start, end, count in booked_windows
    ]
    arrivals += [
        ArrivalWindow(hour * 60, hour * 60 + 60, count, booked=True)
        for hour, count in sorted((booked_per_hour or {}).items())
        if count > 0
    ]
    arrivals += walk_ins_per_hour(walk_ins or {})
    return Scenario(tuple(arrivals), tuple(stages), no_show_rate)
