"""Thin pages: parse the form, call a service, show the result or the errors."""

import datetime as dt
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loket.booking.services import ApplicantData
from loket.capacity.services import QuotaExhausted
from loket.core import clock
from loket.core.errors import DomainError
from loket.offices.models import Office
from loket.offices.selectors import get_office, list_offices
from loket.outreach import bridge, eazy_passport, forms, planning, selectors
from loket.outreach import hotline as outreach_hotline
from loket.outreach import service_days as outreach_service_days
from loket.outreach.domain import emergency_eligibility
from loket.outreach.errors import RequestInvalid
from loket.outreach.models import EmergencyCase, EmergencyStatus, ServiceDayKind
from loket.queue.permissions import roles_at


def _office(request) -> Office:
    code = request.GET.get("office") or request.POST.get("office")
    if code:
        try:
            return get_office(code)
        except DomainError:
            raise Http404 from None
    office = list_offices().first()
    if office is None:
        raise Http404
    return office


def _offices_with(user, roles) -> list[Office]:
    if user.is_superuser:
        return list(Office.objects.filter(is_active=True).order_by("name"))
    return list(
        Office.objects.filter(
            is_active=True, staff_memberships__user=user, staff_memberships__role__in=roles
        )
        .distinct()
        .order_by("name")
    )


def staff_required(*roles: str):
    """Logged-in staff holding one of `roles` at some office (StaffMembership).

    Sets `request.staff_offices` (where they hold such a role), `request.office` (the one named
    by `?office=`, else the first) and `request.outreach_nav` (the staff links to show). Pages
    about one object check that object's office with `_require_at`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("queue:login"))
            offices = _offices_with(user, roles)
            code = (request.GET.get("office") or request.POST.get("office") or "").upper()
            office = next((o for o in offices if o.code == code), None) if code else None
            if office is None and offices and not code:
                office = offices[0]
            if office is None:
                raise DjangoPermissionDenied
            request.staff_offices = offices
            request.office = office
            held = roles_at(user, office)
            request.outreach_nav = {
                "planning": bool(held & set(planning.PLANNING_ROLES + planning.WALK_IN_ROLES)),
                "requests": bool(held & set(planning.PLANNING_ROLES)),
                "hotline": bool(held & set(planning.HOTLINE_ROLES)),
                "check_in": bool(held & set(bridge.CHECK_IN_ROLES)),
            }
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _require_at(request, office: Office, roles) -> set[str]:
    """The roles held at the object's office; an object of another office is not shown."""
    held = roles_at(request.user, office)
    if not held & set(roles):
        raise Http404
    return held


def _add_errors(form, exc: DomainError) -> None:
    """Put a service's errors beside their fields (or at the top when no field matches)."""
    errors = getattr(exc, "errors", None)
    if errors:
        for field, message in errors:
            form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, str(exc))


# --- Service days (applicants) ------------------------------------------------------------


def service_days(request):
    """Public, like GET /api/v1/outreach/service-days: booking a place needs a login."""
    office = _office(request)
    days = selectors.list_upcoming_service_days(office=office)
    return render(request, "outreach/service_days.html", {"office": office, "days": days})


@login_required
@require_http_methods(["GET", "POST"])
def book_service_day(request, pk: int):
    try:
        occurrence = outreach_service_days.get_occurrence(pk)
    except DomainError:
        raise Http404 from None
    if occurrence.rule.kind != ServiceDayKind.EVENT:
        raise Http404
    types = [
        t for t in occurrence.rule.application_types if t in occurrence.channel.application_types
    ]
    form = forms.ServiceDayBookingForm(request.POST or None, application_types=types)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            booking = outreach_service_days.book_service_day(
                account=request.user,
                occurrence=occurrence,
                application_type=d["application_type"],
                purpose=d["purpose"],
                passport_type=d["passport_type"],
                applicant=ApplicantData(
                    nik=d["nik"],
                    name=d["name"],
                    birth_date=d["birth_date"],
                    sex=d["sex"],
                    phone=d["phone"],
                    domicile_regency=d["domicile_regency"],
                ),
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            return render(
                request,
                "outreach/service_day_booked.html",
                {"booking": booking, "occurrence": occurrence},
            )
    return render(
        request, "outreach/service_day_book.html", {"form": form, "occurrence": occurrence}
    )


# --- Eazy Passport (public form, staff review) --------------------------------------------


@require_http_methods(["GET", "POST"])
def request_form(request):
    office = _office(request)
    area = planning.working_area(office)
    form = forms.OutreachRequestForm(request.POST or None, request.FILES or None, area=area)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            outreach_request = eazy_passport.submit_outreach_request(
                office=office,
                data=eazy_passport.RequestData(
                    organisation=d["organisation"],
                    contact_person=d["contact_person"],
                    email=d["email"],
                    phone=d["phone"],
                    location=d["location"],
                    regency=d["regency"],
                    preferred_dates=form.preferred_dates(),
                    expected_applicants=d["expected_applicants"],
                ),
                participants_file=form.file_bytes(),
            )
        except RequestInvalid as exc:
            for field, message in exc.errors:
                target = {"preferred_dates": "date_1"}.get(field, field)
                form.add_error(target if target in form.fields else None, message)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request, "outreach/request_sent.html", {"outreach_request": outreach_request}
            )
    return render(
        request,
        "outreach/request_form.html",
        {"form": form, "office": office, "minimum": eazy_passport.min_applicants(office)},
    )


