"""Forms only parse input; the services decide."""

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from loket.booking.models import Purpose
from loket.identity import regions
from loket.offices.models import PassportType
from loket.outreach.domain import CSV_MAX_BYTES
from loket.outreach.models import EmergencyReason, Team

SEX_CHOICES = [("M", _("male")), ("F", _("female"))]
TYPE_CHOICES = [("new", _("new passport")), ("replacement", _("replacement (expired or full)"))]


def regency_choices(codes: list[str]) -> list[tuple[str, str]]:
    return [("", _("Choose"))] + [(c, regions.regency_name(c)) for c in codes]


def all_regency_choices() -> list[tuple[str, str]]:
    return [("", _("Choose"))] + sorted(
        (
            (c, f"{regions.regency_name(c)} ({regions.format_regency(c)})")
            for c in regions.regencies()
        ),
        key=lambda x: x[1],
    )


class DateInput(forms.DateInput):
    """A date picker: its value must be ISO (YYYY-MM-DD), whatever the language's date format."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)


class ServiceDayBookingForm(forms.Form):
    application_type = forms.ChoiceField(label=_("What do you need?"), choices=TYPE_CHOICES)
    nik = forms.CharField(label="NIK", max_length=20, help_text=_("16 digits, on the KTP."))
    name = forms.CharField(label=_("Name as on the KTP"), max_length=150)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DateInput)
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, widget=forms.RadioSelect)
    phone = forms.CharField(label=_("Phone number"), max_length=20)
    domicile_regency = forms.ChoiceField(label=_("Regency or city of the KTP address"))
    purpose = forms.ChoiceField(label=_("Purpose of travel"), choices=Purpose.choices)
    passport_type = forms.ChoiceField(
        label=_("Passport type"), choices=PassportType.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, application_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application_type"].choices = [
            c for c in TYPE_CHOICES if c[0] in application_types
        ]
        self.fields["domicile_regency"].choices = all_regency_choices()


class OutreachRequestForm(forms.Form):
    organisation = forms.CharField(label=_("Name of the institution"), max_length=200)
    contact_person = forms.CharField(label=_("Contact person"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone number"), max_length=20)
    location = forms.CharField(
        label=_("Address where the office should come"), max_length=300, widget=forms.Textarea
    )
    regency = forms.ChoiceField(label=_("Regency or city of that address"))
    date_1 = forms.DateField(label=_("Preferred date"), widget=DateInput)
    date_2 = forms.DateField(label=_("Second choice (optional)"), widget=DateInput, required=False)
    date_3 = forms.DateField(label=_("Third choice (optional)"), widget=DateInput, required=False)
    expected_applicants = forms.IntegerField(
        label=_("How many people will apply?"), min_value=1, max_value=5000
    )
    participants = forms.FileField(
        label=_("List of participants (CSV)"),
        help_text=_(
            "Columns: nik, name, birth_date (YYYY-MM-DD), application_type (new or replacement). "
            "At most 1,000 rows and 1 MB."
        ),
    )

    def __init__(self, *args, area: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regency"].choices = regency_choices(area)

    def preferred_dates(self) -> list[dt.date]:
        d = self.cleaned_data
        return [x for x in (d.get("date_1"), d.get("date_2"), d.get("date_3")) if x]

    def file_bytes(self) -> bytes:
        upload = self.cleaned_data["participants"]
        return upload.read(CSV_MAX_BYTES + 1)


class SundayWarningForm(forms.Form):
    """A date on a Sunday, when offices are closed, is refused once with a warning; ticking the
    box that then appears confirms it (a service on a Sunday is possible, rarely meant)."""

    date_field = ""
    sunday_confirmed = forms.BooleanField(
        label=_("Yes, on this Sunday"), required=False, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        day = data.get(self.date_field)
        if day and day.weekday() == 6 and not data.get("sunday_confirmed"):
            self.fields["sunday_confirmed"].widget = forms.CheckboxInput()
            self.add_error(
                self.date_field,
                _(
                    "%(day)s is a Sunday, when the office is normally closed. Check the date; "
                    "to go ahead on this Sunday all the same, tick the box below."
                )
                % {"day": date_format(day, "l j F Y")},
            )
        return data


class ApproveRequestForm(SundayWarningForm):
    date_field = "visit_date"
    visit_date = forms.DateField(label=_("Visit date"), widget=DateInput)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    field_order = ["visit_date", "team", "sunday_confirmed"]

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(office=office, is_active=True)


class ProposeDateForm(forms.Form):
    proposed_date = forms.DateField(label=_("Proposed date"), widget=DateInput)
    message = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea)


class MoveOccurrenceForm(forms.Form):
    date = forms.DateField(label=_("New date"), widget=DateInput)
    location = forms.CharField(label=_("Place (leave empty to keep it)"), required=False)
    reason = forms.CharField(label=_("Reason, told to the people booked"))


class EmergencyCaseForm(forms.Form):
    caller_name = forms.CharField(label=_("Caller's name"), max_length=150)
    caller_phone = forms.CharField(label=_("Caller's phone"), max_length=20)
    nik = forms.CharField(label=_("Applicant's NIK"), max_length=20)
    applicant_name = forms.CharField(label=_("Applicant's name (KTP)"), max_length=150)
    domicile_regency = forms.ChoiceField(label=_("Regency or city of the KTP address"))
    reason = forms.ChoiceField(label=_("Emergency"), choices=EmergencyReason.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domicile_regency"].choices = all_regency_choices()


class EmergencyDecisionForm(SundayWarningForm):
    date_field = "service_date"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    service_date = forms.DateField(label=_("Service day"), widget=DateInput, required=False)
    reason = forms.CharField(label=_("Reason for the decision"), widget=forms.Textarea)
    area_override = forms.BooleanField(label=_("Override the working-area rule"), required=False)
    override_reason = forms.CharField(
        label=_("Why the area rule is overridden"), required=False, widget=forms.Textarea
    )
    field_order = [
        "decision",
        "service_date",
        "sunday_confirmed",
        "reason",
        "area_override",
        "override_reason",
    ]

    def clean(self):
        data = super().clean()
        if data.get("decision") != "approve" and "service_date" in self.errors:
            del self.errors["service_date"]  # a rejection has no service day to warn about
        return data


class WalkInForm(forms.Form):
    name = forms.CharField(label=_("Applicant's name"), max_length=150)


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The emergency case code (DR...) or the participant's code (EP...)."),
    )
    nik = forms.CharField(label=_("NIK on the KTP"), max_length=20)
