"""Forms of the applicant website: they parse input; the services hold the rules."""

import functools

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import SEX_CHOICES
from loket.booking.models import Purpose
from loket.core import clock
from loket.core.errors import DomainError
from loket.identity import regions
from loket.identity.nik import parse_nik
from loket.notifications.services import enqueue_message
from loket.offices.models import ApplicationType, PassportType

# Which form field a service error belongs to, by its stable code.
FIELD_BY_CODE = {
    "email_invalid": "email",
    "email_taken": "email",
    "password_rejected": "password",
    "verification_failed": "code",
    "nik_invalid": "nik",
    "regency_invalid": "domicile_regency",
}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal beside the field it concerns, else at the top of the form."""
    field = exc.params.get("field") or FIELD_BY_CODE.get(exc.code)
    form.add_error(field if field in form.fields else None, str(exc))


class RegisterForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        help_text=_("We send a code to this address to check it is yours."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": _("Enter your e-mail address.")},
    )
    password = forms.CharField(
        label=_("Password"),
        help_text=_("At least 8 characters. Not only numbers, and not a common password."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Choose a password.")},
    )


class VerifyForm(forms.Form):
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": _("Enter your e-mail address.")},
    )
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("The 6 digits in the e-mail we sent you."),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "input--short"}
        ),
        error_messages={"required": _("Enter the code from the e-mail.")},
    )


class ResendCodeForm(forms.Form):
    email = forms.CharField(max_length=254, widget=forms.HiddenInput)


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail; an account must have verified its address first."""

    error_messages = {
        "invalid_login": _("The e-mail address or password is wrong."),
        "inactive": _("This account is blocked. Contact the office."),
        "unverified": _("Verify your e-mail address first: enter the code we sent you."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "autofocus": True}
        )
        self.fields["username"].error_messages["required"] = _("Enter your e-mail address.")
        self.fields["password"].error_messages["required"] = _("Enter your password.")

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_verified:
            raise forms.ValidationError(self.error_messages["unverified"], code="unverified")


class OutboxPasswordResetForm(PasswordResetForm):
    """Password reset mail goes through the outbox like every other message."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        enqueue_message(
            dedupe_key=f"password-reset:{context['user'].pk}:{clock.now().timestamp()}",
            recipient=to_email,
            subject=subject,
            body=body,
        )


class ApplicantForm(forms.Form):
    """A person on the account. Each field is checked on its own, so that every mistake is
    shown at once (a wrong NIK does not hide a wrong phone number); birth date and sex left
    empty are taken from the NIK. The service checks it all again."""

    nik = forms.CharField(
        label=_("NIK"),
        help_text=_("The 16-digit number on the KTP (identity card) or KK (family card)."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the NIK.")},
    )
    name = forms.CharField(
        label=_("Full name"),
        help_text=_("As written on the KTP."),
        max_length=150,
        error_messages={"required": _("Enter the name as written on the KTP.")},
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("Filled in from the NIK. Check it against the KTP and change it if needed."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "input--short"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"],
        error_messages={"invalid": _("Enter a real date of birth, as on the KTP.")},
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        help_text=_("Filled in from the NIK."),
        required=False,
        choices=SEX_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "radios"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("For example 081234567890."),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Enter a phone number, e.g. 081234567890.")},
    )
    domicile_regency = forms.CharField(
        label=_("Regency or city of the KTP address"),
        help_text=_(
            "The kabupaten or kota of the address on the KTP. Start typing its name, "
            "e.g. Karawang, and choose it from the list."
        ),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "regency-list"}),
        error_messages={"required": _("Enter the regency or city of the KTP address.")},
    )
    married = forms.BooleanField(label=_("Married"), required=False)

    def __init__(self, *args, **kwargs):
        initial = kwargs.get("initial") or {}
        if initial.get("domicile_regency"):
            code = regions.normalize_regency(initial["domicile_regency"])
            if code:
                kwargs["initial"] = {**initial, "domicile_regency": regions.regency_name(code)}
        super().__init__(*args, **kwargs)

    def clean_nik(self) -> str:
        raw = self.cleaned_data["nik"]
        try:
            return parse_nik(raw, today=clock.local_today(settings.TIME_ZONE)).nik
        except DomainError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        digits = phone.removeprefix("+")
        if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise forms.ValidationError(
                _("Enter a phone number of 8 to 15 digits, e.g. 081234567890.")
            )
        return phone

    def clean_domicile_regency(self) -> str:
        text = self.cleaned_data["domicile_regency"]
        found = regions.find_regencies(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(
                _("More than one place is called %(name)s: choose %(choices)s.")
                % {"name": text, "choices": _(" or ").join(regions.regency_name(c) for c in found)}
            )
        suggestions = regions.suggest_regencies(text)
        if suggestions:
            raise forms.ValidationError(
                _("No regency or city is called %(name)s. Did you mean %(choices)s?")
                % {
                    "name": text,
                    "choices": ", ".join(regions.regency_name(c) for c in suggestions),
                }
            )
        raise forms.ValidationError(
            _(
                "No regency or city is called %(name)s. Type its name as on the KTP address, "
                "e.g. Kab. Karawang or Kota Bandung."
            )
            % {"name": text}
        )

    def clean(self):
        data = super().clean()
        nik = data.get("nik")
        if not nik:
            return data
        today = clock.local_today(settings.TIME_ZONE)
        birth_date = data.get("birth_date")
        try:
            info = parse_nik(nik, today=today, declared_birth_date=birth_date)
        except DomainError as exc:
            if "birth_date" not in self.errors:
                self.add_error("birth_date", str(exc))
            return data
        if not birth_date and "birth_date" not in self.errors:
            data["birth_date"] = info.birth_date
        if data.get("sex") and data["sex"] != info.sex:
            self.add_error(
                "sex", _("The sex does not match the NIK (for women the day in the NIK is +40).")
            )
        else:
            data["sex"] = info.sex
        return data


@functools.cache
def regency_options() -> list[tuple[str, str]]:
    """(name, province) of every regency and city, for the form's list of suggestions."""
    return sorted(
        (regions.regency_name(c), regions.regency_province(c)) for c in regions.regencies()
    )


class OfficeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by office name or regency"),
        help_text=_("For example Karawang or Purwakarta."),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class BookingDetailsForm(forms.Form):
    """What the booking is for. Choices only: whether it can be booked is the service's call.
    Fields in the order of the page, so the error summary lists them in that order."""

    field_order = ["applicant", "application_type", "purpose", "passport_type"]

    application_type = forms.ChoiceField(
        label=_("What do you need?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a new passport or a replacement.")},
    )
    applicant = forms.TypedChoiceField(
        label=_("Who is the passport for?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the person the passport is for.")},
    )
    purpose = forms.ChoiceField(
        label=_("Purpose of travel"),
        choices=[("", _("Choose a purpose"))] + list(Purpose.choices),
        error_messages={"required": _("Choose the purpose of travel.")},
    )
    passport_type = forms.ChoiceField(
        label=_("Passport type"),
        help_text=_("An electronic passport has a chip and costs more."),
        choices=PassportType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose ordinary or electronic passport.")},
    )

    def __init__(self, *args, channel, applicants, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ApplicationType.choices)
        self.fields["application_type"].choices = [
            (t, labels[t]) for t in channel.application_types if t in labels
        ]
        self.fields["applicant"].choices = [(a.pk, a.name) for a in applicants]
