"""Staff sessions on shared PCs: an idle time-out, and two-factor login once turned on.

`StaffSessionMiddleware` looks at signed-in accounts only. What it needs about the account
(is it staff, does it time out, has it turned on two-factor login) is read once per session
and kept in the session, so a request costs no query:
- staff (is_staff, a superuser, or any office role) are logged out after
  LOKET_STAFF_IDLE_MINUTES without activity (default 30), and LOKET_STAFF_SESSION_HOURS (12)
  after logging in, however active. Activity is any request except an
  htmx GET: the live pages poll every few seconds and must not keep an abandoned PC signed in.
  Kiosk-only accounts (the self-service machine, which can only check people in) and
  applicants are not timed out;
- an account with a confirmed TOTP device must have passed the code step in this session
  (`two_factor_passed`); a session signed in another way (the applicants' or the admin's login
  page) is ended and sent to the staff login, which asks for the code.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from loket.core import clock

INFO_KEY = "loket_staff"  # {"uid", "staff", "idle", "otp"}
SEEN_KEY = "loket_staff_seen"  # epoch seconds of the last activity
SINCE_KEY = "loket_staff_since"  # epoch seconds of the log-in
OTP_PASSED_KEY = "loket_otp_passed"
# The last activity is written to the session at most this often (seconds).
SEEN_GRANULARITY = 30


def describe(user) -> dict:
    """What the session rules need about an account (two queries, once per session)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from loket.staff.models import StaffMembership, StaffRole

    roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    staff = bool(user.is_staff or user.is_superuser or roles)
    kiosk_only = roles == {StaffRole.KIOSK} and not user.is_superuser
    return {
        "uid": user.pk,
        "staff": staff,
        "idle": staff and not kiosk_only,
        "otp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }


def on_login(sender, request, user, **kwargs) -> None:
    """At log-in (any login page), read the account's session rules and start the idle clock."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[INFO_KEY] = describe(user)
    request.session[SINCE_KEY] = int(clock.now().timestamp())
    mark_active(request)


def refresh(request) -> None:
    """Re-read the account's rules into the session (after turning two-factor on or off)."""
    request.session[INFO_KEY] = describe(request.user)


def mark_two_factor_passed(request) -> None:
    request.session[OTP_PASSED_KEY] = True


def mark_active(request) -> None:
    request.session[SEEN_KEY] = int(clock.now().timestamp())


def _to_login(request, message: str):
    logout(request)
    messages.warning(request, message)
    login = reverse("staff:login")
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login
        return response
    return redirect_to_login(request.get_full_path(), login)


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        try:
            refused = self._check(request)
        except (OperationalError, InterfaceError):
            # The database is down: the view answers (a calm 503, see OverloadMiddleware).
            refused = None
        return refused or self.get_response(request)

    def _check(self, request):
        """None to go on, or the answer that ends the session."""
        if SESSION_KEY not in request.session:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        info = request.session.get(INFO_KEY)
        if not info or info.get("uid") != user.pk:
            info = describe(user)
            request.session[INFO_KEY] = info
        if not info["staff"]:
            return None
        if info["otp"] and not request.session.get(OTP_PASSED_KEY):
            return _to_login(request, _("Enter the code from your authenticator app to log in."))
        if info["idle"]:
            now = int(clock.now().timestamp())
            since = request.session.get(SINCE_KEY)
            if since is not None and now - since > settings.LOKET_STAFF_SESSION_HOURS * 3600:
                return _to_login(
                    request,
                    _("Your session ended after %(hours)s hours. Log in again.")
                    % {"hours": settings.LOKET_STAFF_SESSION_HOURS},
                )
            seen = request.session.get(SEEN_KEY)
            if seen is not None and now - seen > settings.LOKET_STAFF_IDLE_MINUTES * 60:
                return _to_login(
                    request,
                    _("You were logged out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.LOKET_STAFF_IDLE_MINUTES},
                )
            polling = request.method == "GET" and request.headers.get("HX-Request")
            if seen is None or (not polling and now - seen >= SEEN_GRANULARITY):
                request.session[SEEN_KEY] = now
        return None
