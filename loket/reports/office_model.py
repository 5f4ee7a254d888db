"""The planner's starting point, read from an office: its stages and counters as configured,
service times fitted to its recorded queue events over a chosen period, arrivals per hour
as recorded (tickets issued), each channel's places per day, and a recorded day to
calibrate against (predicted and observed waits side by side).
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import Coalesce, ExtractHour

from loket.core import clock
from loket.offices.models import Office
from loket.queue.models import Counter, Stage, Ticket, TicketEvent, TicketEventKind
from loket.reports import planner
from loket.reports.queue_figures import (
    _month_parts,
    _percentile_from_histogram,
    _target,
    percentile_cont,
)
from loket.reports.selectors import Period, _channels, day_use

AFTERNOON = (12, 15)  # the hours a default plan B adds a counter: 12:00 to 15:59
OTHER = "other"  # arrivals whose ticket names no channel (e.g. emergency)


@dataclass
class StageModel:
    stage_id: int
    name: str
    counters: int  # active counters configured for the stage
    fit: planner.ServiceFit | None  # None: fewer than two recorded services
    observed_p50: float | None = None  # recorded service minutes
    observed_p90: float | None = None
    pause: float = 0.0  # mean minutes from a finish to the counter's next call (queue waiting)
    pauses: int = 0  # how many such pauses were recorded

    @property
    def service(self) -> planner.ServiceTime:
        """Counter time per person: the fitted service time plus the counter's mean pause
        before calling the next person waiting (the spread of the service kept)."""
        if self.fit is None:
            return planner.ServiceTime(5.0, "lognormal", 0.5)
        fitted = self.fit.service
        if not self.pause:
            return fitted
        mean = fitted.mean + self.pause
        cv = fitted.cv * fitted.mean / mean if fitted.distribution == "lognormal" else 1.0
        return planner.ServiceTime(mean, fitted.distribution, cv)


@dataclass
class ChannelArrivals:
    code: str
    name: str
    places_per_day: float  # mean places open per day with arrivals in the fit period
    per_hour: dict[int, float]  # mean tickets issued per open day, by local hour


@dataclass
class OfficeModel:
    office: Office
    period: Period
    open_days: int  # days of the period with at least one ticket issued
    stages: list[StageModel]
    channels: list[ChannelArrivals] = field(default_factory=list)

    def stage_list(
        self, counters: dict[str, tuple[int, dict[int, int]]] | None = None
    ) -> list[planner.Stage]:
        counters = counters or {}
        return [
            planner.Stage(s.name, s.service, *counters.get(s.name, (max(s.counters, 1), {})))
            for s in self.stages
        ]

    def arrivals(self, quotas: dict[str, float] | None = None) -> dict[int, float]:
        """Expected people per hour; a channel's arrivals scale with its places per day."""
        quotas = quotas or {}
        per_hour: dict[int, float] = defaultdict(float)
        for channel in self.channels:
            factor = 1.0
            if channel.code in quotas and channel.places_per_day > 0:
                factor = quotas[channel.code] / channel.places_per_day
            for hour, n in channel.per_hour.items():
                per_hour[hour] += n * factor
        return dict(per_hour)

    def bottleneck(self) -> StageModel | None:
        """The stage with the most work per counter (recorded services x mean / counters)."""
        fitted = [s for s in self.stages if s.fit]
        return max(
            fitted,
            key=lambda s: s.fit.n * s.fit.service.mean / max(s.counters, 1),
            default=None,
        )


def default_fit_period(office: Office) -> Period:
    """The 28 days up to yesterday."""
    yesterday = clock.local_today(office.time_zone) - dt.timedelta(days=1)
    return Period("custom", yesterday - dt.timedelta(days=27), yesterday)


def _stages(office: Office) -> list[Stage]:
    return list(Stage.objects.filter(office=office, is_final=False).order_by("order"))


