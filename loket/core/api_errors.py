"""Every answer under /api/ that is an error is JSON `{"code", "detail"}`.

Django answers some requests before or around the API's own handlers (a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, an unknown URL, a server error page): this middleware refuses a
body whose declared length is over the limit before anything reads it (413
`payload_too_large`), and rewrites any other non-JSON error answer to the same JSON shape.
"""

from django.http import JsonResponse

from loket.core.json_body import declared_too_large

CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "Send a valid bearer token: POST /api/v1/auth/token."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is too large."),
    429: ("rate_limited", "Too many requests. Try again in a moment."),
    503: ("service_unavailable", "The service is busy. Try again in a moment."),
}


def _json_error(status: int) -> JsonResponse:
    code, detail = CODES.get(
        status,
        ("server_error", "Something went wrong.") if status >= 500 else ("bad_request", "Refused."),
    )
    return JsonResponse({"code": code, "detail": detail}, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if declared_too_large(request):
            return _json_error(413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = _json_error(response.status_code)
            for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
