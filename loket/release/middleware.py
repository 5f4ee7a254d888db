"""Overload on the website: a lost or refused database connection is a calm 503 page with
Retry-After, never a 500 (the API answers the same as JSON, see config.api)."""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5


class OverloadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"code": "service_unavailable", "detail": "The service is busy."}, status=503
            )
        else:
            html = render_to_string("release/overloaded.html", request=request)
            response = HttpResponse(html, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
