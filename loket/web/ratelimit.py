"""Rate limits on the website's forms, counted like the API's (loket.core.ratelimit: fixed
windows, one cache round trip, a cache that is down lets the request through).

Rates come from settings.LOKET_RATE_LIMITS at request time; a refused request gets a calm
page with status 429 and Retry-After.
"""

import functools
import math

from django.conf import settings
from django.shortcuts import render

from loket.core import ratelimit
from loket.core.client_ip import client_ip


def _client_ip(request) -> str:
    return f"ip:{client_ip(request) or 'unknown'}"


def _account_or_ip(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"account:{user.pk}"
    return _client_ip(request)


KEYS = {"ip": _client_ip, "account": _account_or_ip}


def limited(scope: str, *, per: str = "ip", methods: tuple[str, ...] = ("POST",)):
    """Count each `methods` request of the view against the rate named `scope`."""
    key = KEYS[per]

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and settings.LOKET_RATE_LIMITS_ENABLED:
                rate = settings.LOKET_RATE_LIMITS[scope]
                wait = ratelimit.hit([(f"{scope}:{key(request)}", rate)])
                if wait is not None:
                    return too_many_requests(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def too_many_requests(request, *, retry_after: float):
    seconds = max(1, math.ceil(retry_after))
    minutes = max(1, -(-seconds // 60))
    response = render(request, "web/abuse/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response
