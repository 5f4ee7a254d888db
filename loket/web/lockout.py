"""Account lockout after repeated failed logins (django-axes): who is counted, and the answer
a locked-out client gets, on the website (a calm page) and on the API (429 JSON)."""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out (e-mail, IP) pair before the password is checked.

    Calls without a request (the bench, management commands, test fixtures) are not web
    logins and have no address to count: they pass through to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials) -> str | None:
    """The e-mail address as the account knows it: `Budi@X.id ` and `budi@x.id` count as one."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    return raw.strip().lower() if isinstance(raw, str) else raw


def _cool_off_minutes(request) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds() / 60) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """429 with Retry-After: JSON `account_locked` on the API, a page on the website."""
    minutes = _cool_off_minutes(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "code": "account_locked",
                "detail": _(
                    "Too many failed log-ins for this account from your address. "
                    "Try again in %(minutes)s minutes."
                )
                % {"minutes": minutes},
            },
            status=429,
        )
    else:
        response = render(request, "web/abuse/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
