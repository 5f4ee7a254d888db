"""Helpers shared by the website's views: rendering with errors, access, lookups."""

import datetime as dt
import functools

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from loket.core.errors import NotFound
from loket.offices.selectors import get_channel, get_office


def page(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a page; `has_errors` (for the "Error:" title prefix) from its forms' errors."""
    context = dict(context or {})
    forms = [v for v in context.values() if hasattr(v, "errors") and hasattr(v, "is_bound")]
    context.setdefault(
        "has_errors",
        any(f.is_bound and f.errors for f in forms) or bool(context.get("extra_errors")),
    )
    return render(request, template, context, status=status)


def verified_required(view):
    """Logged in with a verified e-mail address; otherwise to log in, or to verify."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="web:login")
        if not user.is_verified:
            request.session["verify_email"] = user.email
            return redirect("web:verify")
        return view(request, *args, **kwargs)

    return wrapper


def office_and_channel(office_code: str, channel_code: str | None = None):
    """The office (and channel) named in the URL; 404 for an unknown or non-bookable one."""
    try:
        office = get_office(office_code)
        if channel_code is None:
            return office, None
        channel = get_channel(office, channel_code)
    except NotFound:
        raise Http404 from None
    if not channel.is_bookable_online:
        raise Http404
    return office, channel


def safe_next(request, url: str | None) -> str:
    """A `next` address on this site only (never a redirect to somewhere else)."""
    url = url or ""
    ok = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if ok and url.startswith("/") else ""


def parse_day(value: str) -> dt.date:
    """A date from the URL (YYYY-MM-DD); anything else is a page that does not exist."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None
