"""Forms of the report and planner pages: they parse input, the selectors and planner work."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.errors import DomainError
from loket.offices.models import Office
from loket.reports import planner
from loket.reports.selectors import PERIOD_KINDS, Period, period_for

DISTRIBUTION_CHOICES = [("lognormal", _("lognormal")), ("exponential", _("exponential"))]


class ReportFilterForm(forms.Form):
    office = forms.ModelChoiceField(
        label=_("Office"), queryset=Office.objects.filter(is_active=True), to_field_name="code"
    )
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_KINDS, initial="month")
    date = forms.DateField(
        label=_("Date in the period"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.DateField(
        label=_("From (custom)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until (custom)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        office = data.get("office")
        if office is None:
            return data
        anchor = data.get("date") or clock.local_today(office.time_zone)
        try:
            data["period_obj"] = period_for(
                data.get("period") or "month", anchor, start=data.get("start"), end=data.get("end")
            )
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    @property
    def period_obj(self) -> Period:
        return self.cleaned_data["period_obj"]


def default_filter_data(request, offices=None) -> dict:
    """The filter's input: the query string, or the first office (of `offices`, by default
    every active office) and this month."""
    data = request.GET.copy()
    if not data.get("office"):
        if offices is None:
            offices = Office.objects.filter(is_active=True)
        office = offices.order_by("name").first()
        if office is not None:
            data["office"] = office.code
    data.setdefault("period", "month")
    return data


class MonthForm(forms.Form):
    office = forms.ModelChoiceField(
        label=_("Office"), queryset=Office.objects.filter(is_active=True), to_field_name="code"
    )
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )

    def clean_month(self):
        text = self.cleaned_data.get("month")
        if not text:
            return None
        try:
            return dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-12.")) from None


# The Karawang demo's visit: document check, photo and fingerprints, interview.
DEFAULT_STAGES = [
    (_("Document check"), 3.0, "lognormal", 0.5, "2", "2"),
    (_("Photo and fingerprints"), 5.0, "lognormal", 0.4, "2", "2; 12-15:3"),
    (_("Interview"), 5.0, "lognormal", 0.5, "3", "3"),
    ("", 4.0, "lognormal", 0.5, "", ""),
]
STAGE_ROWS = len(DEFAULT_STAGES)
ARRIVAL_CHOICES = [
    ("", _("as entered, or the day's bookings")),
    ("fitted", _("recorded at the office (fitted)")),
    ("bookings", _("the bookings of the day below, plus walk-ins")),
    ("entered", _("as entered below")),
]


class PlannerForm(forms.Form):
    office = forms.ModelChoiceField(
        label=_("Office"),
        queryset=Office.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
    )
    date = forms.DateField(
        label=_("Day whose bookings arrive"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    booked = forms.CharField(
        label=_("Booked people per hour (used without an office and day)"),
        required=False,
        initial="8-14:24",
        help_text=_("HOUR:PEOPLE or FROM-TO:PEOPLE, separated by ';'. Example: 8-14:24"),
    )
    walk_ins = forms.CharField(
        label=_("Walk-ins per hour"),
        required=False,
        initial="8-11:5; 12-13:2",
        help_text=_("Priority and lost/damaged walk-ins. Example: 8-11:5; 12-13:2"),
    )
    no_show = forms.FloatField(
        label=_("No-shows among booked people (%)"), min_value=0, max_value=90, initial=8
    )
    target = forms.FloatField(
        label=_("Target: p90 wait at most (minutes)"), min_value=1, max_value=600, initial=15
    )
    days = forms.IntegerField(label=_("Days simulated"), min_value=1, max_value=200, initial=20)
    seed = forms.IntegerField(label=_("Random seed"), min_value=0, initial=1)
    arrivals = forms.ChoiceField(
        label=_("Arrivals"),
        choices=ARRIVAL_CHOICES,
        required=False,
        help_text=_(
            "Recorded: tickets issued per hour over the fitting period (mean of its open "
            "days), each channel's share scaled by its places per day below."
        ),
    )
    fit_start = forms.DateField(
        label=_("Fit from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    fit_end = forms.DateField(
        label=_("Fit until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    calibration_day = forms.DateField(
        label=_("Recorded day to calibrate against"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, stages=None, channels=(), **kwargs):
        """`stages`: rows (name, mean, distribution, cv, plan A, plan B) to start from (the
        office's own); `channels`: the office's recorded arrivals, a places field each."""
        super().__init__(*args, **kwargs)
        stages = list(stages or DEFAULT_STAGES)
        self.rows = max(STAGE_ROWS, len(stages))
        stages += [("", 4.0, "lognormal", 0.5, "", "")] * (self.rows - len(stages))
        self.channels = list(channels)
        for channel in self.channels:
            self.fields[f"quota_{channel.code}"] = forms.FloatField(
                label=channel.name,
                required=False,
                min_value=0,
                initial=channel.places_per_day,
            )
        for i, (name, mean, dist, cv, plan_a, plan_b) in enumerate(stages):
            self.fields[f"stage{i}_name"] = forms.CharField(
                label=_("Stage"), required=False, initial=str(name), max_length=60
            )
            self.fields[f"stage{i}_mean"] = forms.FloatField(
                label=_("Mean service (min)"), required=False, min_value=0.1, initial=mean
            )
            self.fields[f"stage{i}_distribution"] = forms.ChoiceField(
                label=_("Distribution"),
                choices=DISTRIBUTION_CHOICES,
                initial=dist,
                required=False,
            )
            self.fields[f"stage{i}_cv"] = forms.FloatField(
                label=_("Spread (CV)"), required=False, min_value=0.05, initial=cv
            )
            self.fields[f"stage{i}_a"] = forms.CharField(
                label=_("Counters, plan A"), required=False, initial=plan_a
            )
            self.fields[f"stage{i}_b"] = forms.CharField(
                label=_("Counters, plan B"), required=False, initial=plan_b
            )

    def stage_rows(self):
        return [
            [self[f"stage{i}_{k}"] for k in ("name", "mean", "distribution", "cv", "a", "b")]
            for i in range(self.rows)
        ]

    def quota_fields(self):
        return [self[f"quota_{c.code}"] for c in self.channels]

    @property
    def quotas(self) -> dict[str, float]:
        return {
            c.code: self.cleaned_data[f"quota_{c.code}"]
            for c in self.channels
            if self.cleaned_data.get(f"quota_{c.code}") is not None
        }

    def clean(self):
        data = super().clean()
        stages_a, stages_b = [], []
        names = set()
        for i in range(self.rows):
            name = (data.get(f"stage{i}_name") or "").strip()
            if not name:
                continue
            if name in names:
                self.add_error(f"stage{i}_name", _("Give each stage its own name."))
                continue
            names.add(name)
            mean = data.get(f"stage{i}_mean")
            if not mean:
                self.add_error(f"stage{i}_mean", _("Enter the mean service time in minutes."))
                continue
            try:
                service = planner.ServiceTime(
                    mean=mean,
                    distribution=data.get(f"stage{i}_distribution") or "lognormal",
                    cv=data.get(f"stage{i}_cv") or 0.5,
                )
            except ValueError as exc:
                self.add_error(f"stage{i}_mean", str(exc))
                continue
            for plan, target in (("a", stages_a), ("b", stages_b)):
                text = data.get(f"stage{i}_{plan}") or ""
                if plan == "b" and not text.strip():
                    text = data.get(f"stage{i}_a") or ""
                try:
                    default, by_hour = planner.parse_counters(text)
                    target.append(planner.Stage(name, service, default, by_hour))
                except ValueError as exc:
                    self.add_error(f"stage{i}_{plan}", str(exc))
        if not names:
            self.add_error(None, _("Enter at least one stage."))
        for key in ("booked", "walk_ins"):
            try:
                data[f"{key}_per_hour"] = planner.parse_per_hour(data.get(key) or "")
            except ValueError as exc:
                self.add_error(key, str(exc))
        mode = data.get("arrivals") or ("bookings" if data.get("date") else "entered")
        if mode == "fitted" and data.get("office") is None:
            self.add_error("office", _("Choose the office whose recorded arrivals to use."))
        if mode == "bookings" and (data.get("office") is None or data.get("date") is None):
            self.add_error("date", _("Choose the day whose bookings should arrive."))
        if data.get("fit_start") and data.get("fit_end"):
            if data["fit_end"] < data["fit_start"]:
                self.add_error("fit_end", _("The fitting period ends before it starts."))
            elif (data["fit_end"] - data["fit_start"]).days > 366:
                self.add_error("fit_end", _("Fit on at most a year."))
        data["arrivals"] = mode
        data["stages_a"], data["stages_b"] = stages_a, stages_b
        return data
