"""Simulate an office day and print waits per stage and hour; optionally recommend counters.

    manage.py plan_capacity --office KRW            # the office's own stages, counters,
                                                    # fitted service times and arrivals
    manage.py plan_capacity --office KRW --counters-of "Foto dan wawancara=1; 12-15:3"
    manage.py plan_capacity --booked "8-14:24" --walk-ins "8-11:5; 12-13:2" \
        --stage "Document check" --mean 3 --counters 2 \
        --stage "Photo" --mean 5 --counters "2; 12-15:3" \
        --stage "Interview" --mean 5 --counters 3 --target 15 --recommend
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from loket.offices.selectors import get_office
from loket.reports import planner, selectors
from loket.reports.forms import DEFAULT_STAGES


class Command(BaseCommand):
    help = "Simulate an office day (SimPy): waits p50/p90 per stage and hour, the day's end."

    def add_arguments(self, parser):
        parser.add_argument("--booked", default="8-14:24", help="booked people per hour")
        parser.add_argument("--office", help="take booked arrivals from this office's bookings")
        parser.add_argument("--date", help="the day (YYYY-MM-DD) whose bookings arrive")
        parser.add_argument("--walk-ins", default="8-11:5; 12-13:2", help="walk-ins per hour")
        parser.add_argument("--no-show", type=float, default=8.0, help="no-shows, %% of booked")
        parser.add_argument("--stage", action="append", help="stage name (repeat per stage)")
        parser.add_argument("--mean", action="append", type=float, help="mean service, minutes")
        parser.add_argument(
            "--distribution", action="append", help="exponential or lognormal (default)"
        )
        parser.add_argument("--cv", action="append", type=float, help="lognormal spread (CV)")
        parser.add_argument("--counters", action="append", help="e.g. 2 or '2; 12-15:3'")
        parser.add_argument("--target", type=float, default=15.0, help="p90 wait target, min")
        parser.add_argument("--recommend", action="store_true", help="recommend counters")
        parser.add_argument("--days", type=int, default=30, help="days simulated")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--fit-from", help="fit the office's days from (YYYY-MM-DD)")
        parser.add_argument("--fit-until", help="... until (default: the 28 days to yesterday)")
        parser.add_argument(
            "--counters-of",
            action="append",
            default=[],
            help="with --office: 'STAGE=COUNTERS', e.g. 'Foto dan wawancara=1; 12-15:3'",
        )
        parser.add_argument(
            "--quota", action="append", default=[], help="with --office: 'CHANNEL=PLACES'"
        )
        parser.add_argument("--calibrate", help="with --office: a recorded day (YYYY-MM-DD)")

    def _stages(self, options) -> list[planner.Stage]:
        names = options["stage"]
        if not names:
            return [
                planner.Stage(str(n), planner.ServiceTime(m, d, cv), *planner.parse_counters(a))
                for n, m, d, cv, a, _b in DEFAULT_STAGES
                if n
            ]
        means = options["mean"] or []
        counters = options["counters"] or []
        if len(means) != len(names) or len(counters) != len(names):
            raise CommandError("give --mean and --counters once for every --stage, in order")
        dists = options["distribution"] or []
        cvs = options["cv"] or []
        stages = []
        for i, name in enumerate(names):
            service = planner.ServiceTime(
                means[i],
                dists[i] if i < len(dists) else "lognormal",
                cvs[i] if i < len(cvs) else 0.5,
            )
            stages.append(planner.Stage(name, service, *planner.parse_counters(counters[i])))
        return stages

    def handle(self, *args, **options):
        if options["office"] and not options["stage"] and not options["date"]:
            return self._from_office(options)
        try:
            stages = self._stages(options)
            booked_windows = []
            booked_per_hour = planner.parse_per_hour(options["booked"])
            if options["office"]:
                if not options["date"]:
                    raise CommandError("--office needs --date")
                day = dt.date.fromisoformat(options["date"])
                booked_windows = selectors.booked_arrivals(get_office(options["office"]), day)
                booked_per_hour = {}
            scenario = planner.build_scenario(
                stages=stages,
                booked_per_hour=booked_per_hour,
                booked_windows=booked_windows,
                walk_ins=planner.parse_per_hour(options["walk_ins"]),
                no_show_rate=options["no_show"] / 100,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Simulating {options['days']} days: {scenario.expected_people:.0f} people expected "
            f"a day, stages: {', '.join(s.name for s in stages)}"
        )
        with tqdm(total=options["days"], unit="day", file=self.stderr) as bar:
            result = planner.simulate(
                scenario, days=options["days"], seed=options["seed"], progress=bar.update
            )
        self._print(result)
        if options["recommend"]:
            with tqdm(unit="plan", desc="recommending", file=self.stderr) as bar:
                rec = planner.recommend_counters(
                    scenario,
                    target_p90=options["target"],
                    days=options["days"],
                    seed=options["seed"],
                    progress=bar.update,
                )
            verdict = "met" if rec.met else "NOT met even with the most counters tried"
            self.stdout.write(
                f"\nRecommended counters for p90 wait <= {options['target']:g} min ({verdict}):"
            )
            for name, n in rec.counters.items():
                stage = rec.result.stage(name)
                self.stdout.write(
                    f"  {name}: {n} counter(s), p90 {stage.wait_p90:.1f} min, "
                    f"worst hour p90 {stage.worst_hour_p90:.1f} min"
                )

    def _from_office(self, options) -> None:
        """The office's own stages, counters, fitted service times and recorded arrivals."""
        from loket.reports import office_model
        from loket.reports.selectors import Period

        office = get_office(options["office"])
        try:
            period = office_model.default_fit_period(office)
            if options["fit_from"] or options["fit_until"]:
                period = Period(
                    "custom",
                    dt.date.fromisoformat(options["fit_from"] or options["fit_until"]),
                    dt.date.fromisoformat(options["fit_until"] or options["fit_from"]),
                )
            model = office_model.fit_office(office, period)
            counters = {}
            for text in options["counters_of"]:
                name, _sep, plan = text.partition("=")
                counters[name.strip()] = planner.parse_counters(plan)
            quotas = {}
            for text in options["quota"]:
                code, _sep, places = text.partition("=")
                quotas[code.strip()] = float(places)
            stages = model.stage_list(counters)
            scenario = planner.build_scenario(stages=stages, walk_ins=model.arrivals(quotas))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        w = self.stdout.write
        w(f"{office.name}: fitted on {period.label} ({model.open_days} days with tickets)")
        for s in model.stages:
            if s.fit:
                w(
                    f"  {s.name}: {s.counters} counter(s) configured, {s.fit.n} services, "
                    f"{s.fit.service.distribution} mean {s.fit.service.mean:.2f} min "
                    f"cv {s.fit.service.cv:.2f}, pause before the next call "
                    f"{s.pause:.2f} min: {s.service.mean:.2f} min a person"
                )
            else:
                w(f"  {s.name}: {s.counters} counter(s), too few services: 5 min assumed")
        if options["calibrate"]:
            day = dt.date.fromisoformat(options["calibrate"])
            w(f"\nCalibration on {day:%d-%m-%Y}: stage, waits recorded, p50 rec/pred, p90 rec/pred")
            for r in office_model.calibrate(model, office_model.recorded_day(office, day)):
                w(
                    f"  {r.stage}: {r.observed_n}, "
                    f"{_num(r.observed_p50)}/{r.predicted_p50:.1f}, "
                    f"{_num(r.observed_p90)}/{r.predicted_p90:.1f}"
                )
        w(f"\nSimulating {options['days']} days: {scenario.expected_people:.0f} people a day")
        self._print(planner.simulate(scenario, days=options["days"], seed=options["seed"]))

    def _print(self, result: planner.PlanResult) -> None:
        w = self.stdout.write
        w(
            f"People per day: {result.people_per_day:.1f}; last person leaves at "
            f"{planner.format_minutes(result.day_end_p50)} on a median day, "
            f"{planner.format_minutes(result.day_end_p90)} on 1 day in 10."
        )
        for stage in result.stages:
            w(f"\n{stage.name}: wait p50 {stage.wait_p50:.1f} min, p90 {stage.wait_p90:.1f} min")
            w("  hour  counters  arrivals  served  p50    p90    waiting(mean/max)")
            for h in stage.hours:
                w(
                    f"  {h.hour:02d}:00 {h.counters:>8} {h.arrivals:>9.1f} {h.served:>7.1f} "
                    f"{h.wait_p50:>6.1f} {h.wait_p90:>6.1f}  {h.queue_mean:>5.1f} / {h.queue_max}"
                )


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"