def _counts(office: Office, period: Period) -> dict[str, dict[int, dict[int, int]]]:
    """measure ("service", "gap") -> stage id -> {whole seconds: how many}, from the kept
    month summaries when the period is whole months."""
    merged: dict[str, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for part in _month_parts(office, period, _target(office, None) * 60):
        for (measure, stage_id, _hour), counts in part.hist.items():
            if measure not in ("service", "gap"):
                continue
            target = merged[measure][stage_id]
            for seconds, n in counts.items():
                target[seconds] = target.get(seconds, 0) + n
    return merged


def _quantile_from_counts(counts: dict[int, int], q: float) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    return _percentile_from_histogram(sorted(counts.items()), total, q) / 60


def fit_office(office: Office, period: Period) -> OfficeModel:
    """The office's stages, counters, fitted service times and arrivals over `period`."""
    stages = _stages(office)
    counters = dict(
        Counter.objects.filter(office=office, is_active=True, stages__in=stages)
        .values_list("stages")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    counts_by_measure = _counts(office, period)
    services, gaps = counts_by_measure["service"], counts_by_measure["gap"]
    models = []
    for stage in stages:
        counts = services.get(stage.pk, {})
        stage_gaps = gaps.get(stage.pk, {})
        n_gaps = sum(stage_gaps.values())
        minutes = {seconds / 60: n for seconds, n in counts.items()}
        try:
            fit = planner.fit_service_counts(minutes)
        except ValueError:
            fit = None
        models.append(
            StageModel(
                stage.pk,
                stage.name,
                counters.get(stage.pk, 0),
                fit,
                _quantile_from_counts(counts, 0.5),
                _quantile_from_counts(counts, 0.9),
                sum(sec * n for sec, n in stage_gaps.items()) / n_gaps / 60 if n_gaps else 0.0,
                n_gaps,
            )
        )
    tz = zoneinfo.ZoneInfo(office.time_zone)
    rows = list(
        Ticket.objects.filter(office=office, date__range=(period.start, period.end))
        .annotate(
            hour=ExtractHour("issued_at", tzinfo=tz),
            channel_id=Coalesce("booking__channel_id", "lane__channel_id"),
        )
        .values_list("date", "hour", "channel_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    days = {d for d, _h, _c, _n in rows}
    open_days = len(days)
    by_channel: dict[int | None, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for _day, hour, channel_id, n in rows:
        by_channel[channel_id][hour] += n / open_days
    channels = {c.pk: c for c in _channels(office)}
    uses = day_use(office, period.start, period.end)
    arrivals = []
    for channel_id, per_hour in sorted(by_channel.items(), key=lambda kv: kv[0] or 0):
        channel = channels.get(channel_id)
        places = (
            sum(u.places for (cid, d), u in uses.items() if cid == channel_id and d in days)
            / open_days
            if channel
            else 0.0
        )
        arrivals.append(
            ChannelArrivals(
                channel.code if channel else OTHER,
                channel.name if channel else OTHER,
                round(places, 1),
                {h: round(n, 2) for h, n in sorted(per_hour.items())},
            )
        )
    return OfficeModel(office, period, open_days, models, arrivals)


def plan_b_counters(model: OfficeModel) -> dict[str, str]:
    """Plan B's counters as text: plan A with one more counter in the afternoon at the
    busiest stage (e.g. '1; 12-15:2': a second photo counter from 12:00 to 15:59)."""
    busiest = model.bottleneck()
    plans = {}
    for s in model.stages:
        n = max(s.counters, 1)
        if busiest is not None and s.stage_id == busiest.stage_id:
            plans[s.name] = f"{n}; {AFTERNOON[0]}-{AFTERNOON[1]}:{n + 1}"
        else:
            plans[s.name] = str(n)
    return plans


# --- calibration against a recorded day -------------------------------------------------


@dataclass
class RecordedDay:
    day: dt.date
    arrivals: dict[int, int]  # tickets issued per local hour
    counters: dict[int, dict[int, int]]  # stage id -> {hour: counters that served}
    waits: dict[int, list[float]]  # stage id -> recorded waits (minutes), sorted


def last_recorded_day(office: Office, period: Period) -> dt.date | None:
    return (
        Ticket.objects.filter(office=office, date__range=(period.start, period.end))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def recorded_day(office: Office, day: dt.date) -> RecordedDay:
    """A day's arrivals per hour, counters open per stage and hour (counters that started a
    service there in that hour), and its waits per stage."""
    tz = zoneinfo.ZoneInfo(office.time_zone)
    start, end = Period("day", day, day).moments(office.time_zone)
    arrivals = dict(
        Ticket.objects.filter(office=office, date=day)
        .annotate(hour=ExtractHour("issued_at", tzinfo=tz))
        .values_list("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    counters: dict[int, dict[int, int]] = defaultdict(dict)
    for stage_id, hour, n in (
        TicketEvent.objects.filter(
            office=office,
            at__gte=start,
            at__lt=end,
            kind=TicketEventKind.CALLED,
            counter__isnull=False,
        )
        .annotate(hour=ExtractHour("at", tzinfo=tz))
        .values_list("stage_id", "hour")
        .annotate(n=Count("counter_id", distinct=True))
        .order_by()
    ):
        counters[stage_id][hour] = n
    waits: dict[int, list[float]] = defaultdict(list)
    for part in _month_parts(office, Period("day", day, day), _target(office, None) * 60):
        for (measure, stage_id, _hour), counts in part.hist.items():
            if measure == "wait":
                for seconds, n in counts.items():
                    waits[stage_id].extend([seconds / 60] * n)
    return RecordedDay(day, arrivals, dict(counters), {k: sorted(v) for k, v in waits.items()})


@dataclass
class CalibrationRow:
    stage: str
    observed_n: int
    observed_p50: float | None
    observed_p90: float | None
    predicted_p50: float
    predicted_p90: float


def calibrate(
    model: OfficeModel, day: RecordedDay, *, days: int = 20, seed: int = 1
) -> list[CalibrationRow]:
    """Simulate the recorded day (its arrivals per hour, its counters per stage and hour,
    the fitted service times) and set the predicted waits beside the recorded ones."""
    stages = []
    for s in model.stages:
        by_hour = day.counters.get(s.stage_id, {})
        default = max(s.counters, 1)
        hours: dict[int, int] = {}
        # Between the first and last hour that served, the counters that served (at least
        # one: a long service starts nobody new); before and after, the configured ones.
        if by_hour:
            first, last = min(by_hour), max(by_hour)
            hours = {h: max(by_hour.get(h, 0), 1) for h in range(first, last + 1)}
        stages.append(planner.Stage(s.name, s.service, default, hours))
    scenario = planner.Scenario(
        tuple(
            planner.ArrivalWindow(h * 60, h * 60 + 60, n, booked=True)
            for h, n in sorted(day.arrivals.items())
            if n > 0
        ),
        tuple(stages),
    )
    result = planner.simulate(scenario, days=days, seed=seed)
    rows = []
    for s, predicted in zip(model.stages, result.stages, strict=True):
        waits = day.waits.get(s.stage_id, [])
        rows.append(
            CalibrationRow(
                s.name,
                len(waits),
                percentile_cont(waits, 0.5),
                percentile_cont(waits, 0.9),
                predicted.wait_p50,
                predicted.wait_p90,
            )
        )
    return rows
