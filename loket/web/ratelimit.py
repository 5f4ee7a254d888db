"""Rate limits on the website's forms, counted in the cache by django-ratelimit.

Rates come from settings.LOKET_RATE_LIMITS at request time; a refused request gets a calm
page with status 429 and Retry-After.
"""

import functools

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

from loket.core.client_ip import client_ip


def _client_ip(group, request) -> str:
    return client_ip(request) or "unknown"


def _account_or_ip(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"account:{user.pk}"
    return f"ip:{_client_ip(group, request)}"


KEYS = {"ip": _client_ip, "account": _account_or_ip}


def limited(scope: str, *, per: str = "ip", methods: tuple[str, ...] = ("POST",)):
    """Count each `methods` request of the view against the rate named `scope`."""
    key = KEYS[per]

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and settings.LOKET_RATE_LIMITS_ENABLED:
                usage = get_usage(
                    request,
                    group=f"web:{scope}",
                    key=key,
                    rate=settings.LOKET_RATE_LIMITS[scope],
                    increment=True,
                )
                if usage is not None and usage["should_limit"]:
                    return too_many_requests(request, retry_after=usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def too_many_requests(request, *, retry_after: int):
    minutes = max(1, -(-int(retry_after) // 60))
    response = render(request, "web/abuse/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response
