"""The JSON API v1: one NinjaAPI, one router per app, errors as {"code", "detail"}."""

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from loket.accounts.api import BearerToken, applicant_removal_router
from loket.accounts.api import router as auth_router
from loket.booking.api import applicants_router, payments_router
from loket.booking.api import router as bookings_router
from loket.core.api import router as me_router
from loket.core.errors import DomainError
from loket.core.json_body import PayloadTooLarge, parse_json_body
from loket.offices.api import router as offices_router
from loket.outreach.api import router as outreach_router
from loket.queue.refunds import router as refunds_router
from loket.release.api import router as release_router
from loket.reports.api import router as reports_router
from loket.waitlist.api import router as waitlist_router


def _contains_nul(data) -> bool:
    """Whether a NUL character is in any string (key or value) of parsed JSON; no recursion."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JsonParser(Parser):
    """JSON bodies. NUL characters are refused: no text field needs them and PostgreSQL
    cannot store them. A body that fails here is answered 400 `bad_request`; one too large
    413 `payload_too_large`, one nested too deep 422 `too_deep` (see loket.core.json_body)."""

    def parse_body(self, request):
        data = parse_json_body(request)
        if _contains_nul(data):
            raise ValueError("NUL characters are not allowed")
        return data


api = NinjaAPI(
    title="Loket API",
    version="1",
    description=(
        "Online appointments at an Indonesian immigration office. Authenticate with "
        "`POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. Errors are "
        '`{"code", "detail"}` with a stable `code`.'
    ),
    urls_namespace="api-v1",
    auth=BearerToken(),
    parser=JsonParser(),
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, {"code": exc.code, "detail": str(exc)}, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None, "message": e.get("msg")}
        for e in exc.errors
    ]
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return api.create_response(
        request, {"code": "invalid_input", "detail": detail, "errors": errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(
        request,
        {"code": "unauthorized", "detail": "Send a valid bearer token: POST /api/v1/auth/token."},
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "detail": "Not found."}, status=404)


@api.exception_handler(DataError)
def data_error(request, exc):
    # A value the database cannot hold (e.g. a NUL in a path or header): bad input, not a crash.
    return api.create_response(
        request,
        {"code": "invalid_input", "detail": "The request contains a value that is not allowed."},
        status=400,
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    # Overload or a lost database connection: ask the client to retry, never a 500. Nothing was
    # committed (the transaction failed), so a retry with the same Idempotency-Key is safe.
    response = api.create_response(
        request,
        {"code": "service_unavailable", "detail": "The service is busy. Try again in a moment."},
        status=503,
    )
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    # ninja adds Retry-After to the response after this handler returns.
    return api.create_response(
        request,
        {"code": "rate_limited", "detail": "Too many requests. Try again in a moment."},
        status=429,
    )


@api.exception_handler(RequestDataTooBig)
def request_too_big(request, exc):
    return domain_error(request, PayloadTooLarge())


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, DomainError):
        # ninja wraps the body parser's errors: answer the parser's own code.
        return domain_error(request, exc.__cause__)
    return api.create_response(
        request, {"code": "bad_request", "detail": str(exc)}, status=exc.status_code
    )


api.add_router("/auth", auth_router)
api.add_router("/offices", offices_router)
api.add_router("/applicants", applicants_router)
api.add_router("/applicants", applicant_removal_router)
api.add_router("/bookings", bookings_router)
api.add_router("/payments", payments_router)
api.add_router("/payments", refunds_router)
api.add_router("/outreach", outreach_router)
api.add_router("/reports", reports_router)
api.add_router("/waitlist", waitlist_router)
api.add_router("/me", me_router)
api.add_router("/release", release_router)
