"""The client's address, for rate limits and the login lockout.

Behind reverse proxies, REMOTE_ADDR is the nearest proxy's address. With
LOKET_TRUSTED_PROXIES = N (the number of proxies in front of the app, each appending to
X-Forwarded-For), the client is the N-th address from the right of that header: entries further
left were written by the client itself and are never trusted. With 0 (the default), the header
is ignored, so a client cannot choose its own address to dodge a limit.
"""

import ipaddress

from django.conf import settings


def _valid(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """A valid IP address, or None when the request carries none."""
    remote = _valid(request.META.get("REMOTE_ADDR"))
    proxies = settings.LOKET_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    return _valid(addresses[-min(proxies, len(addresses))]) or remote
