"""Reports API (an office's supervisors and office administrators, for that office; superusers
for every office): every figure of the report pages, and the capacity planner.

`router` is mounted at /api/v1/reports. `build_router()` makes a fresh one (for tests).
"""

import datetime as dt

from ninja import Query, Router, Schema
from ninja.security import HttpBearer

from loket.accounts import services as accounts
from loket.core.errors import InvalidInput
from loket.offices.selectors import get_office
from loket.reports import office_model, planner, selectors
from loket.reports.permissions import StaffOnly, may_see_reports, require_reports_of
from loket.reports.schemas import (
    ErrorOut,
    FigureOut,
    FiguresOut,
    OfficeModelOut,
    PlanIn,
    PlanOut,
)


class StaffBearer(HttpBearer):
    """A bearer token of an account that may see some office's reports; any other valid token
    is refused with 403 (`staff_only`). Each operation then checks the office it is asked
    about (`reports_forbidden`)."""

    def authenticate(self, request, token):
        user = accounts.user_for_token(token)
        if user is None:
            return None
        if not may_see_reports(user):
            raise StaffOnly()
        return user


class PeriodQuery(Schema):
    office: str
    period: str = "month"
    date: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def _office_period(request, query: PeriodQuery):
    office = get_office(query.office)
    require_reports_of(request.auth, office)
    period = selectors.period_for(
        query.period,
        query.date or selectors.default_period(office).start,
        start=query.start,
        end=query.end,
    )
    return office, period


def _fit_period(office, start: dt.date | None, end: dt.date | None) -> selectors.Period:
    if start is None and end is None:
        return office_model.default_fit_period(office)
    return selectors.period_for("custom", start=start or end, end=end or start)


def build_router() -> Router:
    router = Router(tags=["reports"], auth=StaffBearer())
    errors = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

    @router.get("/figures", response={200: FiguresOut, **errors})
    def list_figures(request, query: Query[PeriodQuery]):
        """Every figure of an office for a period (day, week, month, year or custom)."""
        office, period = _office_period(request, query)
        return {
            "office": office.code,
            "period": period.kind,
            "start": period.start,
            "end": period.end,
            "figures": [f.as_dict() for f in selectors.list_figures(office, period)],
        }

    @router.get("/figures/{key}", response={200: FigureOut, **errors})
    def get_figure(request, key: str, query: Query[PeriodQuery]):
        """One figure; its `definition` says exactly what is counted."""
        office, period = _office_period(request, query)
        return selectors.get_figure(key, office, period).as_dict()

    @router.get("/planner/office", response={200: OfficeModelOut, **errors})
    def office_planner_model(
        request,
        office: str,
        fit_start: dt.date | None = None,
        fit_end: dt.date | None = None,
        day: dt.date | None = None,
    ):
        """Where the planner starts for an office: its stages and configured counters,
        service times fitted to the services recorded over the fitting period (default: the
        28 days up to yesterday), arrivals recorded per channel and hour, plan B (one more
        counter in the afternoon at the busiest stage), and the calibration on a recorded
        day (default: the last day with tickets): predicted beside recorded waits."""
        found = get_office(office)
        require_reports_of(request.auth, found)
        model = office_model.fit_office(found, _fit_period(found, fit_start, fit_end))
        day = day or office_model.last_recorded_day(found, model.period)
        calibration = []
        if day is not None and model.stages:
            recorded = office_model.recorded_day(found, day)
            if recorded.arrivals:
                calibration = office_model.calibrate(model, recorded, days=10)
        return {
            "office": found.code,
            "fit_start": model.period.start,
            "fit_end": model.period.end,
            "open_days": model.open_days,
            "stages": [
                {
                    "name": s.name,
                    "counters": s.counters,
                    "services": s.fit.n if s.fit else 0,
                    "distribution": s.service.distribution,
                    "mean": round(s.service.mean, 3),
                    "cv": round(s.service.cv, 3),
                    "observed_p50": s.observed_p50,
                    "observed_p90": s.observed_p90,
                    "aic_exponential": s.fit.aic_exponential if s.fit else None,
                    "aic_lognormal": s.fit.aic_lognormal if s.fit else None,
                }
                for s in model.stages
            ],
            "channels": [c.__dict__ for c in model.channels],
            "plan_b": office_model.plan_b_counters(model),
            "calibration_day": day,
            "calibration": [r.__dict__ for r in calibration],
        }

    @router.post("/planner", response={200: PlanOut, **errors})
    def plan(request, payload: PlanIn):
        """Simulate office days with these arrivals and counters; with `target_p90`, also
        recommend the fewest counters per stage keeping p90 waits under it."""
        try:
            stages = [
                planner.Stage(
                    s.name,
                    planner.ServiceTime(s.service.mean, s.service.distribution, s.service.cv),
                    s.counters,
                    dict(s.counters_by_hour),
                )
                for s in payload.stages
            ]
            booked_windows = []
            walk_ins = payload.walk_ins_per_hour
            if payload.office:
                office = get_office(payload.office)
                require_reports_of(request.auth, office)
                if payload.recorded_arrivals:
                    period = _fit_period(office, payload.fit_start, payload.fit_end)
                    walk_ins = office_model.fit_office(office, period).arrivals(payload.quotas)
                elif payload.date is None:
                    raise ValueError("give the date whose bookings arrive")
                else:
                    booked_windows = selectors.booked_arrivals(office, payload.date)
            scenario = planner.build_scenario(
                stages=stages,
                booked_per_hour=payload.booked_per_hour,
                booked_windows=booked_windows,
                walk_ins=walk_ins,
                no_show_rate=payload.no_show_rate,
            )
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        result = planner.simulate(scenario, days=payload.days, seed=payload.seed)
        out: dict = {"result": result.as_dict(), "recommendation": None}
        if payload.target_p90:
            rec = planner.recommend_counters(
                scenario, target_p90=payload.target_p90, days=payload.days, seed=payload.seed
            )
            out["recommendation"] = {
                "counters": rec.counters,
                "met": rec.met,
                "evaluations": rec.evaluations,
                "result": rec.result.as_dict(),
            }
        return out

    return router


router = build_router()
