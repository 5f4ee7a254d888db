"""Reading an API request's JSON body safely: bounded in size and in nesting depth.

Python's JSON parser recurses once per level, so a body nested a thousand deep raises
RecursionError wherever it is parsed; and Django refuses a body above
DATA_UPLOAD_MAX_MEMORY_SIZE with its own HTML 400. Every reader of an API body (the parser,
the per-NIK throttle) goes through `parse_json_body`, which turns both into domain errors the
API answers as JSON.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _

from loket.core.errors import DomainError, InvalidInput

# No request of this API nests deeper than a few levels (a booking: body -> applicant -> field).
MAX_DEPTH = 32


class PayloadTooLarge(DomainError, code="payload_too_large", status=413):
    message = _("The request body is too large.")


class BodyTooDeep(InvalidInput, code="too_deep"):
    message = _("The request body is nested too deeply.")


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def declared_too_large(request) -> bool:
    """Whether the Content-Length already says the body is over the limit (nothing read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_body_bytes()


def raw_body(request) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise PayloadTooLarge() from None


def depth_exceeds(data, limit: int = MAX_DEPTH) -> bool:
    """Whether parsed JSON nests containers deeper than `limit`; no recursion."""
    pending = [(data, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json_body(request):
    """The request's body as parsed JSON. Raises PayloadTooLarge (413), BodyTooDeep (422) or
    ValueError (not JSON)."""
    body = raw_body(request)
    try:
        data = json.loads(body)
    except RecursionError:
        raise BodyTooDeep() from None
    if depth_exceeds(data):
        raise BodyTooDeep()
    return data
