import datetime as dt

from django import template

register = template.Library()


@register.filter
def cell(value, kind: str = "text"):
    """A figure's cell for reading: dates as DD-MM-YYYY, percents with %, empty as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, dt.date):
        return f"{value:%d-%m-%Y}"
    if kind == "percent":
        return f"{value:.1f} %"
    if isinstance(value, float):
        return f"{value:.1f}"
    return value


@register.filter
def zip_columns(row, columns):
    return list(zip(row, columns, strict=False))


@register.filter
def minutes(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    return f"{value:.1f}"


@register.filter
def fitted_quantile(stage, q):
    """The q-quantile (minutes) of a planner stage model's fitted service time."""
    from loket.reports import planner

    if getattr(stage, "fit", None) is None:
        return None
    return planner.quantile(stage.fit.service, float(q))
