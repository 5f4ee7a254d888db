"""The central site's sync endpoints, for office nodes only (authenticated by the office key).

GET  /api/v1/sync/{office}/snapshot           what a new node starts from
GET  /api/v1/sync/{office}/changes?after=SEQ  the office's feed after a number
POST /api/v1/sync/{office}/push               the node's changes, applied once, in order
"""

import hmac
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from loket.core.errors import DomainError
from loket.offices.models import Office
from loket.sync import feed
from loket.sync.apply import apply_node_changes


def _answer(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder)


def _error(code: str, detail: str, status: int) -> JsonResponse:
    return _answer({"code": code, "detail": detail}, status)


def office_keys() -> dict[str, str]:
    """LOKET_SYNC_KEYS: "KRW=key1,BDG=key2" (the central site's list of office keys)."""
    keys = {}
    for part in settings.LOKET_SYNC_KEYS.split(","):
        code, _, key = part.strip().partition("=")
        if code and len(key) >= 16:
            keys[code.strip().upper()] = key.strip()
    return keys


def _authenticated_office(request, office_code: str) -> Office | None:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    expected = office_keys().get(office_code.upper(), "")
    # Compared even for an unknown office, so the answer's timing tells nothing.
    matches = hmac.compare_digest(given.strip().encode(), (expected or "-" * 32).encode())
    if scheme != "Office" or not expected or not matches:
        return None
    return Office.objects.filter(code=office_code.upper()).first()


def _guard(request, office_code: str):
    if feed.is_office_node():
        return None, _error("not_central", "An office node serves no feed.", 404)
    office = _authenticated_office(request, office_code)
    if office is None:
        return None, _error("office_key_invalid", "Unknown office or wrong office key.", 401)
    return office, None


@require_GET
def snapshot(request, office_code: str):
    office, refused = _guard(request, office_code)
    if refused:
        return refused
    return _answer(feed.snapshot(office))


@require_GET
def changes(request, office_code: str):
    office, refused = _guard(request, office_code)
    if refused:
        return refused
    try:
        after = int(request.GET.get("after", "0"))
        limit = min(max(int(request.GET.get("limit", "500")), 1), 2000)
    except ValueError:
        return _error("invalid_after", "after and limit are whole numbers.", 422)
    if after < 0:
        return _error("invalid_after", "after and limit are whole numbers.", 422)
    return _answer(feed.changes_after(office, after=after, limit=limit))


@csrf_exempt
@require_POST
def push(request, office_code: str):
    office, refused = _guard(request, office_code)
    if refused:
        return refused
    try:
        body = json.loads(request.body)
        changes = body["changes"]
        if not isinstance(changes, list) or not all(
            isinstance(c, dict)
            and isinstance(c.get("seq"), int)
            and isinstance(c.get("model"), str)
            for c in changes
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return _error("invalid_push", 'A push is {"changes": [...]} with seq and model.', 422)
    try:
        applied = apply_node_changes(office, changes)
    except DomainError as error:
        return _error(error.code, str(error), error.status)
    except IntegrityError as error:
        return _error("sync_conflict", f"A change conflicts: {error}"[:200], 409)
    except (KeyError, TypeError, ValueError) as error:
        return _error("invalid_push", f"A change could not be read: {error}"[:200], 422)
    return _answer({"applied_through": applied})
