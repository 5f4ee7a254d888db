"""Report pages (an office's supervisors and administrators): thin views over the selectors,
exports and the planner."""

import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext

from loket.core import clock
from loket.core.errors import DomainError
from loket.reports import exports, office_model, planner, selectors
from loket.reports.forms import MonthForm, PlannerForm, ReportFilterForm, default_filter_data
from loket.reports.permissions import deny_page, reports_required


def _office_form(request, form_class, data):
    """`form_class` bound to `data`, its offices limited to those whose reports the caller may
    see; 403 when `data` names another office."""
    code = (data.get("office") or "").strip().upper() if data else ""
    offices = request.report_offices
    if code and not offices.filter(code=code).exists():
        raise deny_page(code)
    form = form_class(data)
    form.fields["office"].queryset = offices
    return form


def _filtered(request):
    form = _office_form(
        request, ReportFilterForm, default_filter_data(request, request.report_offices)
    )
    if form.is_valid():
        return form, form.cleaned_data["office"], form.period_obj
    return form, None, None


@reports_required
def index(request):
    """All figures of an office for a period, with charts and downloads."""
    form, office, period = _filtered(request)
    figures = selectors.list_figures(office, period) if office else []
    return render(
        request,
        "reports/index.html",
        {
            "form": form,
            "office": office,
            "period": period,
            "figures": figures,
            "query": request.GET.urlencode() if office else "",
        },
    )


@reports_required
def export(request, key: str, fmt: str):
    """One figure as CSV or XLSX, or every figure as one XLSX workbook (key 'all')."""
    form, office, period = _filtered(request)
    if office is None:
        raise Http404(gettext("Choose an office and a period."))
    stem = f"loket-{office.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{key}"
    try:
        figures = (
            selectors.list_figures(office, period)
            if key == "all"
            else [selectors.get_figure(key, office, period)]
        )
    except DomainError:
        raise Http404(gettext("There is no such figure.")) from None
    if fmt == "csv":
        if len(figures) != 1:
            raise Http404(gettext("CSV holds one figure: choose one."))
        response = HttpResponse(exports.figure_csv(figures[0]), content_type="text/csv")
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.figures_xlsx(figures, office_name=office.name, period=period),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404()
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@reports_required
def monthly(request):
    """A month's report laid out for printing (or saving as PDF from the browser)."""
    form = _office_form(request, MonthForm, default_filter_data(request, request.report_offices))
    office = period = None
    figures = []
    if form.is_valid():
        office = form.cleaned_data["office"]
        month = form.cleaned_data["month"] or clock.local_today(office.time_zone)
        period = selectors.period_for("month", month)
        figures = selectors.list_figures(office, period)
    return render(
        request,
        "reports/monthly.html",
        {
            "form": form,
            "office": office,
            "period": period,
            "figures": figures,
            "printed_at": clock.local_now(office.time_zone) if office else None,
        },
    )


def _plan_rows(result_a: planner.PlanResult, result_b: planner.PlanResult) -> list[dict]:
    """Per stage, the hours of both plans side by side."""
    stages = []
    for i, (stage_a, stage_b) in enumerate(zip(result_a.stages, result_b.stages, strict=True)):
        hours_b = {h.hour: h for h in stage_b.hours}
        hours = sorted({h.hour for h in stage_a.hours} | set(hours_b))
        hours_a = {h.hour: h for h in stage_a.hours}
        stages.append(
            {
                "name": stage_a.name,
                "chart_id": f"chart-data-stage-{i}",
                "a": stage_a,
                "b": stage_b,
                "rows": [
                    {"hour": f"{h:02d}:00", "a": hours_a.get(h), "b": hours_b.get(h)} for h in hours
                ],
                "chart": {
                    "type": "line",
                    "labels": [f"{h:02d}:00" for h in hours],
                    "datasets": [
                        {
                            "label": gettext("plan A: p90 wait (min)"),
                            "data": [
                                round(hours_a[h].wait_p90, 1) if h in hours_a else None
                                for h in hours
                            ],
                        },
                        {
                            "label": gettext("plan B: p90 wait (min)"),
                            "data": [
                                round(hours_b[h].wait_p90, 1) if h in hours_b else None
                                for h in hours
                            ],
                        },
                        {
                            "label": gettext("plan A: people waiting (mean)"),
                            "data": [
                                round(hours_a[h].queue_mean, 1) if h in hours_a else None
                                for h in hours
                            ],
                            "hidden": True,
                        },
                        {
                            "label": gettext("plan B: people waiting (mean)"),
                            "data": [
                                round(hours_b[h].queue_mean, 1) if h in hours_b else None
                                for h in hours
                            ],
                            "hidden": True,
                        },
                    ],
                },
            }
        )
    return stages


