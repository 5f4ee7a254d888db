"""Staff forms: they only parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from loket.queue.models import PickupBy


class FindBookingForm(forms.Form):
    code = forms.CharField(
        label=_("Booking code, application number, QR, or DR/EP code"),
        max_length=500,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class CheckInForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=500)
    nik = forms.CharField(
        label=_("NIK on the KTP"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}
        ),
    )


class KioskForm(forms.Form):
    code = forms.CharField(
        label=_("Scan your QR code or type your application number"),
        max_length=500,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    nik = forms.CharField(
        label=_("Your NIK (16 digits on your KTP)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class WalkInForm(forms.Form):
    LANES = [
        ("priority", _("Priority (elderly, young child, disability, pregnancy)")),
        ("lost_damaged", _("Lost or damaged passport")),
        ("emergency", _("Emergency (approved case)")),
    ]
    lane = forms.ChoiceField(label=_("Service"), choices=LANES, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name as on the KTP"), max_length=150)
    nik = forms.CharField(
        label=_("NIK"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date (for a child without a NIK)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    disability = forms.BooleanField(label=_("Disability (seen by the officer)"), required=False)
    pregnancy = forms.BooleanField(label=_("Pregnancy (seen by the officer)"), required=False)

    @property
    def attested(self) -> list[str]:
        return [g for g in ("disability", "pregnancy") if self.cleaned_data.get(g)]


class PickupForm(forms.Form):
    issuance = forms.IntegerField(widget=forms.HiddenInput)
    picked_up_by = forms.ChoiceField(
        label=_("Collected by"), choices=PickupBy.choices, widget=forms.RadioSelect
    )
    collector_name = forms.CharField(label=_("Collector's name"), max_length=150, required=False)
    collector_document = forms.CharField(
        label=_("KK number or letter reference"), max_length=64, required=False
    )


class LedgerRangeForm(forms.Form):
    """The days whose ledger slots the supervisor's integrity check covers."""

    MAX_DAYS = 366

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The last day must not be before the first day."))
            elif (end - start).days >= self.MAX_DAYS:
                self.add_error(
                    "end", _("Check at most %(n)s days at a time.") % {"n": self.MAX_DAYS}
                )
        return data


class ReleaseNikForm(forms.Form):
    """The KTP of a person whose NIK another account holds: as printed on the card."""

    nik = forms.CharField(
        label=_("NIK on the KTP"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Name on the KTP"), max_length=150)
    birth_date = forms.DateField(
        label=_("Birth date on the KTP"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ktp_checked = forms.BooleanField(
        label=_("I have checked the KTP and the person in front of me is its owner")
    )
