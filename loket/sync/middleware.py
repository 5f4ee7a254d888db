"""On an office node, online booking and outreach's recording and deciding (the emergency
hotline, Eazy Passport requests, service days) are refused with a clear message: they stay
central (a row made at a node would never reach the central site, and its id would meet the
central site's). The desk's code page for outreach stays: it checks in approved cases."""

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from loket.sync.feed import is_office_node

# The applicant's booking paths: pages and API.
CENTRAL_ONLY_PAGES = ("/book/", "/bookings/", "/waitlist/", "/release/", "/accounts/register/")
# Outreach's pages record and decide cases, requests and service days: the central site's
# (loket.sync.ownership), but for the desk's code page.
CENTRAL_ONLY_OUTREACH = ("/outreach/",)
OUTREACH_AT_NODE = ("/outreach/staff/check-in/",)
CENTRAL_ONLY_API = (
    "/api/v1/bookings",
    "/api/v1/payments",
    "/api/v1/waitlist",
    "/api/v1/release",
    "/api/v1/auth/register",
    "/api/v1/outreach",
)


def refusal_text() -> str:
    return _(
        "Online booking is done on the central site only. This computer is the office's own "
        "server: it checks in bookings and runs the queue."
    )


def outreach_refusal_text() -> str:
    return _(
        "Outreach (the emergency hotline, Eazy Passport, service days) is recorded and decided "
        "on the central site only. This computer is the office's own server: the desk checks "
        "an approved emergency case in by its DR code."
    )


def refused_page(path: str) -> str | None:
    """At a node: "outreach" or "booking" for a page that stays central, else None."""
    if path.startswith(CENTRAL_ONLY_OUTREACH) and not path.startswith(OUTREACH_AT_NODE):
        return "outreach"
    if path.startswith(CENTRAL_ONLY_PAGES):
        return "booking"
    return None


def central_only_link(link) -> bool:
    """A staff portal link (loket.staff.portal) to a page a node refuses."""
    if not is_office_node():
        return False
    kwargs = {"office_code": "KRW"} if link.office_in == "path" else {}
    return refused_page(reverse(link.url_name, kwargs=kwargs)) is not None


class OfficeNodeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_office_node():
            path = request.path
            if path.startswith(CENTRAL_ONLY_API):
                return JsonResponse(
                    {"code": "online_booking_central_only", "detail": refusal_text()}, status=503
                )
            refused = refused_page(path)
            if refused:
                text = escape(outreach_refusal_text() if refused == "outreach" else refusal_text())
                body = (
                    f'<!doctype html><html lang="{get_language() or "id"}"><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width, initial-scale=1">'
                    f"<title>Loket</title><main><h1>{text}</h1></main>"
                )
                return HttpResponse(body, status=503)
        return self.get_response(request)