@staff_required(*planning.PLANNING_ROLES)
def staff_requests(request):
    office = request.office
    status = request.GET.get("status") or None
    return render(
        request,
        "outreach/staff_requests.html",
        {
            "office": office,
            "requests": selectors.list_requests(office=office, status=status),
            "status": status,
        },
    )


@staff_required(*planning.PLANNING_ROLES)
@require_http_methods(["GET", "POST"])
def staff_request(request, code: str):
    try:
        outreach_request = eazy_passport.get_request(code)
    except DomainError:
        raise Http404 from None
    office = outreach_request.office
    _require_at(request, office, planning.PLANNING_ROLES)
    action = request.POST.get("action")
    posted = request.POST if request.method == "POST" else None
    approve = forms.ApproveRequestForm(
        posted if action == "approve" else None, office=office, prefix="approve"
    )
    propose = forms.ProposeDateForm(posted if action == "propose" else None, prefix="propose")
    reject = forms.ReasonForm(posted if action == "reject" else None, prefix="reject")
    bound = {"approve": approve, "propose": propose, "reject": reject}.get(action)
    if bound is not None and bound.is_valid():
        d = bound.cleaned_data
        try:
            if action == "approve":
                eazy_passport.approve_outreach_request(
                    request=outreach_request,
                    visit_date=d["visit_date"],
                    team=d["team"],
                    actor=request.user,
                )
            elif action == "propose":
                eazy_passport.propose_outreach_date(
                    request=outreach_request,
                    proposed_date=d["proposed_date"],
                    message=d["message"],
                    actor=request.user,
                )
            else:
                eazy_passport.reject_outreach_request(
                    request=outreach_request, reason=d["reason"], actor=request.user
                )
        except DomainError as exc:
            _add_errors(bound, exc)
        else:
            return redirect(reverse("outreach:staff_request", args=[outreach_request.code]))
    today = clock.local_today(office.time_zone)
    calendar = selectors.team_calendar(office=office, start=today + dt.timedelta(days=1), days=21)
    return render(
        request,
        "outreach/staff_request.html",
        {
            "r": outreach_request,
            "participants": outreach_request.participants.select_related("slot"),
            "counters": bridge.site_counters(outreach_request),
            "approve": approve,
            "propose": propose,
            "reject": reject,
            "calendar": calendar,
        },
    )


# --- Teams and service days (staff) -------------------------------------------------------


@staff_required(*planning.PLANNING_ROLES, *planning.WALK_IN_ROLES)
def team_calendar(request):
    office = request.office
    today = clock.local_today(office.time_zone)
    try:
        start = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today
    calendar = selectors.team_calendar(office=office, start=start, days=28)
    return render(
        request,
        "outreach/team_calendar.html",
        {
            "office": office,
            "calendar": calendar,
            "events": selectors.list_upcoming_service_days(office=office, days=28),
            "simpatik": selectors.list_upcoming_service_days(
                office=office, kind=ServiceDayKind.SIMPATIK, days=28
            ),
            "previous": start - dt.timedelta(days=28),
            "next": start + dt.timedelta(days=28),
        },
    )


