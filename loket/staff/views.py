"""The staff portal (the offices and pages an officer may open), the staff log-in with an
optional second step (a TOTP code), log-out, and the two-factor setup page."""

import django_otp
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from loket.accounts.sessions import keep_this_session
from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.offices.models import Office
from loket.staff import portal, two_factor
from loket.staff import session as staff_session
from loket.staff.models import StaffMembership, StaffRole
from loket.staff.permissions import permissions_of

PENDING_KEY = "loket_otp_pending"  # {"uid", "backend", "at", "next"} between the two steps
PENDING_SECONDS = 300


class StaffLogoutView(auth_views.LogoutView):
    next_page = "staff:login"


@login_required(login_url="staff:login")
def index(request):
    """The offices and pages this officer may open (the links the apps register)."""
    memberships = StaffMembership.objects.filter(user=request.user).select_related("office")
    offices: dict[Office, set[str]] = {}
    for m in memberships:
        offices.setdefault(m.office, set()).add(m.role)
    if request.user.is_superuser:
        for office in Office.objects.filter(is_active=True):
            offices[office] = set(StaffRole.values)
    kiosk_page = portal.first_link_needing("kiosk.check_in")
    if len(offices) == 1 and set().union(*offices.values()) == {StaffRole.KIOSK} and kiosk_page:
        # A kiosk account goes straight to its one page.
        return redirect(kiosk_page.url(next(iter(offices))))
    rows = []
    two_factor_shown = False
    for office, roles in offices.items():
        held = permissions_of(roles)
        two_factor_shown = two_factor_shown or "staff.two_factor" in held
        rows.append({"office": office, "sections": portal.sections_for(office, held)})
    return render(request, "staff/index.html", {"rows": rows, "two_factor": two_factor_shown})


def _finish_login(request, user, *, device=None) -> None:
    auth_login(request, user, backend=getattr(user, "backend", None))
    if device is not None:
        django_otp.login(request, device)
        staff_session.mark_two_factor_passed(request)
    staff_session.refresh(request)
    staff_session.mark_active(request)


class StaffLoginView(auth_views.LoginView):
    """E-mail and password; an account with two-factor login on continues to the code step."""

    template_name = "staff/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("staff:index")

    def form_valid(self, form):
        user = form.get_user()
        device = two_factor.confirmed_device(user)
        if device is None:
            _finish_login(self.request, user)
            return redirect(self.get_success_url())
        self.request.session[PENDING_KEY] = {
            "uid": user.pk,
            "backend": user.backend,
            "at": int(clock.now().timestamp()),
            "next": self.get_success_url(),
        }
        return redirect("staff:login_code")


@never_cache
def login_code(request):
    """The second step: the 6-digit code from the authenticator app."""
    pending = request.session.get(PENDING_KEY)
    now = int(clock.now().timestamp())
    if not pending or now - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return redirect("staff:login")
    user = get_user_model().objects.filter(pk=pending["uid"], is_active=True).first()
    device = two_factor.confirmed_device(user) if user else None
    if device is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("staff:login")
    error = None
    if request.method == "POST":
        if two_factor.verify(device, request.POST.get("code", "")):
            request.session.pop(PENDING_KEY, None)
            user.backend = pending["backend"]
            _finish_login(request, user, device=device)
            target = pending["next"]
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("staff:index")
            return redirect(target)
        audit.record(action="staff.two_factor_failed", obj=user, actor_label="login")
        error = str(two_factor.CodeWrong())
    return render(request, "staff/login_code.html", {"error": error}, status=400 if error else 200)


@never_cache
@login_required(login_url="staff:login")
def two_factor_setup(request):
    """Turn two-factor login on (secret and QR code, confirmed with a first code) or off."""
    if not two_factor.may_use_two_factor(request.user):
        raise PermissionDenied
    error, status = None, 200
    central_only = two_factor.on_office_node()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "on":
                device = two_factor.turn_on(user=request.user, code=request.POST.get("code", ""))
                django_otp.login(request, device)
                staff_session.mark_two_factor_passed(request)
                messages.success(request, _("Two-factor login is on."))
            elif action == "off":
                two_factor.turn_off(user=request.user, code=request.POST.get("code", ""))
                messages.success(request, _("Two-factor login is off."))
            if action in ("on", "off"):
                keep_this_session(request)
            staff_session.refresh(request)
            return redirect("staff:two_factor")
        except DomainError as exc:
            error, status = str(exc), exc.status
    device = two_factor.confirmed_device(request.user)
    context = {"on": device is not None, "error": error, "central_only": central_only}
    if central_only:  # an office node: the state is shown, the central site changes it
        context["central_only_text"] = str(two_factor.TwoFactorCentralOnly())
    elif device is None:
        pending = two_factor.pending_device(request.user)
        context["secret"] = two_factor.secret_text(pending)
        context["qr"] = two_factor.qr_data_uri(pending)
    return render(request, "staff/two_factor.html", context, status=status)
