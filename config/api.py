"""The JSON API v1: one NinjaAPI, one router per app, errors as {"code", "detail"}."""

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from loket.accounts.api import BearerToken, applicant_removal_router
from loket.accounts.api import router as auth_router
from loket.booking.api import applicants_router, payments_router
from loket.booking.api import router as bookings_router
from loket.booking.schemas import ErrorOut
from loket.capacity.api import router as availability_router
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


# Messages for pydantic's error types, in the request's language like every other answer.
_VALIDATION_MESSAGES = {
    "missing": _("This field is required."),
    "string_too_short": _("This field may not be empty."),
    "string_too_long": _("Too long: at most %(max_length)s characters."),
    "string_type": _("Send a text (string)."),
    "literal_error": _("Use one of: %(expected)s."),
    "enum": _("Use one of: %(expected)s."),
    "date_parsing": _("Not a real date: use YYYY-MM-DD, e.g. 2026-12-03."),
    "date_from_datetime_parsing": _("Not a real date: use YYYY-MM-DD, e.g. 2026-12-03."),
    "date_from_datetime_inexact": _("Use a date without a time: YYYY-MM-DD."),
    "date_type": _("Not a real date: use YYYY-MM-DD, e.g. 2026-12-03."),
    "datetime_parsing": _("Not a real moment: use ISO 8601, e.g. 2026-12-01T09:30:00+07:00."),
    "datetime_from_date_parsing": _(
        "Not a real moment: use ISO 8601, e.g. 2026-12-01T09:30:00+07:00."
    ),
    "datetime_type": _("Not a real moment: use ISO 8601, e.g. 2026-12-01T09:30:00+07:00."),
    "timezone_aware": _("Give the time zone, e.g. 2026-12-01T09:30:00+07:00."),
    "int_parsing": _("Send a whole number."),
    "int_type": _("Send a whole number."),
    "int_from_float": _("Send a whole number."),
    "bool_parsing": _("Send true or false."),
    "bool_type": _("Send true or false."),
    "greater_than_equal": _("At least %(ge)s."),
    "less_than_equal": _("At most %(le)s."),
    "json_invalid": _("The body is not valid JSON."),
    "model_attributes_type": _("Send a JSON object."),
    "dict_type": _("Send a JSON object."),
    "list_type": _("Send a list."),
}


def _validation_message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])  # our own validators raise translated messages
    template = _VALIDATION_MESSAGES.get(kind)
    if template is None:
        return gettext("This value is not valid.")
    try:
        return str(template) % {k: v for k, v in ctx.items()}
    except (KeyError, TypeError, ValueError):
        return str(template)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None,
            "message": _validation_message(e),
            "type": e.get("type"),
        }
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
        {
            "code": "unauthorized",
            "detail": gettext("Send a valid bearer token: POST /api/v1/auth/token."),
        },
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(
        request, {"code": "not_found", "detail": gettext("Not found.")}, status=404
    )


@api.exception_handler(DataError)
def data_error(request, exc):
    # A value the database cannot hold (e.g. a NUL in a path or header): bad input, not a crash.
    return api.create_response(
        request,
        {
            "code": "invalid_input",
            "detail": gettext("The request contains a value that is not allowed."),
        },
        status=400,
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    # Overload or a lost database connection: ask the client to retry, never a 500. Nothing was
    # committed (the transaction failed), so a retry with the same Idempotency-Key is safe.
    response = api.create_response(
        request,
        {
            "code": "service_unavailable",
            "detail": gettext("The service is busy. Try again in a moment."),
        },
        status=503,
    )
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    # ninja adds Retry-After to the response after this handler returns.
    return api.create_response(
        request,
        {"code": "rate_limited", "detail": gettext("Too many requests. Try again in a moment.")},
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
    # Raised by ninja itself (a body it cannot parse); its own words are English.
    detail = (
        gettext("The request cannot be read: send a JSON body.")
        if exc.status_code == 400
        else str(exc)
    )
    return api.create_response(
        request, {"code": "bad_request", "detail": detail}, status=exc.status_code
    )


api.add_router("/auth", auth_router)
api.add_router("/offices", offices_router)
api.add_router("/offices", availability_router)
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


def _declare_rate_limited_answers() -> None:
    """Every operation with a throttle can answer 429 `rate_limited`: the schema says so."""
    pending = [router for _prefix, router in api._routers]
    while pending:
        router = pending.pop()
        pending.extend(child for _prefix, child in getattr(router, "_routers", []))
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if operation.throttle_objects and 429 not in operation.response_models:
                    operation.response_models[429] = operation._create_response_model(ErrorOut)


_declare_rate_limited_answers()
