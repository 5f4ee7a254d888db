"""Register, verify, log in and out, reset the password, and the people an account applies for."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from loket.accounts import services as accounts
from loket.core import clock, personal_data
from loket.core.errors import DomainError
from loket.identity import regions
from loket.identity.nik import normalize_nik, parse_nik
from loket.web import selectors
from loket.web.forms import (
    ApplicantForm,
    EmailLoginForm,
    OutboxPasswordResetForm,
    RegisterForm,
    ResendCodeForm,
    VerifyForm,
    add_domain_error,
    regency_options,
)
from loket.web.ratelimit import limited
from loket.web.views.common import page, safe_next, verified_required


@limited("web_register")
def register(request):
    if request.user.is_authenticated and request.user.is_verified:
        return redirect("web:my_bookings")
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.register_account(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session["verify_email"] = user.email
            request.session["registered_user_id"] = user.pk
            messages.success(request, _("We have sent a 6-digit code to %s.") % user.email)
            return redirect("web:verify")
    return page(request, "web/accounts/register.html", {"form": form})


@limited("web_verify")
def verify(request):
    initial = {"email": request.session.get("verify_email", "")}
    form = VerifyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.verify_email(
                email=form.cleaned_data["email"], code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session.pop("verify_email", None)
            if request.session.pop("registered_user_id", None) == user.pk:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, _("Your e-mail address is verified. Now add the people you apply for.")
                )
                return redirect("web:applicants")
            messages.success(request, _("Your e-mail address is verified. You can log in now."))
            return redirect("web:login")
    resend = ResendCodeForm(initial={"email": form["email"].value() or ""})
    return page(request, "web/accounts/verify.html", {"form": form, "resend": resend})


@require_POST
@limited("web_resend")
def resend_code(request):
    form = ResendCodeForm(request.POST)
    if form.is_valid():
        accounts.resend_verification(email=form.cleaned_data["email"])
        request.session["verify_email"] = form.cleaned_data["email"].strip().lower()
    # The same answer whether or not the address has an account: no enumeration.
    messages.info(
        request, _("If this address has an unverified account, a new code is on its way.")
    )
    return redirect("web:verify")


@method_decorator(limited("web_login"), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("web:my_bookings")

    def form_invalid(self, form):
        unverified = any(e.code == "unverified" for e in form.non_field_errors().as_data())
        if unverified:
            self.request.session["verify_email"] = form.cleaned_data.get("username", "")
        return self.render_to_response(
            self.get_context_data(form=form, has_errors=True, unverified=unverified)
        )


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:home")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "web/accounts/password_reset.html"
    email_template_name = "web/accounts/password_reset_email.txt"
    subject_template_name = "web/accounts/password_reset_subject.txt"

    @property
    def extra_email_context(self):
        # The link is built on LOKET_SITE_URL, not on the Host header a client sends.
        return {"site_url": settings.LOKET_SITE_URL}

    success_url = reverse_lazy("web:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/accounts/password_reset_complete.html"


# --- The people an account applies for ---------------------------------------------------


@verified_required
def applicants(request):
    people = selectors.list_applicants(request.user)
    return render(
        request,
        "web/accounts/applicants.html",
        {
            "people": people,
            "cap": settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT,
            "at_cap": len(people) >= settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT,
        },
    )


def _save_applicant(request, form: ApplicantForm, *, nik: str) -> bool:
    data = form.cleaned_data
    try:
        with transaction.atomic():
            accounts.save_applicant(
                account=request.user,
                nik=nik,
                name=data["name"],
                birth_date=data["birth_date"],
                sex=data["sex"],
                phone=data["phone"],
                domicile_regency=data["domicile_regency"],
                married=data["married"],
                today=clock.local_today(settings.TIME_ZONE),
            )
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True


@verified_required
def applicant_add(request):
    people = selectors.list_applicants(request.user)
    at_cap = len(people) >= settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT
    form = ApplicantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _save_applicant(request, form, nik=form.cleaned_data["nik"]):
            messages.success(request, _("%s is added.") % form.cleaned_data["name"])
            return redirect(safe_next(request, request.GET.get("next")) or "web:applicants")
    return page(
        request,
        "web/accounts/applicant_form.html",
        {
            "form": form,
            "at_cap": at_cap,
            "cap": settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT,
            "editing": None,
            "next": safe_next(request, request.GET.get("next")),
            "regency_options": regency_options(),
        },
    )


@verified_required
def applicant_edit(request, pk: int):
    person = selectors.get_applicant(request.user, pk)
    if person is None:
        raise Http404
    initial = {
        "nik": person.nik,
        "name": person.name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "phone": person.phone,
        "domicile_regency": person.domicile_regency,
        "married": person.married,
    }
    form = ApplicantForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["nik"].disabled = True
    if request.method == "POST" and form.is_valid():
        if _save_applicant(request, form, nik=person.nik):
            messages.success(request, _("The details of %s are saved.") % form.cleaned_data["name"])
            return redirect("web:applicants")
    return page(
        request,
        "web/accounts/applicant_form.html",
        {
            "form": form,
            "at_cap": False,
            "editing": person,
            "next": "",
            "regency_options": regency_options(),
        },
    )


@require_GET
def check_nik(request):
    """Live feedback on a NIK as it is typed (htmx): what is wrong, or what it says."""
    raw = normalize_nik(request.GET.get("nik"))
    declared = None
    try:
        declared = dt.date.fromisoformat(request.GET.get("birth_date") or "")
    except ValueError:
        pass
    context = {"ok": False, "message": ""}
    if raw and raw.isdigit() and len(raw) < 16:
        context["message"] = _("%(count)s of 16 digits so far.") % {"count": len(raw)}
    elif raw:
        today = clock.local_today(settings.TIME_ZONE)
        try:
            info = parse_nik(raw, today=today, declared_birth_date=declared)
        except DomainError as exc:
            context["message"] = str(exc)
        else:
            context.update(ok=True, info=info, region=info.region_name)
    return render(request, "web/accounts/nik_feedback.html", context)


@require_GET
def check_regency(request):
    """Live feedback on the KTP regency (htmx): the place it names, or what is wrong."""
    form = ApplicantForm({"domicile_regency": (request.GET.get("domicile_regency") or "")[:80]})
    field = form["domicile_regency"]
    context = {"ok": False, "message": ""}
    if field.value():
        form.is_valid()
        if field.errors:
            context["message"] = field.errors[0]
        else:
            code = form.cleaned_data["domicile_regency"]
            context.update(
                ok=True,
                name=regions.regency_name(code),
                province=regions.regency_province(code),
                code_label=regions.format_regency(code),
            )
    return render(request, "web/accounts/regency_feedback.html", context)


@verified_required
def applicant_remove(request, pk: int):
    """Ask, then remove a person from the family list (the service says when it may not)."""
    person = selectors.get_applicant(request.user, pk)
    if person is None:
        raise Http404
    extra_errors = []
    if request.method == "POST":
        try:
            accounts.remove_applicant(account=request.user, applicant_id=person.pk)
        except DomainError as exc:
            extra_errors.append(str(exc))
        else:
            messages.success(request, _("%s is removed from your list.") % person.name)
            return redirect("web:applicants")
    return page(
        request,
        "web/accounts/applicant_remove.html",
        {"person": person, "extra_errors": extra_errors},
        status=409 if extra_errors else 200,
    )


@verified_required
@limited("web_login")
def close_account(request):
    """Close the account, confirmed with the password (UU 27/2022); the service says when not."""
    extra_errors = []
    if request.method == "POST":
        try:
            personal_data.close_account(
                account=request.user, password=request.POST.get("password", "")[:128]
            )
        except DomainError as exc:
            extra_errors.append(str(exc))
        else:
            logout(request)
            messages.success(request, _("Your account is closed."))
            return redirect("web:home")
    return page(
        request,
        "web/accounts/close.html",
        {"extra_errors": extra_errors},
        status=409 if extra_errors else 200,
    )