@staff_required(*planning.PLANNING_ROLES, *planning.WALK_IN_ROLES)
@require_http_methods(["GET", "POST"])
def staff_occurrence(request, pk: int):
    try:
        occurrence = outreach_service_days.get_occurrence(pk)
    except DomainError:
        raise Http404 from None
    held = _require_at(
        request, occurrence.rule.office, planning.PLANNING_ROLES + planning.WALK_IN_ROLES
    )
    action = request.POST.get("action")
    posted = request.POST if request.method == "POST" else None
    move = forms.MoveOccurrenceForm(posted if action == "move" else None, prefix="move")
    cancel = forms.ReasonForm(posted if action == "cancel" else None, prefix="cancel")
    walk_in = forms.WalkInForm(posted if action == "walk_in" else None, prefix="walk_in")
    bound = {"move": move, "cancel": cancel, "walk_in": walk_in}.get(action)
    admitted = None
    if bound is not None and bound.is_valid():
        d = bound.cleaned_data
        try:
            if action == "move":
                outreach_service_days.move_occurrence(
                    occurrence=occurrence,
                    day=d["date"],
                    location=d["location"] or None,
                    reason=d["reason"],
                    actor=request.user,
                )
            elif action == "cancel":
                outreach_service_days.cancel_occurrence(
                    occurrence=occurrence, reason=d["reason"], actor=request.user
                )
            else:
                admitted = outreach_service_days.admit_walk_in(
                    occurrence=occurrence, name=d["name"], actor=request.user
                )
        except QuotaExhausted:
            # A walk-in day has one pool, not windows: "choose another window" would mislead.
            bound.add_error(
                None,
                _(
                    "All walk-in places of this day are taken. The person can book an "
                    "appointment online, or come to the next walk-in day early."
                ),
            )
        except DomainError as exc:
            _add_errors(bound, exc)
        else:
            if admitted is None:
                return redirect(reverse("outreach:staff_occurrence", args=[occurrence.pk]))
            walk_in = forms.WalkInForm(prefix="walk_in")
    occurrence.refresh_from_db()
    return render(
        request,
        "outreach/staff_occurrence.html",
        {
            "o": occurrence,
            "move": move,
            "cancel": cancel,
            "walk_in": walk_in,
            "admitted": admitted,
            "admissions": occurrence.admissions.select_related("ticket__lane"),
            "can_change": bool(held & set(planning.PLANNING_ROLES)),
            "can_admit": bool(held & set(planning.WALK_IN_ROLES)),
        },
    )


# --- Emergency hotline --------------------------------------------------------------------


@staff_required(*planning.HOTLINE_ROLES)
@require_http_methods(["GET", "POST"])
def hotline(request):
    office = request.office
    form = forms.EmergencyCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = outreach_hotline.record_emergency_case(
                office=office, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            return redirect(reverse("outreach:hotline_case", args=[case.pk]))
    return render(
        request,
        "outreach/hotline.html",
        {
            "office": office,
            "form": form,
            "cases": selectors.list_emergency_cases(office=office)[:50],
        },
    )


@staff_required(*planning.HOTLINE_ROLES)
@require_http_methods(["GET", "POST"])
def hotline_case(request, pk: int):
    case = (
        EmergencyCase.objects.select_related("office", "recorded_by", "decided_by", "ticket__lane")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    held = _require_at(request, case.office, planning.HOTLINE_ROLES)
    can_decide = bool(held & set(planning.DECISION_ROLES))
    form = forms.EmergencyDecisionForm(
        request.POST if request.method == "POST" else None,
        initial={"service_date": clock.local_today(case.office.time_zone)},
    )
    if request.method == "POST":
        if not can_decide:
            raise DjangoPermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            if d["decision"] == "approve" and d["service_date"] is None:
                form.add_error("service_date", _("Choose the service day."))
            else:
                try:
                    if d["decision"] == "approve":
                        outreach_hotline.approve_emergency_case(
                            case=case,
                            actor=request.user,
                            service_date=d["service_date"],
                            reason=d["reason"],
                            area_override=d["area_override"],
                            override_reason=d["override_reason"],
                        )
                    else:
                        outreach_hotline.reject_emergency_case(
                            case=case, actor=request.user, reason=d["reason"]
                        )
                except DomainError as exc:
                    _add_errors(form, exc)
                else:
                    return redirect(reverse("outreach:hotline_case", args=[case.pk]))
    eligibility = emergency_eligibility(
        domicile_regency=case.domicile_regency,
        nik=case.nik,
        working_area=planning.working_area(case.office),
    )
    return render(
        request,
        "outreach/hotline_case.html",
        {
            "case": case,
            "form": form,
            "eligibility": eligibility,
            "can_decide": can_decide and case.status == EmergencyStatus.RECORDED,
        },
    )


# --- Check-in by an outreach code (emergency cases, Eazy Passport participants) ------------


@staff_required(*bridge.CHECK_IN_ROLES)
@require_http_methods(["GET", "POST"])
def check_in(request):
    office = request.office
    form = forms.CheckInForm(request.POST or None)
    ticket = None
    if request.method == "POST" and form.is_valid():
        try:
            ticket = bridge.check_in_by_code(
                office=office,
                code=form.cleaned_data["code"],
                confirmed_nik=form.cleaned_data["nik"],
                officer=request.user,
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            form = forms.CheckInForm()
    return render(
        request, "outreach/check_in.html", {"office": office, "form": form, "ticket": ticket}
    )
