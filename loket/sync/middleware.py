"""On an office node, online booking and the emergency hotline's recording and deciding are
refused with a clear message: they stay central (a case recorded or decided at a node would
never reach the central site, and its id would meet the central site's)."""

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from loket.sync.feed import is_office_node

# The applicant's booking paths: pages and API.
CENTRAL_ONLY_PAGES = ("/book/", "/bookings/", "/waitlist/", "/release/", "/accounts/register/")
# The hotline's pages record and decide emergency cases: the central site's (loket.sync.ownership).
CENTRAL_ONLY_HOTLINE = ("/outreach/hotline/",)
CENTRAL_ONLY_API = (
    "/api/v1/bookings",
    "/api/v1/payments",
    "/api/v1/waitlist",
    "/api/v1/release",
    "/api/v1/auth/register",
)


def refusal_text() -> str:
    return _(
        "Online booking is done on the central site only. This computer is the office's own "
        "server: it checks in bookings and runs the queue."
    )


def hotline_refusal_text() -> str:
    return _(
        "Emergency cases are recorded and decided on the central site only. This computer is "
        "the office's own server: the desk checks an approved case in by its DR code."
    )


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
            if path.startswith(CENTRAL_ONLY_PAGES + CENTRAL_ONLY_HOTLINE):
                hotline = path.startswith(CENTRAL_ONLY_HOTLINE)
                text = escape(hotline_refusal_text() if hotline else refusal_text())
                body = f"<!doctype html><title>Loket</title><main><h1>{text}</h1></main>"
                return HttpResponse(body, status=503)
        return self.get_response(request)