def _date_param(source, key: str) -> dt.date | None:
    try:
        return parse_date((source.get(key) or "").strip())
    except ValueError:
        return None


def _office_model(request, source):
    """The office the planner starts from (the chosen one, or the first the caller may see),
    its model fitted over the chosen period (default: the 28 days up to yesterday), and the
    recorded day to calibrate against (default: the last day with tickets)."""
    offices = request.report_offices
    code = (source.get("office") or "").strip().upper()
    if code and not offices.filter(code=code).exists():
        raise deny_page(code)
    if code:
        office = offices.get(code=code)
    elif request.method == "GET":
        office = offices.order_by("name").first()
    else:
        return None, None, None
    if office is None:
        return None, None, None
    period = office_model.default_fit_period(office)
    start, end = _date_param(source, "fit_start"), _date_param(source, "fit_end")
    if start and end and start <= end and (end - start).days <= 366:
        period = selectors.Period("custom", start, end)
    model = office_model.fit_office(office, period)
    day = _date_param(source, "calibration_day") or office_model.last_recorded_day(office, period)
    return office, model, day


def _fitted_stages(model) -> list[tuple]:
    plan_b = office_model.plan_b_counters(model)
    return [
        (
            s.name,
            round(s.service.mean, 2),
            s.service.distribution,
            round(s.service.cv, 2),
            str(max(s.counters, 1)),
            plan_b[s.name],
        )
        for s in model.stages
    ]


@reports_required
def planner_page(request):
    """Simulate a day with two counter plans side by side, starting from the office's own
    stages, counters, fitted service times and recorded arrivals; calibrated against a
    recorded day; optionally recommend counters."""
    refit = request.method == "POST" and "refit" in request.POST
    source = request.POST if request.method == "POST" else request.GET
    office, model, calibration_day = _office_model(request, source)
    initial: dict = {}
    stages = None
    if model is not None and model.stages:
        stages = _fitted_stages(model)
        initial = {
            "office": office,
            "fit_start": model.period.start,
            "fit_end": model.period.end,
            "calibration_day": calibration_day,
            "arrivals": "fitted" if model.open_days else "",
        }
    bound = request.POST if request.method == "POST" and not refit else None
    form = PlannerForm(
        bound, initial=initial, stages=stages, channels=model.channels if model else ()
    )
    form.fields["office"].queryset = request.report_offices
    context: dict = {"form": form, "model": model, "calibration_day": calibration_day}
    if model is not None and calibration_day is not None and model.open_days:
        recorded = office_model.recorded_day(office, calibration_day)
        if recorded.arrivals:
            context["calibration"] = office_model.calibrate(model, recorded, days=10)
    if bound is not None and form.is_valid():
        data = form.cleaned_data
        booked_windows = []
        mode = data["arrivals"]
        if mode == "bookings":
            booked_windows = selectors.booked_arrivals(data["office"], data["date"])
        if mode == "fitted" and model is not None:
            common = {"walk_ins": model.arrivals(form.quotas), "no_show_rate": 0.0}
        else:
            common = {
                "booked_per_hour": data["booked_per_hour"] if mode == "entered" else {},
                "booked_windows": booked_windows,
                "walk_ins": data["walk_ins_per_hour"],
                "no_show_rate": data["no_show"] / 100,
            }
        scenario_a = planner.build_scenario(stages=data["stages_a"], **common)
        scenario_b = planner.build_scenario(stages=data["stages_b"], **common)
        result_a = planner.simulate(scenario_a, days=data["days"], seed=data["seed"])
        result_b = planner.simulate(scenario_b, days=data["days"], seed=data["seed"])
        context.update(
            result_a=result_a,
            result_b=result_b,
            stages=_plan_rows(result_a, result_b),
            ends={
                "a": (
                    planner.format_minutes(result_a.day_end_p50),
                    planner.format_minutes(result_a.day_end_p90),
                ),
                "b": (
                    planner.format_minutes(result_b.day_end_p50),
                    planner.format_minutes(result_b.day_end_p90),
                ),
            },
            booked_windows=booked_windows,
        )
        if "recommend" in request.POST:
            context["recommendation"] = planner.recommend_counters(
                scenario_a, target_p90=data["target"], days=data["days"], seed=data["seed"]
            )
    return render(request, "reports/planner.html", context)
